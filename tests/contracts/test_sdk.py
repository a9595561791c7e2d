"""The ledger SDK: generated records, the event decoder and the request builders."""

from __future__ import annotations

import dataclasses
import json
import shutil
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3

from tests.factories import (
    C_FLAKE,
    CERT_RECYCLER,
    G_FLAKE,
    U_RECYCLER,
    U_RESIN,
    ZERO,
    World,
    evidence,
)
from tracenet import contracts
from tracenet.cli import main
from tracenet.contracts import records
from tracenet.contracts._codegen import RECORDS_PATH, generate, snake
from tracenet.contracts._config import BUILD_DIR
from tracenet.contracts._record import checksum
from tracenet.contracts.errors import LedgerRevert
from tracenet.node._config import SchemeSpec

_NAMES = contracts.LEDGER_CONTRACTS


def test_records_match_the_committed_abis() -> None:
    assert RECORDS_PATH.read_text(encoding="utf-8") == generate(), (
        "contracts/records.py is stale: run `tracenet contracts codegen` and commit it"
    )


def test_every_event_and_function_has_exactly_one_record() -> None:
    events, functions = set(), set()
    for name in contracts.LEDGER_CONTRACTS:
        for entry in contracts.load_artifact(name).abi:
            if entry["type"] == "event":
                events.add((name, entry["name"]))
            elif entry["type"] == "function" and (
                entry["stateMutability"] != "pure" or entry["outputs"]
            ):
                functions.add((name, entry["name"]))
    assert {(c.CONTRACT, c.NAME) for c in records.EVENTS} == events
    calls = records.OPERATIONS + records.QUERIES
    assert sorted((c.CONTRACT, c.FUNCTION) for c in calls) == sorted(functions)
    assert len({c.TOPIC for c in records.EVENTS}) == len(records.EVENTS)


def test_a_new_event_appears_after_codegen_and_check_fails_until_then(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build = tmp_path / "build"
    shutil.copytree(BUILD_DIR, build)
    out = tmp_path / "records.py"
    cli = ["contracts", "codegen", "--build-dir", str(build), "--out", str(out)]
    assert main(cli) == 0
    assert main([*cli, "--check"]) == 0
    path = build / "Ledger.json"
    artifact = json.loads(path.read_text())
    artifact["abi"].append(
        {
            "type": "event", "name": "StockAudited", "anonymous": False,
            "inputs": [
                {"name": "unitId", "type": "uint32", "indexed": True, "internalType": "uint32"},
                {"name": "stockG", "type": "uint256", "indexed": False, "internalType": "uint256"},
            ],
        }
    )  # fmt: skip
    path.write_text(json.dumps(artifact))
    capsys.readouterr()
    assert main([*cli, "--check"]) == 1
    assert "stale" in (err := capsys.readouterr().err) and err.count("\n") == 1
    assert main(cli) == 0
    text = out.read_text()
    assert "class StockAudited(_Event):" in text and "    stock_g: int\n" in text


def test_snake_case_names() -> None:
    assert snake("tokenIds") == "token_ids"
    assert snake("maxShareBps_") == "max_share_bps"
    assert snake("from") == "from_"
    assert [f.name for f in records.TransferBatch.FIELDS][:2] == ["operator", "from"]
    assert "from_" in [f.name for f in dataclasses.fields(records.TransferBatch)]


def test_enum_fields_are_typed_by_the_vocabulary() -> None:
    spec = _flake_spec()
    assert spec.model is contracts.Model.mass_balance
    assert records.Lapsed.FIELDS[3].wrap is contracts.LapseReason
    assert records.PartyRegistered.FIELDS[3].wrap is contracts.Role
    assert records.SchemeCustodySet.FIELDS[1].wrap is contracts.Custody
    request = records.SetSchemeCustody(scheme_id=1, custody=contracts.Custody.certified)
    assert request.to_args() == {"schemeId": 1, "custody": 2}
    # The consortium config names a scheme's custody mode by the vocabulary's names.
    custody = typing.get_args(SchemeSpec.model_fields["custody"].annotation)
    assert custody == tuple(c.name for c in contracts.Custody)


# ---- the decoder against the chain ---------------------------------------------------------


def _flake_spec() -> records.ClassSpec:
    return records.ClassSpec(
        name="rPET-flake 2", characteristic="recycled content", scheme_id=1,
        product_group_id=G_FLAKE, model=contracts.Model.mass_balance,
        attribution=contracts.Attribution.credit, period_months=3, window_periods=2,
        cap_at_stock=False, raw_material=0, waste=True, sustainable_factor=1_000,
        conventional_factor=3_000,
    )  # fmt: skip


def _story(world: World) -> list[Any]:
    """Receipts of a short story sent with the request builders only."""
    h, cast = world.handle, world.cast
    receipts = [world.send(h.function(records.RegisterClass(**_fields(_flake_spec()))), cast.admin)]
    tid = h.read(records.TokenIdOfQuery(class_id=C_FLAKE, vintage=0, batch=0))
    receipts.append(
        world.send(
            h.function(
                records.RecordInput(
                    class_id=C_FLAKE, amount=9_000, certificate_id=CERT_RECYCLER,
                    evidence_hash=evidence("sdk"),
                )
            ),
            cast.recycler,
        )
    )  # fmt: skip
    (recorded,) = [r for r in h.records(receipts[-1]) if isinstance(r, records.InputRecorded)]
    tid = recorded.token_id
    ship = records.Ship(
        to_unit_id=U_RESIN, product_group_id=G_FLAKE, quantity=10_000, document_hash=evidence(),
        order_ref=b"PO-7".ljust(32, b"\0"), product=ZERO, token_ids=(tid,), amounts=(4_000,),
    )  # fmt: skip
    receipts.append(world.send(h.function(ship), cast.recycler))
    return receipts


def _deep(value: Any) -> Any:
    if isinstance(value, Mapping):  # web3 gives structs as dicts by field name
        return tuple(_deep(v) for v in value.values())
    if isinstance(value, list | tuple):
        return tuple(_deep(v) for v in value)
    return value


def _fields(record: Any) -> dict[str, Any]:
    return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}


