"""``POST /v1/reports/verify``: the indexer says whether an uploaded signed report holds, which
auditor party signed it, and refuses a bad signature, a non-auditor signer or altered figures,
each with its stable code."""

from __future__ import annotations

import json
import warnings
from typing import Any

from eth_account import Account
from sqlalchemy import Engine

from tests.factories import C_FLAKE, CERT_RECYCLER, P_AUDITOR, P_BRAND, P_RECYCLER, World, evidence
from tests.indexer.test_reports import T, flakes_to_resin
from tests.indexer.test_signed_report import _audit, _signer_of
from tracenet.indexer import Follower, create_app
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
    assert (body["valid"], body["signer"], body["partyId"], body["party"]) == (
        True, auditor.address, P_AUDITOR, "auditor",
    )  # fmt: skip
    assert body["blockNumber"] == report["asOf"]["blockNumber"]

    # More flakes recorded in the same (open) period: the report, as of its block, still holds.
    world.ok("record_input", world.cast.recycler, C_FLAKE, T, CERT_RECYCLER, evidence("later"))
    follower.catch_up()
    assert _audit(world, follower, engine)["total"] != report["total"]  # type: ignore[index]
    later = verify(sign_report(report, auditor))
    assert later.status_code == 200, later.text

    by_member = verify(sign_report(report, member)).json()
    assert (by_member["code"], by_member["error"]) == ("TN-IX-4002", "SignerNotAuditor")
    assert by_member["args"]["partyId"] == P_RECYCLER
    stranger = verify(sign_report(report, LocalSigner(Account.create()))).json()
    assert stranger["error"] == "SignerNotAuditor"

    tampered = sign_report(report, auditor)
    tampered["report"]["total"]["claimed"] += 1
    assert verify(tampered).json()["error"] == "SignatureInvalid"

    altered = dict(report, total={**report["total"], "claimed": report["total"]["claimed"] + 1})
    differ = verify(sign_report(altered, auditor))
    assert differ.status_code == 400
    assert (differ.json()["code"], differ.json()["args"]["differ"]) == ("TN-IX-4003", ["total"])

    assert verify({"report": 1}).json()["error"] == "SignatureInvalid"
    assert client.post("/v1/reports/verify", json=[1]).status_code == 422
    assert TestClient(app).post("/v1/reports/verify", json={}).status_code == 401
