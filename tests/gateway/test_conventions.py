"""The gateway's side of the ledger rules that had no way through the API, and its promises
about itself: factor version 0, anyone's lapse (R4), registry changes followed while running,
a private request store, every status documented in OpenAPI."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from tests import factories as f
from tests.gateway.conftest import Harness, wait_until
from tracenet.contracts import MAX_QUANTITY_G, RawMaterial, records
from tracenet.gateway.operations._types import Ref
from tracenet.gateway.pipeline._views import LedgerViews

FLAKE_Q1 = (f.C_FLAKE << 64) | (244 << 32)  # rpet-flake 2031-Q1


def _ship_to_resin(h: Harness, key: str, amount: int) -> None:
    body = {"unit": "recycling-plant", "to_unit": "resin-a", "product_group": "pet-flakes",
            "quantity": amount * 2, "document_hash": "0x" + "5a" * 32, "order_ref": "PO-1",
            "product": "rPET flakes",
            "lines": [{"token_id": str(FLAKE_Q1), "amount": amount}]}  # fmt: skip
    answer = h.post("/v1/shipments", body, key)
    assert answer.status_code == 202, answer.text
    assert h.wait(answer.json()["id"], key)["status"] == "confirmed"


def test_converting_at_the_first_factor_version_zero(harness: Harness) -> None:
    w = harness.world
    w.ok("record_input", w.cast.recycler, f.C_FLAKE, 100_000, f.CERT_RECYCLER, f.evidence())
    rec, resin = harness.key(f.P_RECYCLER), harness.key(f.P_RESIN)
    _ship_to_resin(harness, rec, 10_000)
    body = {"unit": "resin-a", "process": "flake-to-resin", "factor_version": 0,
            "lines": [{"token_id": str(FLAKE_Q1), "amount": 10_000}]}  # fmt: skip
    answer = harness.post("/v1/conversions", body, resin)
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], resin)
    assert done["status"] == "confirmed", done
    assert w.balance(f.U_RESIN, FLAKE_Q1) == 0


def test_anyone_retires_another_units_lapsed_credits(harness: Harness) -> None:
    w = harness.world
    w.ok("record_input", w.cast.recycler, f.C_FLAKE, 7_000, f.CERT_RECYCLER, f.evidence())
    w.travel(f.at(2031, 7, 2))  # Q1's window (two quarters) is over in Q3
    brand = harness.key(f.P_BRAND)
    answer = harness.post(
        "/v1/lapses", {"unit": "recycling-plant", "token_ids": [str(FLAKE_Q1)]}, brand
    )
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], brand)
    assert done["status"] == "confirmed", done
    assert [e["event"] for e in done["outcome"]["events"]].count("Lapsed") == 1
    assert w.balance(f.U_RECYCLER, FLAKE_Q1) == 0


def test_a_conventional_delivery_ships_without_credit_lines(harness: Harness) -> None:
    rec = harness.key(f.P_RECYCLER)
    body = {"unit": "recycling-plant", "to_unit": "brand-dc", "product_group": "pet-flakes",
            "quantity": 2_000_000, "document_hash": "0x" + "c0" * 32, "order_ref": "PO-0",
            "product": "virgin PET flakes"}  # fmt: skip
    answer = harness.post("/v1/shipments", body, rec)
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], rec)
    assert done["status"] == "confirmed", done
    (shipped,) = [e for e in done["outcome"]["events"] if e["event"] == "Shipped"]
    assert shipped["args"]["quantity"] == 2_000_000 and shipped["args"]["tokenIds"] == []


def test_a_signer_revoked_on_chain_stops_being_used_while_running(harness: Harness) -> None:
    w = harness.world
    rec = harness.key(f.P_RECYCLER)
    body = {"unit": "recycling-plant", "product_group": "pet-flakes", "quantity": 5,
            "document_hash": "0x" + "77" * 32}  # fmt: skip
    first = harness.post("/v1/productions", body, rec)
    assert first.status_code == 202, first.text
    assert harness.wait(first.json()["id"], rec)["status"] == "confirmed"
    w.send(w.consortium.functions.revokeSigner(w.cast.recycler), w.cast.admin)

    def refused() -> dict[str, Any] | None:
        answer = harness.post("/v1/productions", body, rec)
        if answer.status_code == 202:  # accepted before the gateway saw the revocation's block:
            # refused before signing (NoSigner) or, signed in that window, refused by the chain
            done = harness.wait(answer.json()["id"], rec)
            assert done["status"] == "rejected", done
            return None
        return dict(answer.json())

    answer = wait_until(refused, timeout=60, what="the revoked signer to be dropped")
    assert (answer["code"], answer["error"]) == ("TN-GW-422-21", "NoSigner")
    # Once refused, the key is never used again: the next write is refused before signing.
    block = w.w3.eth.block_number
    again = harness.post("/v1/productions", body, rec)
    assert again.json()["error"] == "NoSigner", again.text
    assert w.w3.eth.block_number == block, "a transaction was signed by the revoked key"


def test_the_request_store_is_created_owner_only(harness: Harness, tmp_path: Path) -> None:
    for name in ("gw.db", "gw.db-wal"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"


def test_every_route_documents_its_statuses_and_typed_bodies(harness: Harness) -> None:
    spec = harness.client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            codes = set(op["responses"])
            assert {"401", "422", "500", "503"} <= codes or path == "/v1/health", (path, codes)
            if method == "post":
                assert {"400", "403", "413", "415"} <= codes, (path, codes)
                # A signature is no write: nothing to replay, no Idempotency-Key.
                assert "409" in codes or path == "/v1/reports/sign", (path, codes)
                assert codes & {"200", "202"}, (path, codes)
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status)
                elif "application/json" in response.get("content", {}):
                    assert response["content"]["application/json"]["schema"], (path, status)
    error_body = spec["components"]["schemas"]["ErrorBody"]
    assert set(error_body["properties"]) == {"code", "error", "field", "message", "args"}
    grams = spec["components"]["schemas"]["ShipmentIn"]["properties"]["quantity_g"]["oneOf"][0]
    assert grams["maximum"] == MAX_QUANTITY_G


def test_enumerations_and_dates_are_taken_by_name_and_iso_8601(harness: Harness) -> None:
    admin, cert = harness.key(f.P_ADMIN), harness.key(f.P_CERTIFIER)
    spec = {"name": "rPET sheet", "characteristic": "recycled content", "scheme": "iscc-plus",
            "product_group": "pet-resin", "model": "mass_balance", "attribution": "credit",
            "period_months": 3, "window_periods": 2, "sustainable_factor": 1000,
            "conventional_factor": 3000}  # fmt: skip
    answer = harness.post("/v1/admin/classes", spec, admin)
    assert answer.status_code == 202, answer.text
    assert harness.wait(answer.json()["id"], admin)["status"] == "confirmed"
    bad = harness.post("/v1/admin/classes", {**spec, "model": "bogus"}, admin).json()
    assert (bad["code"], bad["field"]) == ("TN-GW-422-00", "model")
    factor = {"yield_bps": 9_100, "effective_from": "2031-06-01T00:00:00Z",
              "evidence_hash": "0x" + "3c" * 32}  # fmt: skip
    answer = harness.post("/v1/processes/flake-to-resin/factors", factor, cert)
    assert answer.status_code == 202, answer.text
    done = harness.wait(answer.json()["id"], cert)
    assert done["status"] == "confirmed", done
    (registered,) = [e for e in done["outcome"]["events"] if e["event"] == "FactorRegistered"]
    assert registered["args"]["effectiveFrom"] == f.at(2031, 6, 1, 0)


def _confirmed(h: Harness, key: str, path: str, body: Any) -> dict[str, Any]:
    answer = h.post(path, body, key)
    assert answer.status_code == 202, f"{path}: {answer.text}"
    done: dict[str, Any] = h.wait(answer.json()["id"], key)
    assert done["status"] == "confirmed", f"{path}: {done['outcome']}"
    return done


def _refused(h: Harness, key: str, path: str, body: Any) -> tuple[int, str, str, str]:
    answer = h.post(path, body, key)
    error = answer.json()
    return answer.status_code, error["code"], error["error"], error["field"]


def test_every_entity_reference_takes_its_name(harness: Harness) -> None:
    """Issue 8: a certificate by its number (or key), parties, boundaries by registry key in
    bodies and paths; an unknown name is a 422 naming the field and the chain's error."""
    h, w = harness, harness.world
    rec, admin, cert = h.key(f.P_RECYCLER), h.key(f.P_ADMIN), h.key(f.P_CERTIFIER)
    body = {"unit": "recycling-plant", "class": "rpet-flake", "amount": 1_000,
            "certificate": "ISCC-PLUS-REC-001", "evidence_hash": "0x" + "e1" * 32}  # fmt: skip
    done = _confirmed(h, rec, "/v1/inputs", body)
    (made,) = [e for e in done["outcome"]["events"] if e["event"] == "InputRecorded"]
    assert made["args"]["certificateId"] == f.CERT_RECYCLER
    by_key = {**body, "certificate": "recycler-cert", "evidence_hash": "0x" + "e2" * 32}
    _confirmed(h, rec, "/v1/inputs", by_key)
    unknown = {**body, "certificate": "ISCC-PLUS-NOPE", "evidence_hash": "0x" + "e3" * 32}
    assert _refused(h, rec, "/v1/inputs", unknown) == (
        422,
        "TN-GW-422-09",
        "CertificateUnknown",
        "certificate",
    )
    # A certificate registered after the gateway started is found by its number too.
    now = w.now()
    new = {"holder": "recycler", "scheme": "iscc-plus", "number": "ISCC-PLUS-REC-010",
           "valid_from": now - 10, "valid_until": now + f.YEAR, "classes": ["rpet-flake"],
           "units": ["recycling-plant"]}  # fmt: skip
    _confirmed(h, cert, "/v1/certificates", new)
    withdraw = {"status": "withdrawn", "effective_at": w.now() - 1, "reason": "withdrawn"}
    done = _confirmed(h, cert, "/v1/certificates/ISCC-PLUS-REC-010/status", withdraw)
    (stated,) = [e for e in done["outcome"]["events"] if e["event"] == "CertificateStatusChanged"]
    assert stated["args"]["certificateId"] == 4
    assert _refused(h, cert, "/v1/certificates/ISCC-NONE/status", withdraw)[1:] == (
        "TN-GW-422-09",
        "CertificateUnknown",
        "certificate",
    )
    # Parties in paths, boundaries in bodies, by registry key; roles answered by name.
    done = _confirmed(h, admin, "/v1/admin/parties/brand/roles", {"roles": ["member"]})
    assert done["payload"] == {"party": "brand", "roles": ["member"]}
    (changed,) = [e for e in done["outcome"]["events"] if e["event"] == "PartyRolesChanged"]
    assert changed["args"]["partyId"] == f.P_BRAND
    assert _refused(h, admin, "/v1/admin/parties/nobody/suspension", None) == (
        422,
        "TN-GW-422-07",
        "PartyUnknown",
        "party",
    )
    unit = {"party": "resin", "boundary": "resin-sites", "name": "Resin C"}
    done = _confirmed(h, admin, "/v1/admin/units", unit)
    (site,) = [e for e in done["outcome"]["events"] if e["event"] == "UnitRegistered"]
    assert site["args"]["boundaryId"] == 1
    assert _refused(h, admin, "/v1/admin/units", {**unit, "boundary": "nowhere"}) == (
        422,
        "TN-GW-422-46",
        "BoundaryUnknown",
        "boundary",
    )


