"""``POST /v1/reports/verify``: the indexer says whether an uploaded signed report holds, which
auditor party signed it, and refuses a bad signature, a non-auditor signer or altered figures,
each with its stable code."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import Engine

from tests.factories import C_FLAKE, CERT_RECYCLER, P_AUDITOR, P_BRAND, P_RECYCLER, World, evidence
from tests.indexer.test_reports import T, flakes_to_resin
from tests.indexer.test_signed_report import _audit, _signer_of
from tracenet.cli import main
from tracenet.indexer import Follower, create_app
from tracenet.indexer.api import _cli_api
from tracenet.indexer.api._keys import create_key
from tracenet.wallet import LocalSigner, sign_report

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette would rather have httpx2
    from fastapi.testclient import TestClient


def test_a_signed_report_is_verified_over_http(
    world: World, follower: Follower, engine: Engine
) -> None:
    flakes_to_resin(world)
    auditor, member = _signer_of(world, P_AUDITOR), _signer_of(world, P_RECYCLER)
    report: Any = _audit(world, follower, engine)
    report = json.loads(json.dumps(report))  # as the API shows it
    with engine.begin() as conn:
        key = create_key(conn, P_BRAND)  # a buyer's key: no auditor needed to verify
    registry = {"parties": {"auditor": P_AUDITOR}}
    app = create_app(engine, registry, ledger=lambda: world.handle)
    client = TestClient(app, headers={"X-API-Key": key})

    def verify(document: Any) -> Any:
        return client.post("/v1/reports/verify", json=document)

    good = verify(sign_report(report, auditor))
    assert good.status_code == 200, good.text
    body = good.json()
    assert (body["valid"], body["signer"], body["party_id"], body["party"]) == (
        True, auditor.address, P_AUDITOR, "auditor",
    )  # fmt: skip
    assert body["block_number"] == report["as_of"]["block_number"]

    # More flakes recorded in the same (open) period: the report, as of its block, still holds.
    world.ok("record_input", world.cast.recycler, C_FLAKE, T, CERT_RECYCLER, evidence("later"))
    follower.catch_up()
    assert _audit(world, follower, engine)["total"] != report["total"]  # type: ignore[index]
    later = verify(sign_report(report, auditor))
    assert later.status_code == 200, later.text

    by_member = verify(sign_report(report, member)).json()
    assert (by_member["code"], by_member["error"]) == ("TN-IX-400-02", "SignerNotAuditor")
    assert by_member["args"]["party_id"] == P_RECYCLER
    stranger = verify(sign_report(report, LocalSigner(Account.create()))).json()
    assert stranger["error"] == "SignerNotAuditor"

    tampered = sign_report(report, auditor)
    tampered["report"]["total"]["claimed_g"] += 1
    assert verify(tampered).json()["error"] == "SignatureInvalid"

    altered = dict(report, total={**report["total"], "claimed_g": report["total"]["claimed_g"] + 1})
    differ = verify(sign_report(altered, auditor))
    assert differ.status_code == 400
    assert (differ.json()["code"], differ.json()["args"]["differ"]) == ("TN-IX-400-03", ["total"])

    assert verify({"report": 1}).json()["error"] == "SignatureInvalid"
    assert client.post("/v1/reports/verify", json=[1]).status_code == 422
    assert TestClient(app).post("/v1/reports/verify", json={}).status_code == 401


def test_the_cli_gives_the_api_s_verdict_on_every_report(
    world: World,
    follower: Follower,
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 26: ``tracenet indexer verify-report`` runs what ``POST /v1/reports/verify`` runs
    (``verify_signed``): altered figures are refused by both, with the same code."""
    flakes_to_resin(world)
    auditor, member = _signer_of(world, P_AUDITOR), _signer_of(world, P_RECYCLER)
    report: Any = json.loads(json.dumps(_audit(world, follower, engine)))
    with engine.begin() as conn:
        key = create_key(conn, P_BRAND)
    client = TestClient(create_app(engine, {}, ledger=lambda: world.handle))
    record = tmp_path / "deployment.json"
    world.handle.deployment.save(record)
    # the ledger the CLI attaches to: this test's chain (no JSON-RPC endpoint on eth-tester)
    monkeypatch.setattr(_cli_api, "_ledger", lambda url, deployment: lambda: world.handle)
    common = ["--database-url", db_url, "--rpc-url", "http://127.0.0.1:1", "--deployment"]
    created = dict(report, total={**report["total"], "created_g": report["total"]["created_g"] + 1})
    documents = {
        "good": sign_report(report, auditor),
        "created + 1": sign_report(created, auditor),
        "by a member": sign_report(report, member),
    }
    tampered = json.loads(json.dumps(documents["good"]))
    tampered["report"]["total"]["claimed_g"] += 1  # after signing
    documents["tampered after signing"] = tampered
    verdicts: dict[str, str] = {}
    for name, document in documents.items():
        answer = client.post("/v1/reports/verify", json=document, headers={"X-API-Key": key})
        path = tmp_path / "report.json"
        path.write_text(json.dumps(document))
        code = main(["indexer", "verify-report", str(path), *common, str(record)])
        out, err = capsys.readouterr()
        if answer.status_code == 200:
            assert code == 0, (name, err)
            assert out.startswith(f"valid: signed by {auditor.address} for party {P_AUDITOR}")
            assert "its figures are the chain's" in out
            continue
        body = answer.json()
        assert code == 1, (name, out, err)
        assert err.startswith(f"invalid: {body['code']} {body['error']}: "), (name, err)
        assert body["message"] in err
        verdicts[name] = body["code"]
    assert verdicts == {
        "created + 1": "TN-IX-400-03",
        "by a member": "TN-IX-400-02",
        "tampered after signing": "TN-IX-400-01",
    }
