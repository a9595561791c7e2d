"""Verifying claims and shipments from the chain record alone; each rule broken by tampering."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_tester import EthereumTester
from web3 import EthereumTesterProvider, Web3

from tests import factories as f
from tests._support import free_port
from tracenet import contracts
from tracenet.cli import main
from tracenet.contracts import CertificateStatus, EventRecord
from tracenet.contracts import records as R
from tracenet.indexer.errors import NotFoundError
from tracenet.indexer.mirror._decode import Event, EventRef
from tracenet.indexer.verifier import _verify_cli
from tracenet.indexer.verifier._chainread import (
    ChainRecord,
    DeploymentMismatch,
    read_chain,
    read_logs,
)
from tracenet.indexer.verifier._record import StatusChange
from tracenet.indexer.verifier._verify import Verdict, verify
from tracenet.indexer.verifier._verify_cli import render_json, render_text
from tracenet.node import AnvilNode, NodeSettings

#: shipment 4 of the scenario: conventional resin, no credit lines
CONVENTIONAL = 4


@dataclasses.dataclass(frozen=True)
class Scenario:
    world: f.World
    record: ChainRecord
    flake: int
    resin: int
    glass: int


def build_scenario(w3: Web3) -> Scenario:
    """Flakes in (two inputs) → shipped → resin → part moved in the boundary → shipped → claimed;
    segregated cullet shipped; 3 t of conventional resin delivered (shipment 4, no credit lines);
    a later factor and a later revocation that change nothing."""
    w = f.bootstrap(w3)
    c = w.cast
    w.travel(f.at(2031, 2, 1))
    r = w.ok("record_input", c.recycler, f.C_FLAKE, 10_000_000, f.CERT_RECYCLER, f.evidence())
    flake = w.events(r, "InputRecorded")[0]["tokenId"]
    w.ok("record_input", c.recycler, f.C_FLAKE, 4_000_000, f.CERT_RECYCLER, f.evidence())
    w.ok("ship", c.recycler, f.U_RESIN, f.G_FLAKE, 6_000_000, f.evidence(), [(flake, 6_000_000)])
    r = w.ok("convert", c.resin, f.PR_RESIN, 0, [(flake, 6_000_000)])
    resin = w.events(r, "Converted")[0]["outputTokenId"]
    w.ok("transfer_inventory", c.resin, f.U_RESIN2, [(resin, 400_000)])
    w.ok("ship", c.resin, f.U_BRAND, f.G_RESIN, 5_000_000, f.evidence(), [(resin, 5_000_000)])
    w.ok("claim", c.brand, [(resin, 1_000_000)], "Acme Bottles")
    r = w.ok("record_input", c.recycler, f.C_GLASS, 2_000_000, f.CERT_RECYCLER, f.evidence())
    glass = w.events(r, "InputRecorded")[0]["tokenId"]
    w.ok("ship", c.recycler, f.U_BRAND, f.G_GLASS, 20_000_000, f.evidence(), [(glass, 2_000_000)])
    w.ok("ship", c.resin, f.U_BRAND, f.G_RESIN, 3_000_000, f.evidence(), [])  # conventional
    later = f.at(2031, 3, 1)
    w.send(w.catalog.functions.registerFactor(f.PR_RESIN, 8_500, later, f.evidence()), c.certifier)
    # Suspended afterwards, effective before the inputs: the ledger accepted them then.
    suspend = w.consortium.functions.setCertificateStatus(
        f.CERT_RECYCLER, 1, f.START, "audit: mass balance not kept"
    )
    w.send(suspend, c.certifier)
    return Scenario(w, read_chain(w3, w.handle.deployment, max_range=7), flake, resin, glass)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return build_scenario(Web3(EthereumTesterProvider(EthereumTester())))


def check(verdict: Verdict, code: str, subject: str | None = None) -> list[bool]:
    return [c.ok for c in verdict.checks if c.code == code and subject in (None, c.subject)]


def failed(verdict: Verdict) -> set[str]:
    return {c.code for c in verdict.failures}


def _shipment(record: EventRecord) -> int | None:
    return record.shipment_id if isinstance(record, R.Shipped) else None


def replace_event(
    record: ChainRecord, match: Any, ref: EventRef | None = None, **changes: Any
) -> ChainRecord:
    """The record with every event whose record ``match``es changed (its fields, its place)."""
    events = [
        Event(ref or e.ref, dataclasses.replace(e.record, **changes)) if match(e.record) else e
        for e in record.events
    ]
    return dataclasses.replace(record, events=tuple(events))


# ---- the chain as it is --------------------------------------------------------------------


def test_a_valid_claim_holds_with_its_lineage(scenario: Scenario) -> None:
    verdict = verify(scenario.record, "claim", 1)
    assert verdict.ok, verdict.failures
    lineage = verdict.lineage
    assert lineage is not None
    assert [(o.input.input_id, o.grams) for o in lineage.origins] == [(1, 714_286), (2, 285_714)]
    kinds = [n.kind for n in lineage.nodes]
    assert kinds == ["input", "input", "shipment", "conversion", "shipment", "claim"]
    assert check(verdict, "conversion-factor", "conversion:1") == [True]
    assert len(check(verdict, "certificate-in-force")) == 2
    stated = [c for c in verdict.checks if c.code == "certificate-in-force"]
    words = "suspended from 2031-01-01T00:00:00Z (audit: mass balance not kept), recorded later"
    assert all(words in c.detail and c.warning for c in stated), stated
    assert set(verdict.warnings) == set(stated)  # reported, not failed
    assert check(verdict, "retired-once") == [True]
    # details name what a person knows: counts by kind, units and classes by name
    details = {c.code: c.detail for c in verdict.checks if c.subject in ("ledger", "conversion:1")}
    counted = r"(1 input|\d+ inputs), \d+ shipments?, (1 conversion|\d+ conversions), \d+ claims?"
    assert re.fullmatch(counted, details["records-complete"]), details["records-complete"]
    assert not re.search(r"\bunit \d|^\d+ -> \d+$", details["conversion-process"])
    assert not re.fullmatch(r"\d+ -> \d+", details["conversion-classes"])


def test_valid_shipments_hold_including_a_segregated_one(scenario: Scenario) -> None:
    assert verify(scenario.record, "shipment", 2).ok
    verdict = verify(scenario.record, "shipment", 3)
    assert verdict.ok, verdict.failures
    assert [o.input.input_id for o in verdict.lineage.origins] == [3]
    assert check(verdict, "segregation") == [True]
    assert check(verdict, "shipment-cap", "shipment:3") == [True]


def test_a_conventional_delivery_holds_with_nothing_upstream(scenario: Scenario) -> None:
    """A shipment with no credit lines (R10) is a shipment: a verdict, 0 g, nothing upstream."""
    verdict = verify(scenario.record, "shipment", CONVENTIONAL)
    assert verdict.ok and not verdict.warnings, verdict.failures
    lineage = verdict.lineage
    assert lineage.target.key == "shipment:4" and lineage.target.grams == 0
    assert [n.key for n in lineage.nodes] == ["shipment:4"]
    assert (lineage.edges, lineage.origins, lineage.unexplained) == ((), (), 0)
    assert check(verdict, "shipment-cap") == [True] and check(verdict, "conservation") == [True]
    text = render_text(verdict, scenario.record)
    assert text.startswith("shipment 4: HOLDS") and "a conventional delivery: no credits" in text
    assert "origins" not in text
    as_json = render_json(verdict)
    assert as_json["holds"] and as_json["lineage"]["nodes"][0]["amount_g"] == 0
    assert as_json["lineage"]["origins"] == [] and as_json["lineage"]["edges"] == []


def test_the_chain_record_is_read_in_adaptive_ranges(scenario: Scenario) -> None:
    r = scenario.record
    assert r.counts == (3, 4, 1, 1)
    assert sum(isinstance(e.record, R.InputRecorded) for e in r.events) == 3
    (change,) = r.certificate_changes[f.CERT_RECYCLER]
    assert (change.status.name, change.record.effective_at) == ("suspended", f.START)
    assert r.certificate_status[f.CERT_RECYCLER] == CertificateStatus.suspended
    assert [v.version for v in r.factors[f.PR_RESIN]] == [0, 1]
    assert r.units[f.U_RESIN].name == "Resin site A" and r.parties[f.P_BRAND].name == "Brand"


def test_a_node_refusing_large_ranges_gets_smaller_ones() -> None:
    class Eth:
        def __init__(self) -> None:
            self.asked: list[tuple[int, int]] = []

        def get_logs(self, params: dict[str, Any]) -> list[dict[str, int]]:
            lo, hi = params["fromBlock"], params["toBlock"]
            self.asked.append((lo, hi))
            if hi - lo + 1 > 5:
                raise ValueError("query exceeds max block range 5")
            return [{"blockNumber": b} for b in range(lo, hi + 1) if b % 3 == 0]

    class W3:
        eth = Eth()

    logs = read_logs(W3(), ["0x0"], 10, 60, max_range=1_000)  # type: ignore[arg-type]
    assert [log["blockNumber"] for log in logs] == list(range(12, 61, 3))
    served = [(lo, hi) for lo, hi in W3.eth.asked if hi - lo + 1 <= 5]
    assert served[0][0] == 10 and served[-1][1] == 60


# ---- tampered records: every rule's failure -------------------------------------------------


def test_a_claim_that_does_not_exist(scenario: Scenario) -> None:
    """Nothing to verify is no verdict: no checks, the error the API answers 404 with."""
    for kind, ident, error, code in [
        ("claim", 99, "ClaimUnknown", "TN-IX-404-05"),
        ("shipment", 42, "ShipmentUnknown", "TN-IX-404-04"),
    ]:
        with pytest.raises(NotFoundError) as caught:
            verify(scenario.record, kind, ident)
        e = caught.value
        assert (e.message, e.error, e.code, e.status) == (
            f"no {kind} {ident} on this chain", error, code, 404,
        )  # fmt: skip
        assert e.field == f"{kind}_id"


def test_tracenet_verify_of_no_claim_is_one_line(
    scenario: Scenario,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "deployment.json"
    scenario.world.handle.deployment.save(path)
    monkeypatch.setattr(_verify_cli, "read_chain", lambda *_, **__: scenario.record)
    common = ["--rpc-url", "http://127.0.0.1:1", "--deployment", str(path)]
    for extra in ([], ["--json"]):
        assert main(["verify", "claim", "99", *common, *extra]) == 1
        out, err = capsys.readouterr()
        assert out == ""  # no checks, no "FAILS"
        assert err == "tracenet: error: ClaimUnknown (TN-IX-404-05): no claim 99 on this chain\n"
    assert main(["verify", "claim", "1", *common]) == 0
    assert capsys.readouterr().out.startswith("claim 1: HOLDS")


def test_a_certificate_suspended_before_the_input(scenario: Scenario) -> None:
    r = scenario.record
    early = EventRef(r.events[0].ref.block_number - 1, 0, "0x" + "ab" * 32, 0)
    change = StatusChange(early, _stated(CertificateStatus.suspended, "audit"))
    tampered = _with_changes(r, change)
    verdict = verify(tampered, "claim", 1)
    assert failed(verdict) == {"certificate-in-force"}
    assert check(verdict, "certificate-in-force", "input:1") == [False]
    # reinstated before the input: in force again
    back = StatusChange(early, _stated(CertificateStatus.valid, "reinstated"))
    tampered = _with_changes(r, change, back)
    assert "certificate-in-force" not in failed(verify(tampered, "claim", 1))


def _stated(status: CertificateStatus, reason: str) -> R.CertificateStatusChanged:
    """The recycler's certificate set to ``status`` from the start, for ``reason``."""
    return R.CertificateStatusChanged(
        certificate_id=f.CERT_RECYCLER, status=status, effective_at=f.START, reason=reason
    )


