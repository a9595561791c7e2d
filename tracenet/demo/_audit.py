"""The auditor's part: a supply audit (R13) read from the indexer's API, then signed with the
auditor's key and verified, with the indexer's commands (``tracenet indexer audit --sign``,
``tracenet indexer verify-report``), as an auditor would from a terminal."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import httpx

from tracenet.demo._network import Network, indexer_env
from tracenet.demo._play import Player
from tracenet.demo._procs import tracenet_argv, wait_until
from tracenet.demo.errors import DemoError, SurpriseError

__all__ = ["audit"]


def _read(net: Network, key: str, path: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}", "X-API-Key": key}
    with httpx.Client(base_url=net.indexer_url, headers=headers, trust_env=False) as http:
        response = http.get(path, params=params, timeout=30.0)
    if response.status_code != 200:
        raise DemoError(f"indexer {path}: HTTP {response.status_code} {response.text[:200]}")
    return response.json()


def _mirrored_block(status: dict[str, Any]) -> int:
    block = status.get("blockNumber", status.get("block_number"))
    return int(block) if block is not None else -1


def audit(p: Player, class_key: str, period: int) -> dict[str, Any]:
    """Wait for the mirror to reach the story's last block; audit, sign and verify."""
    net, key = p.net, p.net.indexer_keys["auditor"]
    label = p.label(period)
    p.chapter(f"9. The auditor reconciles {class_key} up to {label} (R13) and signs the audit")
    last = max((r.outcome.block or 0) for r in p.records)
    wait_until(
        lambda: _mirrored_block(_read(net, key, "/v1/status")) >= last,
        timeout=120,
        what=f"the indexer to mirror block {last}",
    )
    class_id = net.registry["classes"][class_key]
    route = f"/v1/classes/{class_key}/audit"
    report = _read(net, key, route, period=label)
    p.say(
        f"  ok   auditor   GET {net.indexer_url}{route}?period={label}: "
        f"reconciles={report.get('reconciles')}"
    )
    if report.get("reconciles") is not True:
        raise SurpriseError(f"auditor: audit of {class_key} {label}", "reconciles", str(report))
    signed = _sign(p, class_id, label)
    path = net.directory / f"audit-{class_key}-{label}.json"
    path.write_text(json.dumps(signed, indent=2, sort_keys=True))
    verdict = _run(net, "indexer", "verify-report", str(path.absolute()))
    p.say(
        f"  ok   auditor   signed audit written to {path}; tracenet indexer verify-report: "
        f"{verdict}"
    )
    if not verdict.startswith("valid"):
        raise SurpriseError("auditor: verify the signed audit", "valid", verdict)
    p.facts["audit_file"] = str(path)
    return dict(signed)


def _sign(p: Player, class_id: int, period: str) -> dict[str, Any]:
    home = p.net.party_dir("auditor").absolute()
    out = _run(
        p.net,
        "indexer",
        "audit",
        "--class",
        str(class_id),
        "--period",
        str(period),
        "--sign",
        "auditor",
        "--passphrase-file",
        str(home / "passphrase"),
        TRACENET_WALLET_DIR=str(home / "wallet"),
    )
    try:
        document = json.loads(out)
    except ValueError as exc:
        raise DemoError(f"tracenet indexer audit --sign printed no JSON: {out[:200]}") from exc
    if not isinstance(document, dict) or "signature" not in document:
        raise DemoError("tracenet indexer audit --sign returned no signature")
    return document


def _run(net: Network, *args: str, **env: str) -> str:
    """``tracenet …`` with the indexer's settings; its standard output (DemoError on failure)."""
    done = subprocess.run(
        tracenet_argv(*args),
        env={**indexer_env(net), **env},
        capture_output=True,
        text=True,
        cwd=net.directory,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        line = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise DemoError(f"tracenet {' '.join(args[:2])} exited {done.returncode}: {line}")
    return done.stdout.strip()