def test_class_enumerations_are_names_in_and_out(harness: Harness) -> None:
    """model, attribution and raw material by name (the label ``bio-circular`` too; integer
    codes still accepted); the stored request answers them by name."""
    h, admin = harness, harness.key(f.P_ADMIN)
    spec = {"name": "bio PET", "characteristic": "bio-attributed", "scheme": "iscc-plus",
            "product_group": "pet-resin", "model": "mass_balance", "attribution": "credit",
            "raw_material": "bio-circular", "period_months": 3, "window_periods": 2,
            "sustainable_factor": 900, "conventional_factor": 3000}  # fmt: skip
    done = _confirmed(h, admin, "/v1/admin/classes", spec)
    payload = done["payload"]
    assert (payload["model"], payload["attribution"], payload["raw_material"]) == (
        "mass_balance",
        "credit",
        "bio_circular",
    )
    (made,) = [e for e in done["outcome"]["events"] if e["event"] == "ClassRegistered"]
    info = h.world.handle.read(records.ClassInfoQuery(class_id=made["args"]["classId"]))
    assert info.raw_material == RawMaterial.bio_circular
    coded = _confirmed(h, admin, "/v1/admin/classes", {**spec, "raw_material": 2, "model": 0})
    assert (coded["payload"]["raw_material"], coded["payload"]["model"]) == ("bio", "mass_balance")
    assert _refused(h, admin, "/v1/admin/classes", {**spec, "raw_material": "fossil"}) == (
        422,
        "TN-GW-422-00",
        "FieldInvalid",
        "raw_material",
    )