def _with_changes(r: ChainRecord, *changes: StatusChange) -> ChainRecord:
    """The record with the recycler's certificate's status history replaced by ``changes``."""
    history = {**r.certificate_changes, f.CERT_RECYCLER: changes}
    return dataclasses.replace(r, certificate_changes=history)


def test_a_certificate_that_does_not_cover_the_input(scenario: Scenario) -> None:
    r = scenario.record
    cert = dataclasses.replace(
        r.certificates[f.CERT_RECYCLER], holder_party_id=f.P_OUTSIDER, valid_until=1, class_ids=()
    )
    tampered = dataclasses.replace(r, certificates={**r.certificates, f.CERT_RECYCLER: cert})
    failures = failed(verify(tampered, "claim", 1))
    assert failures == {"certificate-holder", "certificate-scope", "certificate-validity"}


def test_evidence_presented_twice(scenario: Scenario) -> None:
    first = next(e.record for e in scenario.record.events if isinstance(e.record, R.InputRecorded))
    tampered = replace_event(
        scenario.record,
        lambda e: isinstance(e, R.InputRecorded) and e.input_id == 2,
        evidence_hash=first.evidence_hash,
    )
    assert failed(verify(tampered, "claim", 1)) == {"evidence-unique"}


def test_a_factor_superseded_before_the_conversion(scenario: Scenario) -> None:
    r = scenario.record
    first = r.factors[f.PR_RESIN][0]
    early = R.FactorRegistered(f.PR_RESIN, 1, 9_500, f.START + f.DAY, b"\x01" * 32)
    tampered = dataclasses.replace(r, factors={**r.factors, f.PR_RESIN: (first, early)})
    verdict = verify(tampered, "claim", 1)
    assert failed(verdict) == {"conversion-factor"}
    assert "superseded by v1" in verdict.failures[0].detail
    # Issue 26: superseded at the very second of the conversion is superseded too.
    converted = next(e for e in r.events if isinstance(e.record, R.Converted))
    same = dataclasses.replace(early, effective_from=converted.ref.timestamp)
    tampered = dataclasses.replace(r, factors={**r.factors, f.PR_RESIN: (first, same)})
    assert failed(verify(tampered, "claim", 1)) == {"conversion-factor"}


