# ruff: noqa: E501  (the case table reads best one case per line)
"""Malformed and hostile writes: each gets its documented status and code, and changes nothing.

After every rejected request the chain's block number, the credits involved and the store's
request count are exactly what they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests import factories as f
from tests.factories import World
from tests.gateway.conftest import Harness, open_harness, world_snapshot
from tracenet.contracts import MAX_QUANTITY_G
from tracenet.wallet import LocalSigner

Q1_TOKEN = (f.C_FLAKE << 64) | (244 << 32)  # flake credits of Q1 2031: lapsed in Q3
Q3_TOKEN = (f.C_FLAKE << 64) | (246 << 32)  # flake credits of Q3 2031
GLASS = (f.C_GLASS << 64) | (244 << 32)
CULLET = GLASS | 2  # segregated: the batch is the input's id (the second input of _prepare)
BIO = (f.C_BIO << 64) | (738 << 32)  # bio-oil: monthly periods
SHORT_CERT = 4


def ship(**over: Any) -> dict[str, Any]:
    body = {
        "unit": "recycling-plant", "to_unit": "brand-dc", "product_group": "pet-flakes",
        "quantity": 1_000_000, "document_hash": "0x" + "ab" * 32, "order_ref": "PO-7",
        "product": "rPET flakes", "lines": [{"token_id": str(Q3_TOKEN), "amount": 500_000}],
    }  # fmt: skip
    body.update(over)
    return body


def line(amount: Any, token: int = Q3_TOKEN) -> dict[str, Any]:
    return {"unit": "recycling-plant", "to_unit": "brand-dc", "product_group": "pet-flakes",
            "quantity": 1_000_000, "document_hash": "0x" + "cd" * 32, "order_ref": "PO-8",
            "product": "rPET", "lines": [{"token_id": str(token), "amount": amount}]}  # fmt: skip


def record_input(**over: Any) -> dict[str, Any]:
    body = {"unit": "recycling-plant", "class": "rpet-flake", "amount": 1_000,
            "certificate": f.CERT_RECYCLER, "evidence_hash": "0x" + "ee" * 32}  # fmt: skip
    body.update(over)
    return body


# (case, path, body, who, extra headers, status, code)
CASES: list[tuple[str, str, Any, str, dict[str, str], int, str]] = [
    ("quantity negative", "/v1/shipments", ship(quantity=-5), "rec", {}, 422, "TN-GW-422-03"),
    ("quantity zero", "/v1/shipments", ship(quantity=0), "rec", {}, 422, "TN-GW-422-03"),
    ("quantity float", "/v1/shipments", ship(quantity=1.5), "rec", {}, 422, "TN-GW-422-02"),
    ("quantity integral float", "/v1/shipments", ship(quantity=1.0), "rec", {}, 422, "TN-GW-422-02"),
    ("quantity exponent", "/v1/shipments", ship(quantity="1e6"), "rec", {}, 422, "TN-GW-422-02"),
    ("quantity decimal string", "/v1/shipments", ship(quantity="12.5"), "rec", {}, 422, "TN-GW-422-02"),
    ("quantity boolean", "/v1/shipments", ship(quantity=True), "rec", {}, 422, "TN-GW-422-02"),
    ("quantity overflow", "/v1/shipments", ship(quantity=2**256), "rec", {}, 422, "TN-GW-422-04"),
    ("quantity overflow string", "/v1/shipments", ship(quantity=str(2**300)), "rec", {}, 422, "TN-GW-422-04"),
    ("line amount zero", "/v1/shipments", line(0), "rec", {}, 422, "TN-GW-422-03"),
    ("line amount negative string", "/v1/shipments", line("-5"), "rec", {}, 422, "TN-GW-422-03"),
    ("line amount float", "/v1/shipments", line(10.25), "rec", {}, 422, "TN-GW-422-02"),
    ("input amount float", "/v1/inputs", record_input(amount=2.5), "rec", {}, 422, "TN-GW-422-02"),
    ("unknown unit name", "/v1/shipments", ship(unit="nowhere"), "rec", {}, 422, "TN-GW-422-05"),
    ("unknown unit id", "/v1/shipments", ship(unit=999), "rec", {}, 422, "TN-GW-422-05"),
    ("unknown recipient", "/v1/shipments", ship(to_unit=77), "rec", {}, 422, "TN-GW-422-05"),
    ("foreign unit", "/v1/shipments", ship(unit="resin-a"), "rec", {}, 403, "TN-GW-403-02"),
    ("unknown class", "/v1/inputs", record_input(**{"class": "unobtainium"}), "rec", {}, 422, "TN-GW-422-06"),
    ("token of unknown class", "/v1/shipments", line(5, token=(99 << 64) | (246 << 32)), "rec", {}, 422, "TN-GW-422-06"),
    ("unknown product group", "/v1/shipments", ship(product_group=42), "rec", {}, 422, "TN-GW-422-15"),
    ("credits of another group", "/v1/shipments", ship(product_group="glass"), "rec", {}, 422, "TN-GW-422-31"),
    ("over cap", "/v1/shipments", ship(quantity=100), "rec", {}, 422, "TN-GW-422-01"),
    ("over the group's cap, under the quantity", "/v1/shipments", ship(product_group="glass", quantity=20_000_001, lines=[{"token_id": str(CULLET), "amount": 7_000_001}]), "rec", {}, 422, "TN-GW-422-01"),
    ("over-claim", "/v1/claims", {"unit": 1, "lines": [{"token_id": str(Q3_TOKEN), "amount": 10**12}], "beneficiary": "Brand", "product": "bottle", "purpose": "recycled"}, "rec", {}, 422, "TN-GW-422-12"),
    ("one gram over the balance", "/v1/claims", {"unit": 1, "lines": [{"token_id": str(Q3_TOKEN), "amount": 9_500_001}], "beneficiary": "Brand", "product": "bottle", "purpose": "recycled"}, "rec", {}, 422, "TN-GW-422-12"),
    ("one gram over the audited volume left", "/v1/inputs", record_input(unit="resin-a", certificate=f.CERT_RESIN, amount=f.RESIN_AUDITED_VOLUME - 1_000 + 1), "resin", {}, 422, "TN-GW-422-22"),
    ("over-ship", "/v1/shipments", ship(quantity=10**13, lines=[{"token_id": str(Q3_TOKEN), "amount": 10**12}]), "rec", {}, 422, "TN-GW-422-12"),
    ("lapsed credits", "/v1/shipments", line(1_000, token=Q1_TOKEN), "rec", {}, 422, "TN-GW-422-13"),
    ("expired certificate", "/v1/inputs", record_input(certificate=SHORT_CERT), "rec", {}, 422, "TN-GW-422-10"),
    ("unknown certificate", "/v1/inputs", record_input(certificate=999), "rec", {}, 422, "TN-GW-422-09"),
    ("certificate of another holder", "/v1/inputs", record_input(certificate=f.CERT_RESIN), "rec", {}, 422, "TN-GW-422-28"),
    ("certificate without the class", "/v1/inputs", record_input(**{"class": "rpet-resin"}), "rec", {}, 422, "TN-GW-422-11"),
    ("evidence reused", "/v1/inputs", record_input(evidence_hash="0x" + "11" * 32), "rec", {}, 422, "TN-GW-422-14"),
    ("shipment to self", "/v1/shipments", ship(to_unit="recycling-plant"), "rec", {}, 422, "TN-GW-422-19"),
    ("recipient suspended", "/v1/shipments", ship(to_unit="outsider-yard"), "rec", {}, 422, "TN-GW-422-08"),
    ("suspended party acts", "/v1/productions", {"unit": "outsider-yard", "product_group": 1, "quantity": 5, "document_hash": "0x" + "12" * 32}, "out", {}, 422, "TN-GW-422-08"),
    ("party without signer", "/v1/productions", {"unit": 1, "product_group": 1, "quantity": 5, "document_hash": "0x" + "12" * 32}, "p99", {}, 422, "TN-GW-422-21"),
    ("book-and-claim shipped", "/v1/shipments", ship(product_group="bio-oil", lines=[{"token_id": str(BIO), "amount": 5}]), "rec", {}, 422, "TN-GW-422-16"),
    ("inventory outside boundary", "/v1/inventory-transfers", {"unit": 1, "to_unit": "brand-dc", "lines": [{"token_id": str(Q3_TOKEN), "amount": 5}]}, "rec", {}, 422, "TN-GW-422-17"),
    ("duplicate lines", "/v1/claims", {"unit": 1, "lines": [{"token_id": str(Q3_TOKEN), "amount": 5}] * 2, "beneficiary": "B", "product": "p", "purpose": "q"}, "rec", {}, 422, "TN-GW-422-20"),
    ("no lines in a claim", "/v1/claims", {"unit": 1, "lines": [], "beneficiary": "B", "product": "p", "purpose": "q"}, "rec", {}, 422, "TN-GW-422-20"),
    ("wrong factor version", "/v1/conversions", {"unit": "resin-a", "process": "flake-to-resin", "factor_version": 7, "lines": [{"token_id": str(Q3_TOKEN), "amount": 5}]}, "resin", {}, 422, "TN-GW-422-36"),
    ("not yet lapsed", "/v1/lapses", {"unit": 1, "token_ids": [str(Q3_TOKEN)]}, "rec", {}, 422, "TN-GW-422-25"),
    ("origin role missing", "/v1/inputs", record_input(unit="brand-dc"), "brand", {}, 403, "TN-GW-403-03"),
    ("certifier role missing", "/v1/processes", {"unit": 1, "input_class": 1, "output_class": 2, "name": "x"}, "rec", {}, 403, "TN-GW-403-03"),
    ("admin role missing", "/v1/admin/schemes", {"name": "X", "max_period_months": 3}, "rec", {}, 403, "TN-GW-403-03"),
    ("unknown field", "/v1/shipments", ship(secret_extra=1), "rec", {}, 422, "TN-GW-422-00"),
    ("missing field", "/v1/shipments", {k: v for k, v in ship().items() if k != "document_hash"}, "rec", {}, 422, "TN-GW-422-00"),
    ("bad document hash", "/v1/shipments", ship(document_hash="0x1234"), "rec", {}, 422, "TN-GW-422-00"),
    ("zero document hash", "/v1/shipments", ship(document_hash="0x" + "00" * 32), "rec", {}, 422, "TN-GW-422-00"),
    ("missing API key", "/v1/shipments", ship(), "none", {}, 401, "TN-GW-401-01"),
    ("forged API key", "/v1/shipments", ship(), "forged", {}, 401, "TN-GW-401-02"),
    ("revoked API key", "/v1/shipments", ship(), "revoked", {}, 401, "TN-GW-401-02"),
    ("read-scope key writes", "/v1/shipments", ship(), "read", {}, 403, "TN-GW-403-01"),
    ("replayed idempotency key", "/v1/shipments", ship(quantity=999_999), "rec", {"Idempotency-Key": "replayed"}, 409, "TN-GW-409-01"),
    ("wrong content type", "/v1/shipments", "raw:quantity=5", "rec", {"Content-Type": "text/plain"}, 415, "TN-GW-415-01"),
    ("oversized body", "/v1/shipments", "raw:" + json.dumps(ship(product="x" * 70_000)), "rec", {"Content-Type": "application/json"}, 413, "TN-GW-413-01"),
    ("malformed JSON", "/v1/shipments", "raw:{\"unit\": 1,", "rec", {"Content-Type": "application/json"}, 400, "TN-GW-400-01"),
    # bounds: every amount at most MAX_QUANTITY_G, ids below 2^32, token ids below 2^96
    ("quantity above MAX_QUANTITY_G", "/v1/shipments", ship(quantity=MAX_QUANTITY_G + 1), "rec", {}, 422, "TN-GW-422-04"),
    ("line amount above MAX_QUANTITY_G", "/v1/shipments", line(MAX_QUANTITY_G + 1), "rec", {}, 422, "TN-GW-422-04"),
    ("line amount 2^256-1", "/v1/shipments", line(str(2**256 - 1)), "rec", {}, 422, "TN-GW-422-04"),
    ("input amount above MAX_QUANTITY_G", "/v1/inputs", record_input(amount=MAX_QUANTITY_G + 1), "rec", {}, 422, "TN-GW-422-04"),
    ("stock above MAX_QUANTITY_G", "/v1/period-closes", {"unit": 1, "class": 1, "physical_stock": MAX_QUANTITY_G + 1}, "rec", {}, 422, "TN-GW-422-04"),
    ("5,000-digit number", "/v1/shipments", "raw:" + json.dumps(ship()).replace("1000000", "9" * 5000, 1), "rec", {"Content-Type": "application/json"}, 400, "TN-GW-400-01"),
    ("5,000-digit string", "/v1/shipments", ship(quantity="9" * 5000), "rec", {}, 422, "TN-GW-422-04"),
    ("token id 2^96", "/v1/shipments", line(5, token=2**96), "rec", {}, 422, "TN-GW-422-00"),
    ("unit id 2^40", "/v1/shipments", ship(unit=2**40), "rec", {}, 422, "TN-GW-422-00"),
    ("unit id 2^32 as text", "/v1/shipments", ship(unit=str(2**32)), "rec", {}, 422, "TN-GW-422-00"),
    ("unit id negative", "/v1/shipments", ship(unit=-1), "rec", {}, 422, "TN-GW-422-00"),
    ("unit a superscript digit", "/v1/shipments", ship(unit="²"), "rec", {}, 422, "TN-GW-422-05"),
    ("recipient Arabic-Indic digits", "/v1/shipments", ship(to_unit="٣"), "rec", {}, 422, "TN-GW-422-05"),
    ("class a superscript digit", "/v1/inputs", record_input(**{"class": "²"}), "rec", {}, 422, "TN-GW-422-06"),
    ("process a superscript digit", "/v1/processes/²/factors", {"yield_bps": 9000, "effective_from": "2031-01-01", "evidence_hash": "0x" + "12" * 32}, "cert", {}, 422, "TN-GW-422-35"),
    ("factor version negative", "/v1/conversions", {"unit": "resin-a", "process": 1, "factor_version": -1, "lines": [{"token_id": str(Q3_TOKEN), "amount": 5}]}, "resin", {}, 422, "TN-GW-422-00"),
    ("too many lines", "/v1/claims", {"unit": 1, "lines": [{"token_id": str(Q3_TOKEN + i), "amount": 5} for i in range(1_001)], "beneficiary": "B", "product": "p", "purpose": "q"}, "rec", {}, 422, "TN-GW-422-00"),
    # control characters in texts
    ("NUL in product", "/v1/shipments", ship(product="PET\u0000\u0000flakes"), "rec", {}, 422, "TN-GW-422-00"),
    ("newline in order ref", "/v1/shipments", ship(order_ref="PO-7\nPO-8"), "rec", {}, 422, "TN-GW-422-00"),
    ("DEL in beneficiary", "/v1/claims", {"unit": 1, "lines": [{"token_id": str(Q3_TOKEN), "amount": 5}], "beneficiary": "Brand\u007f", "product": "p", "purpose": "q"}, "rec", {}, 422, "TN-GW-422-00"),
    ("NUL in a registry key", "/v1/shipments", ship(to_unit="brand-dc\u0000"), "rec", {}, 422, "TN-GW-422-00"),
    ("NUL in a party name", "/v1/admin/parties", {"name": "Acme\u0000", "roles": ["member"]}, "admin", {}, 422, "TN-GW-422-00"),
    # the chain's names, before signing
    ("lapse where nothing is held", "/v1/lapses", {"unit": "brand-dc", "token_ids": [str(Q1_TOKEN)]}, "rec", {}, 422, "TN-GW-422-34"),
    ("lapse of an unknown unit", "/v1/lapses", {"unit": 77, "token_ids": [str(Q1_TOKEN)]}, "rec", {}, 422, "TN-GW-422-05"),
    ("ship outside the unit's product scope", "/v1/shipments", ship(product_group="pet-resin", lines=[]), "rec", {}, 422, "TN-GW-422-41"),
    ("close of a book-and-claim class", "/v1/period-closes", {"unit": 1, "class": "bio-oil", "physical_stock": 0}, "rec", {}, 422, "TN-GW-422-33"),
    # headers
    ("idempotency key too long", "/v1/shipments", ship(), "rec", {"Idempotency-Key": "k" * 201}, 422, "TN-GW-422-00"),
    ("basic instead of bearer", "/v1/shipments", ship(), "none", {"Authorization": "Basic cmVjOnB3"}, 401, "TN-GW-401-01"),
    ("bearer without a key", "/v1/shipments", ship(), "none", {"Authorization": "Bearer "}, 401, "TN-GW-401-01"),
    ("forged X-API-Key", "/v1/shipments", ship(), "none", {"X-API-Key": "tn_" + "B" * 43}, 401, "TN-GW-401-02"),
    # routes
    ("no such route", "/v1/nowhere", ship(), "rec", {}, 404, "TN-GW-404-00"),
    ("wrong method", "/v1/health", ship(), "rec", {}, 405, "TN-GW-405-01"),
    ("chunked 10 MB body", "/v1/shipments", "chunked:", "rec", {"Content-Type": "application/json"}, 413, "TN-GW-413-01"),
]  # fmt: skip

# (case, path, who, status, code): reads
READS: list[tuple[str, str, str, int, str]] = [
    ("cursor 2^64", "/v1/requests?after=18446744073709551616", "rec", 422, "TN-GW-422-00"),
    ("cursor 5,000 digits", "/v1/requests?after=" + "9" * 5000, "rec", 422, "TN-GW-422-00"),
    ("cursor negative", "/v1/requests?after=-1", "rec", 422, "TN-GW-422-00"),
    ("limit zero", "/v1/requests?limit=0", "rec", 422, "TN-GW-422-00"),
    ("unknown status", "/v1/requests?status=lost", "rec", 422, "TN-GW-422-00"),
    ("request id a superscript digit", "/v1/requests/²", "rec", 404, "TN-GW-404-01"),
    ("request id too long", "/v1/requests/" + "a" * 41, "rec", 422, "TN-GW-422-00"),
    # issue 26: was a redirect to the list, an array where one request is declared
    ("request id empty", "/v1/requests/", "rec", 404, "TN-GW-404-00"),
    ("balances of no unit", "/v1/balances/", "rec", 404, "TN-GW-404-00"),
    ("balances of unit ²", "/v1/balances/²", "rec", 422, "TN-GW-422-05"),
    ("balances of unit 2^64", "/v1/balances/18446744073709551616", "rec", 422, "TN-GW-422-05"),
    ("balances of a foreign unit", "/v1/balances/resin-a", "rec", 403, "TN-GW-403-02"),
    ("balances of token ²", "/v1/balances/1?token_id=²", "rec", 422, "TN-GW-422-06"),
    ("balances of token 2^256", f"/v1/balances/1?token_id={2**256}", "rec", 422, "TN-GW-422-06"),
    ("balances of vintage 2^32", "/v1/balances/1?class=1&vintage=4294967296", "rec", 422, "TN-GW-422-00"),
    ("no such route", "/v1/nowhere", "rec", 404, "TN-GW-404-00"),
    ("wrong method", "/v1/shipments", "rec", 405, "TN-GW-405-01"),
    ("no key", "/v1/requests", "none", 401, "TN-GW-401-01"),
]  # fmt: skip


@pytest.fixture(scope="module")
def prepared(
    _world_session: World, world_keys: list[LocalSigner], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Harness, dict[str, str | None]]]:
    """One prepared state for the whole table: every case must leave it as it found it."""
    with (
        world_snapshot(_world_session) as w,
        open_harness(w, world_keys, tmp_path_factory.mktemp("bad")) as harness,
    ):
        yield _prepare(harness)


def _prepare(harness: Harness) -> tuple[Harness, dict[str, str | None]]:
    w = harness.world
    w.ok("record_input", w.cast.recycler, f.C_FLAKE, 10_000_000, f.CERT_RECYCLER, f.evidence())
    w.ok("record_input", w.cast.recycler, f.C_GLASS, 10_000_000, f.CERT_RECYCLER, f.evidence())
    w.ok("record_input", w.cast.recycler, f.C_FLAKE, 1, f.CERT_RECYCLER, bytes.fromhex("11" * 32))
    w.send(w.consortium.functions.registerCertificate(
        f.P_RECYCLER, f.S_PLUS, "SHORT-1", f.START, f.START + 30 * f.DAY, 0, [f.C_FLAKE],
        [f.U_RECYCLER]), w.cast.certifier)  # fmt: skip
    w.travel(f.at(2031, 7, 2))
    w.ok("record_input", w.cast.recycler, f.C_FLAKE, 10_000_000, f.CERT_RECYCLER, f.evidence())
    w.ok("record_input", w.cast.recycler, f.C_BIO, 1_000, f.CERT_BIO, f.evidence())
    w.ok("record_input", w.cast.resin, f.C_FLAKE, 1_000, f.CERT_RESIN, f.evidence())  # volume used
    w.send(w.consortium.functions.suspendParty(f.P_OUTSIDER), w.cast.admin)
    keys: dict[str, str | None] = {
        "rec": harness.key(f.P_RECYCLER),
        "resin": harness.key(f.P_RESIN),
        "cert": harness.key(f.P_CERTIFIER),
        "admin": harness.key(f.P_ADMIN),
        "brand": harness.key(f.P_BRAND),
        "out": harness.key(f.P_OUTSIDER),
        "p99": harness.key(99),
        "read": harness.key(f.P_RECYCLER, "read"),
        "revoked": harness.key(f.P_RECYCLER),
        "forged": "tn_" + "A" * 43,
        "none": None,
    }
    harness.store.write_sync(_revoke_all_but_first_of, keys["revoked"])
    first = harness.post("/v1/shipments", ship(), keys["rec"], **{"Idempotency-Key": "replayed"})
    assert first.status_code == 202, first.text
    assert harness.wait(first.json()["id"], str(keys["rec"]))["status"] == "confirmed"
    return harness, keys


def _revoke_all_but_first_of(session: Any, secret: str) -> None:
    from datetime import UTC, datetime

    from sqlmodel import select

    from tracenet.gateway import ApiKey, hash_key

    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))).one()
    row.revoked_at = datetime.now(UTC)
    session.add(row)


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("case", "path", "body", "who", "headers", "status", "code"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_bad_input_is_refused_and_changes_nothing(
    prepared: tuple[Harness, dict[str, str | None]],
    case: str, path: str, body: Any, who: str, headers: dict[str, str], status: int, code: str,
) -> None:  # fmt: skip
    harness, keys = prepared
    w = harness.world
    block, count = w.w3.eth.block_number, harness.store.count_requests()
    balances = [w.balance(f.U_RECYCLER, t) for t in (Q1_TOKEN, Q3_TOKEN, GLASS)]
    h = dict(headers)
    if keys[who] is not None:
        h["Authorization"] = f"Bearer {keys[who]}"
    if body == "chunked:":  # no Content-Length: sent in 1 MiB chunks
        answer = harness.client.post(path, content=(b"x" * 2**20 for _ in range(10)), headers=h)
    elif isinstance(body, str) and body.startswith("raw:"):
        answer = harness.client.post(path, content=body[4:].encode(), headers=h)
    else:
        answer = harness.client.post(path, json=body, headers=h)
    assert (answer.status_code, answer.json().get("code")) == (status, code), answer.text
    assert set(answer.json()) == {"code", "error", "field", "message", "args"}
    assert w.w3.eth.block_number == block
    assert harness.store.count_requests() == count
    assert [w.balance(f.U_RECYCLER, t) for t in (Q1_TOKEN, Q3_TOKEN, GLASS)] == balances


@pytest.mark.parametrize(
    ("case", "path", "who", "status", "code"), READS, ids=[c[0] for c in READS]
)
def test_bad_reads_are_refused_with_their_code(
    prepared: tuple[Harness, dict[str, str | None]], case: str, path: str, who: str, status: int,
    code: str,
) -> None:  # fmt: skip
    harness, keys = prepared
    h = {} if keys[who] is None else {"Authorization": f"Bearer {keys[who]}"}
    answer = harness.client.get(path, headers=h)
    assert (answer.status_code, answer.json().get("code")) == (status, code), answer.text
    assert set(answer.json()) == {"code", "error", "field", "message", "args"}


def test_a_rule_refused_before_signing_carries_the_chains_name_and_args(
    prepared: tuple[Harness, dict[str, str | None]],
) -> None:
    harness, keys = prepared
    answer = harness.post("/v1/shipments", line(10**12), keys["rec"])
    body = answer.json()
    assert (body["error"], body["field"]) == ("CreditsInsufficient", "lines[0]")
    assert body["args"]["unitId"] == f.U_RECYCLER and body["args"]["tokenId"] == str(Q3_TOKEN)
    assert body["args"]["required"] == 10**12 and isinstance(body["args"]["available"], int)
    assert "recycling-plant (unit 1)" in body["message"] and "rpet-flake 2031-Q3" in body["message"]
    lapsed = harness.post("/v1/shipments", line(1_000, token=Q1_TOKEN), keys["rec"]).json()
    assert lapsed["error"] == "CreditsLapsed" and "rpet-flake 2031-Q1" in lapsed["message"]
    assert lapsed["args"] == {"tokenId": str(Q1_TOKEN), "vintage": 244, "currentPeriod": 246}
    expired = harness.post("/v1/inputs", record_input(certificate=SHORT_CERT), keys["rec"]).json()
    assert expired["error"] == "CertificateNotValid" and "expired" in expired["message"]
    assert "certificate SHORT-1 (id 4) is expired" in expired["message"], expired["message"]
    assert "until 2031-01-31T00:00:00Z" in expired["message"], expired["message"]
    big = harness.post("/v1/shipments", ship(quantity=MAX_QUANTITY_G + 1), keys["rec"]).json()
    assert (big["error"], big["field"]) == ("QuantityTooLarge", "quantity")
    assert big["args"] == {"value": MAX_QUANTITY_G + 1, "max": MAX_QUANTITY_G}


def test_the_routes_that_need_no_key_answer_429_with_retry_after_past_their_rate() -> None:
    """Issue 26: /docs and /openapi.json are limited per client (IP address); /v1/health, which
    probes poll, is not."""
    from fastapi.testclient import TestClient

    from tracenet.gateway import GatewaySettings
    from tracenet.gateway.errors import CODES
    from tracenet.gateway.main import create_app

    app = create_app(GatewaySettings(public_burst=2, public_rate_per_minute=3))
    client = TestClient(app)  # no lifespan: the refusals come before any route runs
    assert [client.get("/openapi.json").status_code for _ in range(2)] == [200, 200]
    for path in ("/openapi.json", "/docs", "/docs/assets/swagger-ui.css"):
        refused = client.get(path)
        body = refused.json()
        assert refused.status_code == 429, path
        assert (body["code"], body["error"], body["field"]) == ("TN-GW-429-01", "RateLimited", None)
        assert CODES[body["code"]].status == 429
        retry = int(refused.headers["Retry-After"])
        assert retry == body["args"]["retryAfterSeconds"] and 1 <= retry <= 20  # 3 a minute
    # any other path is not limited here: it answers as before
    assert client.get("/v1/nowhere").json()["code"] == "TN-GW-404-00"
    with pytest.raises(AttributeError, match="gateway"):  # past the limiter: the route ran
        client.get("/v1/health")


def test_credits_over_the_groups_cap_are_refused_before_signing(
    prepared: tuple[Harness, dict[str, str | None]],
) -> None:
    """R6 (issue 26): 20,000,001 g of food-grade glass under its 35 % cap carry at most
    7,000,000 g (7,000,000.35 rounded down);
    one gram more is refused with the cap, though far below 100 % of the quantity."""
    harness, keys = prepared
    block = harness.world.w3.eth.block_number
    body = ship(product_group="glass", quantity=20_000_001,
                lines=[{"token_id": str(CULLET), "amount": 7_000_001}])  # fmt: skip
    answer = harness.post("/v1/shipments", body, keys["rec"])
    assert (answer.status_code, answer.json()["code"]) == (422, "TN-GW-422-01"), answer.text
    refused = answer.json()
    assert (refused["error"], refused["field"]) == ("CapExceeded", "lines")
    assert refused["args"] == {"credits": 7_000_001, "cap": 7_000_000}
    assert "3500 bps of 20000001 g" in refused["message"], refused["message"]
    assert harness.world.w3.eth.block_number == block
    # The cap itself passes the same check (a dry run: the prepared state stays as it is).
    at_cap = {**body, "lines": [{"token_id": str(CULLET), "amount": 7_000_000}]}
    items = [{"kind": "shipments", "body": b} for b in (at_cap, body)]
    checked = harness.post("/v1/batch", {"operations": items, "dry_run": True}, keys["rec"])
    assert [r["status"] for r in checked.json()["results"]] == [204, 422], checked.text
    assert checked.json()["results"][1]["code"] == "TN-GW-422-01"