def test_a_reference_is_as_long_as_the_name_it_refers_to() -> None:
    """A certificate number may be 100 bytes (``Name``): so may a reference, not one more."""
    ref = TypeAdapter(Ref)
    assert ref.validate_python("C" * 100) == "C" * 100
    assert ref.validate_python("4294967295") == 2**32 - 1
    with pytest.raises(ValidationError, match="100 bytes"):
        ref.validate_python("C" * 101)
    assert ref.json_schema()["oneOf"][1]["maxLength"] == 100


def test_certificate_numbers_are_read_in_batches_once_each_lowest_id_first() -> None:
    """130 certificates read in three batches; a number registered twice names the first."""
    views = LedgerViews(None, {n: "0x" + "00" * 20 for n in ("Consortium", "Catalog", "Ledger")},
                        ttl=5.0)  # type: ignore[arg-type]  # fmt: skip
    total, read = [130], []

    async def counts(_abi: Any, fn: str) -> tuple[int, ...]:
        assert fn == "counts"
        return (0, 0, 0, total[0])

    async def certificate(cert_id: int) -> Any:
        read.append(cert_id)
        return SimpleNamespace(number=f"N-{min(cert_id, 100)}")  # 100…130 share one number

    views._view = counts  # type: ignore[method-assign]
    views.certificate = certificate  # type: ignore[method-assign]
    numbers = asyncio.run(views.certificate_numbers("N-7"))
    assert (numbers["N-7"], numbers["N-100"], len(numbers)) == (7, 100, 100)
    assert sorted(read) == list(range(1, 131))
    total[0] = 131
    asyncio.run(views.certificate_numbers("N-7"))  # known: nothing read
    asyncio.run(views.certificate_numbers("N-131"))  # unknown: only the new one is read
    assert read[130:] == [131]