def test_a_conversion_that_made_more_than_its_yield(scenario: Scenario) -> None:
    tampered = replace_event(
        scenario.record, lambda e: type(e).__name__ == "Converted", output_amount=6_000_000
    )
    assert failed(verify(tampered, "claim", 1)) == {"conversion-output"}


def test_an_over_cap_shipment(scenario: Scenario) -> None:
    tampered = replace_event(scenario.record, lambda e: _shipment(e) == 3, quantity=5_000_000)
    verdict = verify(tampered, "shipment", 3)
    assert failed(verdict) == {"shipment-cap"}
    assert "2,000,000 g > 5,000,000 g × 35.00 %" in verdict.failures[0].detail


def test_the_cap_of_a_shipment_rounds_down(scenario: Scenario) -> None:
    """Issue 26: 5,714,285 g × 35 % is 1,999,999.75 g: 2,000,000 g of credits are one over."""
    tampered = replace_event(scenario.record, lambda e: _shipment(e) == 3, quantity=5_714_285)
    verdict = verify(tampered, "shipment", 3)
    assert failed(verdict) == {"shipment-cap"}
    assert "= 1,999,999 g" in verdict.failures[0].detail


def test_a_shipment_over_one_hundred_percent(scenario: Scenario) -> None:
    tampered = replace_event(scenario.record, lambda e: _shipment(e) == 2, quantity=4_000_000)
    assert failed(verify(tampered, "claim", 1)) == {"shipment-cap"}


