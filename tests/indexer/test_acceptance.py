"""Issue 19 in the indexer: a shipment awaiting acceptance, rejected, accepted, recalled and
settled — its state in the shipment list, the statement, R13's in-transit column, the lineage
(returned credits are the sender's again, nothing unexplained), the verifier and the SD."""

from __future__ import annotations

import warnings

from eth_tester import EthereumTester
from sqlalchemy import Engine
from web3 import EthereumTesterProvider, Web3

from tests import factories as f
from tests import model as m
from tracenet.indexer import Follower
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.api._reports import statement
from tracenet.indexer.api._reports_class import supply_audit
from tracenet.indexer.verifier._chainread import read_chain
from tracenet.indexer.verifier._declaration import declaration, to_markdown
from tracenet.indexer.verifier._verify import verify

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

T = 1_000_000
Q1 = 244


def story(w: f.World) -> tuple[int, int, int, int]:
    """ISCC PLUS needs acceptance (3 days, returned when unanswered). The recycler ships 3 t to
    the resin maker (rejected), 2 t (accepted), 1 t (recalled) and 1 t (left pending)."""
    c = w.cast
    w.ok("set_acceptance", c.admin, f.S_PLUS, m.ACCEPTANCE_REQUIRED, 3 * f.DAY, m.SETTLE_RETURNED)
    r = w.ok("record_input", c.recycler, f.C_FLAKE, 10 * T, f.CERT_RECYCLER, f.evidence())
    flake = w.events(r, "InputRecorded")[0]["tokenId"]
    ids = []
    for tonnes in (3, 2, 1, 1):
        w.ok("ship", c.recycler, f.U_RESIN, f.G_FLAKE, tonnes * T, f.evidence(),
             [(flake, tonnes * T)])  # fmt: skip
        ids.append(w.model.shipments)
    rejected, accepted, recalled, pending = ids
    w.ok("reject", c.resin, rejected, "moisture 4 % over contract")
    w.ok("accept", c.resin, accepted)
    w.ok("recall", c.recycler, recalled)
    # The returned credits are the recycler's again: shipped on, their lineage is whole.
    w.ok("ship", c.recycler, f.U_BRAND, f.G_FLAKE, 3 * T, f.evidence(), [(flake, 3 * T)])
    w.ok("accept", c.brand, w.model.shipments)
    return rejected, accepted, recalled, pending


def test_states_statement_and_the_audit_s_in_transit_column(
    world: f.World, follower: Follower, engine: Engine
) -> None:
    rejected, accepted, recalled, pending = story(world)
    follower.catch_up()
    with engine.connect() as conn:
        audit = supply_audit(conn, class_id=f.C_FLAKE, period=Q1)
        rec = statement(conn, unit_id=f.U_RECYCLER, class_id=f.C_FLAKE, period=Q1)
        res = statement(conn, unit_id=f.U_RESIN, class_id=f.C_FLAKE, period=Q1)
    total = audit["total"]
    assert total["in_transit_g"] == T  # the pending shipment
    assert (total["created_g"], total["held_g"], total["returned_g"]) == (10 * T, 9 * T, 4 * T)
    assert audit["reconciles"], audit
    assert rec["balanced"] and rec["returned_g"] == 4 * T
    assert rec["closing_g"] == 10 * T - 2 * T - 3 * T - T  # accepted, shipped on, pending
    assert res["received_g"] == 2 * T and res["closing_g"] == 2 * T and res["balanced"]

    app = create_app(engine)
    with engine.begin() as conn:
        key = create_key(conn, party_id=f.P_RESIN)
    client = TestClient(app)
    listed = client.get("/v1/shipments", headers={"X-API-Key": key}).json()["shipments"]
    states = {s["shipment_id"]: s["acceptance"] for s in listed}
    assert states[rejected]["state"] == "rejected"
    assert states[rejected]["reason"] == "moisture 4 % over contract"
    assert states[rejected]["text"].endswith(": moisture 4 % over contract")
    assert states[accepted]["state"] == "accepted"
    assert states[recalled]["state"] == "recalled"
    assert states[pending]["state"] == "pending"
    assert states[pending]["text"].startswith("awaiting acceptance until ")
    inbox = client.get(
        "/v1/shipments", params={"acceptance": "pending"}, headers={"X-API-Key": key}
    ).json()["shipments"]
    assert [s["shipment_id"] for s in inbox] == [pending]


def test_verify_and_the_sd_say_where_a_shipment_stands() -> None:
    w = f.bootstrap(Web3(EthereumTesterProvider(EthereumTester())))
    rejected, accepted, _, pending = story(w)
    record = read_chain(w.w3, w.handle.deployment)
    onward = verify(record, "shipment", w.model.shipments)
    assert onward.ok, [c for c in onward.checks if not c.ok]
    assert not [c for c in onward.checks if c.code == "conservation" and not c.ok]
    said = {c.subject: c for c in onward.checks if c.code == "acceptance"}
    assert said[f"shipment:{w.model.shipments}"].detail.startswith("accepted by the recipient")
    back = verify(record, "shipment", rejected)
    [check] = [c for c in back.checks if c.code == "acceptance"]
    assert check.warning and "moisture 4 % over contract" in check.detail
    waiting = verify(record, "shipment", pending)
    [check] = [c for c in waiting.checks if c.code == "acceptance"]
    assert check.warning and check.detail.startswith("awaiting the recipient's acceptance")
    sd = declaration(record, rejected)
    assert sd["acceptance"] == {"accepted": False, "text": check_text(back)}
    assert "- Acceptance: rejected on " in to_markdown(sd)
    assert declaration(record, accepted)["acceptance"]["accepted"] is True


def check_text(verdict: object) -> str:
    [check] = [c for c in verdict.checks if c.code == "acceptance"]  # type: ignore[attr-defined]
    return str(check.detail)


def test_the_sd_document_states_the_acceptance() -> None:
    from tracenet.indexer.verifier._sd_document import sd_fields

    w = f.bootstrap(Web3(EthereumTesterProvider(EthereumTester())))
    rejected, *_ = story(w)
    record = read_chain(w.w3, w.handle.deployment)
    fields = dict(sd_fields(declaration(record, rejected), "https://console.example"))
    assert fields["Acceptance"].startswith("rejected on ")
    assert fields["Acceptance"].endswith(
        "moisture 4 % over contract (the credits went back to the sender)"
    )
    plain = dict(sd_fields(declaration(record, w.model.shipments), "https://console.example"))
    assert plain["Acceptance"].startswith("accepted by the recipient on ")