def test_records_agree_with_web3_on_every_log(world: World) -> None:
    """web3's own event decoding (``process_log``) is the independent reference."""
    _story(world)
    logs = world.w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"})
    assert len(logs) > 40
    addresses = world.handle.deployment.addresses
    contract = {"Consortium": world.consortium, "Catalog": world.catalog, "Ledger": world.ledger}
    names = set()
    for log in logs:
        record = contracts.decode_log(log, addresses)
        assert record is not None
        reference = contract[record.CONTRACT].events[record.NAME]().process_log(log)
        assert reference["address"] == addresses[record.CONTRACT]
        assert _deep(record.to_abi()) == _deep(tuple(reference["args"].values()))
        assert list(record.to_args()) == list(reference["args"])
        (legacy,) = contracts.decode_events({"logs": [log]}, addresses=addresses)
        assert (legacy.contract, legacy.event) == (record.CONTRACT, record.NAME)
        names.add(record.NAME)
    assert {"ClassRegistered", "InputRecorded", "Shipped", "CertificateRegistered"} <= names


def test_json_rpc_logs_decode_like_web3_logs(world: World) -> None:
    (receipt, *_) = _story(world)[-1:]
    raw = [
        {
            "address": log["address"].lower(),
            "topics": ["0x" + bytes(t).hex() for t in log["topics"]],
            "data": "0x" + bytes(log["data"]).hex(),
        }
        for log in receipt["logs"]
    ]
    assert contracts.decode_logs(raw) == world.handle.records(receipt)
    (shipped,) = [e for e in contracts.decode_logs(raw) if isinstance(e, records.Shipped)]
    assert (shipped.from_unit_id, shipped.to_unit_id, shipped.amounts) == (
        U_RECYCLER, U_RESIN, (4_000,)
    )  # fmt: skip
    assert shipped.to_args()["orderRef"] == "0x" + b"PO-7".ljust(32, b"\0").hex()


def test_logs_of_other_addresses_and_unknown_topics_are_left_out(world: World) -> None:
    receipt = _story(world)[-1]
    decoder = contracts.EventDecoder(
        {**world.handle.deployment.addresses, "Ledger": "0x" + "11" * 20}
    )
    assert [e for e in decoder.decode_receipt(receipt) if e.CONTRACT == "Ledger"] == []
    assert contracts.decode_log({"address": "0x" + "11" * 20, "topics": [], "data": "0x"}) is None
    unknown = {"address": "0x" + "11" * 20, "topics": ["0x" + "ab" * 32], "data": "0x"}
    assert contracts.decode_log(unknown) is None


