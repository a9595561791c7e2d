"""The auditor's part: a supply audit (R13) read from the indexer's API, signed by the auditor's
own gateway with the key it holds (``POST /v1/reports/sign``, what the console's "Sign this
report" calls), then verified by the indexer (``POST /v1/reports/verify``: the signer an active
auditor on chain, the figures recomputed) and, as anyone would from a terminal, by
``tracenet indexer verify-report``."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tracenet.demo._network import Network, indexer_env
from tracenet.demo._play import Player
from tracenet.demo._procs import tracenet_argv, wait_until
from tracenet.demo.errors import DemoError, SurpriseError

__all__ = ["audit", "read_indexer", "run_tracenet", "wait_for_mirror"]


def read_indexer(net: Network, key: str, path: str, **params: Any) -> Any:
    """GET ``path`` from the indexer API with a read key; its JSON (DemoError unless 200)."""
    headers = {"Authorization": f"Bearer {key}", "X-API-Key": key}
    with httpx.Client(base_url=net.indexer_url, headers=headers, trust_env=False) as http:
        response = http.get(path, params=params, timeout=30.0)
    if response.status_code != 200:
        raise DemoError(f"indexer {path}: HTTP {response.status_code} {response.text[:200]}")
    return response.json()


def _mirrored_block(status: dict[str, Any]) -> int:
    block = status.get("block_number")
    return int(block) if block is not None else -1


def wait_for_mirror(net: Network, key: str, block: int) -> None:
    """Until the indexer has mirrored ``block`` (DemoError after two minutes)."""
    wait_until(
        lambda: _mirrored_block(read_indexer(net, key, "/v1/status")) >= block,
        timeout=120,
        what=f"the indexer to mirror block {block}",
    )


def audit(p: Player, class_key: str, period: int) -> dict[str, Any]:
    """Wait for the mirror to reach the story's last block; audit, sign and verify."""
    net, key = p.net, p.net.indexer_keys["auditor"]
    label = p.label(period)
    p.chapter(f"12. The auditor reconciles {class_key} up to {label} (R13) and signs the audit")
    wait_for_mirror(net, key, max((r.outcome.block or 0) for r in p.records))
    route = f"/v1/classes/{class_key}/audit"
    report = read_indexer(net, key, route, period=label)
    p.say(
        f"  ok   auditor   GET {net.indexer_url}{route}?period={label}: "
        f"reconciles={report.get('reconciles')}"
    )
    if report.get("reconciles") is not True:
        raise SurpriseError(f"auditor: audit of {class_key} {label}", "reconciles", str(report))
    signed = _sign(p, report)
    p.facts["audit_query"] = f"class_id={class_key}&period={label}"  # the console's audit link
    path = net.directory / f"audit-{class_key}-{label}.json"
    path.write_text(json.dumps(signed, indent=2, sort_keys=True))
    checked = _post(net.indexer_url, key, "/v1/reports/verify", signed)
    p.say(
        f"  ok   auditor   POST {net.indexer_url}/v1/reports/verify: valid, signed by "
        f"{checked['signer']} for {checked['party']} (party {checked['party_id']})"
    )
    verdict = run_tracenet(net, "indexer", "verify-report", str(path.absolute()))
    p.say(
        f"  ok   auditor   signed audit written to {path}; tracenet indexer verify-report: "
        f"{verdict}"
    )
    if not verdict.startswith("valid"):
        raise SurpriseError("auditor: verify the signed audit", "valid", verdict)
    p.facts["audit_file"] = str(path)
    return dict(signed)


def _sign(p: Player, report: dict[str, Any]) -> dict[str, Any]:
    """The report signed by the auditor's gateway: the key never leaves it."""
    url, key = p.net.gateway_url("auditor"), p.net.gateway_keys["auditor"]
    document: dict[str, Any] = _post(url, key, "/v1/reports/sign", {"report": report})
    p.say(
        f"  ok   auditor   POST {url}/v1/reports/sign: signed by {document['signature']['signer']}"
    )
    return document


def _post(base_url: str, key: str, path: str, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, trust_env=False) as http:
        response = http.post(path, json=body, timeout=60.0)
    if response.status_code != 200:
        raise DemoError(f"{base_url}{path}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()


def run_tracenet(net: Network, *args: str, **env: str) -> str:
    """``tracenet …`` with the indexer's settings; its standard output (DemoError on failure)."""
    what = f"tracenet {' '.join(args[:2])}"
    done = net.children.run(
        tracenet_argv(*args), {**indexer_env(net), **env}, timeout=120, what=what
    )
    if done.returncode != 0:
        line = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise DemoError(f"{what} exited {done.returncode}: {line}")
    return done.stdout.strip()