def test_a_lapsed_credit_moved(scenario: Scenario) -> None:
    def late(e: EventRecord) -> bool:
        return isinstance(e, R.Claimed)

    ref = next(e.ref for e in scenario.record.events if late(e.record))
    tampered = replace_event(scenario.record, late, ref=ref._replace(timestamp=f.at(2031, 7, 1)))
    verdict = verify(tampered, "claim", 1)
    assert failed(verdict) == {"window"}
    assert "lapsed at period" in verdict.failures[0].detail


def test_a_double_retired_claim(scenario: Scenario) -> None:
    r = scenario.record
    claim = next(e for e in r.events if isinstance(e.record, R.Claimed))
    again = claim._replace(ref=claim.ref._replace(block_number=10**6))
    verdict = verify(dataclasses.replace(r, events=(*r.events, again)), "claim", 1)
    assert {"retired-once", "target-exists", "records-complete"} <= failed(verdict)


def test_credits_that_never_entered(scenario: Scenario) -> None:
    tampered = replace_event(
        scenario.record,
        lambda e: isinstance(e, R.Shipped) and e.shipment_id == 1,
        token_ids=(scenario.flake,),
        amounts=(6_500_000,),
        quantity=7_000_000,
    )
    tampered = replace_event(tampered, lambda e: isinstance(e, R.InputRecorded), amount=1)
    verdict = verify(tampered, "claim", 1)
    assert "conservation" in failed(verdict)
    assert verdict.lineage is not None and verdict.lineage.unexplained > 0