def test_a_malformed_log_of_a_known_event_names_the_event() -> None:
    topic = "0x" + records.Shipped.TOPIC.hex()
    log = {"address": "0x" + "11" * 20, "topics": [topic], "data": "0x00"}
    with pytest.raises(ValueError, match="malformed Shipped log"):
        contracts.decode_log(log)


def test_views_read_as_records(world: World) -> None:
    h = world.handle
    info = h.read(records.ClassInfoQuery(class_id=C_FLAKE))
    assert isinstance(info, records.ClassInfo)
    assert info == records.ClassInfo.from_abi(h.catalog.functions.classInfo(C_FLAKE).call())
    assert info.model is contracts.Model.mass_balance and info.exists
    party = h.read(records.PartyOfQuery(party_id=4))
    assert isinstance(party, records.PartyOf) and party.active
    assert party.roles == contracts.Role.member | contracts.Role.origin
    counts = h.read(records.LedgerCountsQuery())
    assert isinstance(counts, records.LedgerCounts) and counts.inputs == 0
    supplies = h.read(records.SupplyOfBatchQuery(class_ids=(C_FLAKE, 2)))
    assert len(supplies) == 2 and all(isinstance(s, records.Supply) for s in supplies)
    assert h.read(records.LedgerQuery()) == h.deployment.addresses["Ledger"]
    with pytest.raises(LedgerRevert) as caught:
        h.read(records.ClassInfoQuery(class_id=999))
    assert caught.value.name == "ClassUnknown"


# ---- builders and the fast decoder against eth-abi, for any values -------------------------


def _values(abi_type: str, wrap: Any) -> st.SearchStrategy[Any]:
    if abi_type.endswith("[]"):
        return st.lists(_values(abi_type[:-2], wrap), max_size=3).map(tuple)
    if wrap is not None and issubclass(wrap, contracts.StructRecord):
        return _record(wrap)
    if wrap is not None:
        return st.sampled_from(list(wrap))
    if abi_type.startswith("uint"):
        return st.integers(0, 2 ** int(abi_type[4:] or 256) - 1)
    if abi_type == "bool":
        return st.booleans()
    if abi_type == "address":
        return st.binary(min_size=20, max_size=20).map(checksum)
    if abi_type == "string":
        return st.text(max_size=40)
    if abi_type.startswith("bytes"):
        size = int(abi_type[5:])
        return st.binary(min_size=size, max_size=size)
    raise AssertionError(abi_type)


def _record(cls: Any) -> st.SearchStrategy[Any]:
    names = [f.name for f in dataclasses.fields(cls)]
    parts = [_values(f.abi_type, f.wrap) for f in cls.FIELDS]
    return st.tuples(*parts).map(lambda vs: cls(**dict(zip(names, vs, strict=True))))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_builders_encode_like_web3(data: st.DataObject) -> None:
    contract = {n: Web3().eth.contract(abi=contracts.load_artifact(n).abi) for n in _NAMES}
    for cls in records.OPERATIONS + records.QUERIES:
        call = data.draw(_record(cls), label=cls.__name__)
        expected = contract[cls.CONTRACT].encode_abi(cls.FUNCTION, args=list(call.args()))
        assert "0x" + call.encode().hex() == expected, cls.__name__


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_decoder_inverts_eth_abi_for_every_event(data: st.DataObject) -> None:
    for cls in records.EVENTS:
        record = data.draw(_record(cls), label=cls.NAME)
        values = record.to_abi()
        topics = [cls.TOPIC] + [
            encode([f.canonical()], [v])
            for f, v in zip(cls.FIELDS, values, strict=True)
            if f.indexed
        ]
        body = [
            (f.canonical(), v) for f, v in zip(cls.FIELDS, values, strict=True) if not f.indexed
        ]
        log = {
            "address": "0x" + "22" * 20,
            "topics": topics,
            "data": encode([t for t, _ in body], [v for _, v in body]),
        }
        assert contracts.decode_log(log) == record