def test_an_inventory_transfer_outside_the_boundary(scenario: Scenario) -> None:
    r = scenario.record
    claim = next(e for e in r.events if isinstance(e.record, R.Claimed))
    moved = Event(  # a claim of what was moved to the second resin site
        claim.ref._replace(block_number=10**6),
        dataclasses.replace(
            claim.record,
            claim_id=2,
            unit_id=f.U_RESIN2,
            token_ids=(scenario.resin,),
            amounts=(400_000,),
        ),
    )
    record = dataclasses.replace(
        r,
        events=(*r.events, moved),
        counts=(*r.counts[:3], 2),
        claimed={**r.claimed, f.C_RESIN: r.claimed[f.C_RESIN] + 400_000},
    )
    assert verify(record, "claim", 2).ok
    unit = dataclasses.replace(r.units[f.U_RESIN2], party_id=f.P_OUTSIDER)
    tampered = dataclasses.replace(record, units={**r.units, f.U_RESIN2: unit})
    verdict = verify(tampered, "claim", 2)
    assert failed(verdict) == {"boundary"}
    # Issue 26: one party's sites outside any boundary, or in two boundaries, fail alike.
    for here, there in [(0, 0), (1, 2), (1, 0)]:
        a = dataclasses.replace(r.units[f.U_RESIN], boundary_id=here)
        b = dataclasses.replace(r.units[f.U_RESIN2], boundary_id=there)
        tampered = dataclasses.replace(record, units={**r.units, f.U_RESIN: a, f.U_RESIN2: b})
        assert failed(verify(tampered, "claim", 2)) == {"boundary"}, (here, there)


def test_a_missing_event_is_found_by_the_counters(scenario: Scenario) -> None:
    r = scenario.record
    events = tuple(
        e for e in r.events if not (isinstance(e.record, R.Shipped) and e.record.shipment_id == 3)
    )
    assert failed(verify(dataclasses.replace(r, events=events), "claim", 1)) == {"records-complete"}


# ---- doctored deployment records -----------------------------------------------------------


@pytest.fixture
def chain(scenario: Scenario) -> Iterator[Web3]:
    tester = scenario.world.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    snapshot = tester.take_snapshot()
    yield scenario.world.w3
    tester.revert_to_snapshot(snapshot)


def test_a_record_pointing_at_another_ledger(scenario: Scenario, chain: Web3) -> None:
    other = contracts.deploy_ledger(chain, scenario.world.cast.admin, "Impostor")
    d = scenario.world.handle.deployment
    doctored = dataclasses.replace(d, addresses={**d.addresses, "Ledger": other.ledger.address})
    impostor = read_chain(chain, doctored)
    with pytest.raises(NotFoundError, match=r"no claim 1 on this chain \(and the deployment"):
        verify(impostor, "claim", 1)  # the impostor's ledger records no claim
    only = next(e for e in scenario.record.events if isinstance(e.record, R.Claimed))
    verdict = verify(dataclasses.replace(impostor, events=(only,)), "claim", 1)
    assert "deployment-wiring" in failed(verdict) and not verdict.ok


def test_a_record_with_no_code_at_an_address(scenario: Scenario, chain: Web3) -> None:
    d = scenario.world.handle.deployment
    nowhere = Web3.to_checksum_address("0x" + "12" * 20)
    doctored = dataclasses.replace(d, addresses={**d.addresses, "Catalog": nowhere})
    with pytest.raises(DeploymentMismatch, match="no code"):
        read_chain(chain, doctored)
    swapped = {**d.addresses, "Catalog": d.addresses["Consortium"]}
    with pytest.raises(DeploymentMismatch):
        read_chain(chain, dataclasses.replace(d, addresses=swapped))


# ---- the command line ------------------------------------------------------------------------


def test_an_unreachable_endpoint_is_exit_code_two(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deployment.json"
    scenario.world.handle.deployment.save(path)
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["verify", "claim", "1", "--rpc-url", url, "--deployment", str(path)]) == 2
    assert "cannot read the chain" in capsys.readouterr().err
    missing = str(tmp_path / "missing.json")
    assert main(["verify", "claim", "1", "--rpc-url", url, "--deployment", missing]) == 2
    assert main(["declaration", "shipment", "1", "--rpc-url", url, "--deployment", missing]) == 2


@pytest.mark.integration
def test_tracenet_verify_end_to_end_on_anvil(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The story on a real anvil, then buyers verify with nothing but RPC and the record."""
    node = AnvilNode(NodeSettings(data_dir=tmp_path / "node", port=free_port(), block_time=0))
    node.start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        w3.eth.set_gas_price_strategy(lambda *_: 0)  # legacy, free: the node's base fee is 0
        built = build_scenario(w3)
        record = str(tmp_path / "deployment.json")
        built.world.handle.deployment.save(Path(record))
        common = ["--rpc-url", node.rpc_url, "--deployment", record, "--max-block-range", "4"]

        assert main(["verify", "claim", "1", *common]) == 0
        out = capsys.readouterr().out
        assert out.startswith("claim 1: HOLDS") and "← input:1" in out
        assert "✓ conversion-factor (R5)" in out

        assert main(["verify", "shipment", "3", "--json", *common]) == 0
        verdict = json.loads(capsys.readouterr().out)
        assert verdict["holds"] and verdict["failed"] == 0
        assert {c["code"] for c in verdict["checks"]} >= {"shipment-cap", "segregation"}

        assert main(["verify", "shipment", "4", *common]) == 0  # the conventional delivery
        out = capsys.readouterr().out
        assert out.startswith("shipment 4: HOLDS") and "a conventional delivery" in out
        assert main(["declaration", "shipment", "4", "--json", *common]) == 0
        conventional = json.loads(capsys.readouterr().out)
        assert (conventional["credits_g"], conventional["sustainable_share_bps"]) == (0, 0)

        assert main(["verify", "claim", "2", *common]) == 1  # there is no claim 2
        assert capsys.readouterr().err.endswith(
            "ClaimUnknown (TN-IX-404-05): no claim 2 on this chain\n"
        )

        assert main(["declaration", "shipment", "2", "--json", *common]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["quantity_g"] == 5_000_000 and doc["sustainable_share_bps"] == 10_000
        assert doc["conversion_factors_upstream"][0]["yield_bps"] == 9_000
        assert main(["declaration", "shipment", "2", *common]) == 0
        assert "# Sustainability Declaration" in capsys.readouterr().out

        d = contracts.Deployment.load(Path(record))
        doctored = tmp_path / "doctored.json"
        swapped = {**d.addresses, "Ledger": d.addresses["Catalog"]}
        dataclasses.replace(d, addresses=swapped).save(doctored)
        bad = ["--rpc-url", node.rpc_url, "--deployment", str(doctored)]
        assert main(["verify", "claim", "1", *bad]) == 1
        assert "does not fit the chain" in capsys.readouterr().err
    finally:
        node.stop()
    assert main(["verify", "claim", "1", *common]) == 2  # the node is down
