"""Admin and certification-body writes, accepted end to end on eth-tester: each ends
``confirmed`` with its decoded event, or ``rejected`` with the chain's decoded custom error."""

from __future__ import annotations

from typing import Any

from tests import factories as f
from tests.gateway.conftest import Harness
from tracenet.contracts import Custody, records

NEW_PARTY, NEW_BOUNDARY, NEW_UNIT = 8, 2, 6  # next ids after the bootstrapped consortium
NEW_SCHEME, NEW_GROUP, NEW_CLASS, NEW_PROCESS, NEW_CERT = 3, 5, 6, 3, 4


def _ok(h: Harness, key: str, path: str, body: Any, event: str) -> dict[str, Any]:
    """POST, wait for the end, expect ``confirmed`` with exactly one ``event``; its args."""
    answer = h.post(path, body, key)
    assert answer.status_code == 202, f"{path}: {answer.text}"
    done = h.wait(answer.json()["id"], key)
    assert done["status"] == "confirmed", f"{path}: {done['outcome']}"
    found = [e for e in done["outcome"]["events"] if e["event"] == event]
    assert len(found) == 1, f"{path}: {done['outcome']['events']}"
    args: dict[str, Any] = found[0]["args"]
    return args


def _rejected(h: Harness, key: str, path: str, body: Any, error: str) -> dict[str, Any]:
    answer = h.post(path, body, key)
    assert answer.status_code == 202, f"{path}: {answer.text}"
    done = h.wait(answer.json()["id"], key)
    assert done["status"] == "rejected", f"{path}: {done}"
    assert done["outcome"]["error"] == error, f"{path}: {done['outcome']}"
    assert done["block_number"] > 0  # mined, reverted: the decoded error is the chain's
    args: dict[str, Any] = done["outcome"]["args"]
    return args


def _class(**over: Any) -> dict[str, Any]:
    body = {
        "name": "Recycled aluminium",
        "characteristic": "recycled content",
        "scheme": NEW_SCHEME,
        "product_group": NEW_GROUP,
        "model": 0,
        "period_months": 3,
        "window_periods": 2,
        "sustainable_factor": 500,
        "conventional_factor": 8_000,
    }
    body.update(over)
    return body


def test_admin_registers_a_party_with_its_unit_signer_and_catalog(harness: Harness) -> None:
    h, admin = harness, harness.key(f.P_ADMIN)
    stranger = h.world.cast.stranger
    c = h.world.consortium.functions

    args = _ok(
        h,
        admin,
        "/v1/admin/parties",
        {"name": "Newco", "identifier": "0x" + "11" * 32, "roles": 24},
        "PartyRegistered",
    )
    assert (args["partyId"], args["name"], args["roles"]) == (
        NEW_PARTY,
        "Newco",
        ["member", "origin"],
    )
    args = _ok(
        h,
        admin,
        "/v1/admin/boundaries",
        {"party": NEW_PARTY, "name": "Newco group"},
        "BoundaryDeclared",
    )
    assert (args["boundaryId"], args["partyId"]) == (NEW_BOUNDARY, NEW_PARTY)
    args = _ok(
        h,
        admin,
        "/v1/admin/units",
        {"party": NEW_PARTY, "boundary": NEW_BOUNDARY, "name": "Newco site", "location": "Here"},
        "UnitRegistered",
    )
    assert (args["unitId"], args["partyId"], args["boundaryId"]) == (NEW_UNIT, NEW_PARTY, 2)
    args = _ok(
        h,
        admin,
        "/v1/admin/signers",
        {"address": stranger, "party": NEW_PARTY, "unit": NEW_UNIT},
        "SignerAuthorized",
    )
    assert (args["signer"], args["partyId"], args["unitId"]) == (stranger, NEW_PARTY, NEW_UNIT)
    assert tuple(c.actorOf(stranger).call())[:2] == (NEW_PARTY, NEW_UNIT)

    args = _ok(h, admin, f"/v1/admin/parties/{NEW_PARTY}/roles", {"roles": 8}, "PartyRolesChanged")
    assert (args["partyId"], args["roles"]) == (NEW_PARTY, ["member"])
    args = _ok(h, admin, f"/v1/admin/parties/{NEW_PARTY}/suspension", None, "PartySuspended")
    assert args["partyId"] == NEW_PARTY
    assert tuple(c.partyOf(NEW_PARTY).call()) == (8, False)
    args = _ok(h, admin, f"/v1/admin/parties/{NEW_PARTY}/reinstatement", None, "PartyReinstated")
    assert tuple(c.partyOf(NEW_PARTY).call()) == (8, True)
    args = _ok(h, admin, f"/v1/admin/signers/{stranger}/revocation", None, "SignerRevoked")
    assert (args["signer"], args["partyId"], args["unitId"]) == (stranger, NEW_PARTY, NEW_UNIT)

    args = _ok(
        h,
        admin,
        "/v1/admin/schemes",
        {"name": "RedCert", "max_period_months": 6},
        "SchemeRegistered",
    )
    assert (args["schemeId"], args["maxPeriodMonths"]) == (NEW_SCHEME, 6)
    args = _ok(
        h,
        admin,
        "/v1/admin/product-groups",
        {"name": "Cans", "max_share_bps": 5_000},
        "ProductGroupRegistered",
    )
    assert (args["productGroupId"], args["maxShareBps"]) == (NEW_GROUP, 5_000)
    args = _ok(h, admin, "/v1/admin/classes", _class(), "ClassRegistered")
    assert (args["classId"], args["schemeId"], args["productGroupId"]) == (NEW_CLASS, 3, 5)
    info = h.world.handle.read(records.ClassInfoQuery(class_id=NEW_CLASS))
    assert (info.period_months, info.window_periods) == (3, 2)
    assert (info.sustainable_factor, info.conventional_factor) == (500, 8_000)


def test_certification_body_registers_and_states_statuses(harness: Harness) -> None:
    h, body_key = harness, harness.key(f.P_CERTIFIER)
    now = h.world.now()
    cert = {
        "holder": "recycler",
        "scheme": "iscc-plus",
        "number": "ISCC-PLUS-REC-009",
        "valid_from": now - 10,
        "valid_until": now + f.YEAR,
        "audited_volume": 5_000_000,
        "classes": ["rpet-flake"],
        "units": ["recycling-plant"],
    }
    args = _ok(h, body_key, "/v1/certificates", cert, "CertificateRegistered")
    assert (args["certificateId"], args["holderPartyId"], args["certifierPartyId"]) == (
        NEW_CERT,
        f.P_RECYCLER,
        f.P_CERTIFIER,
    )
    assert (args["classIds"], args["unitIds"], args["auditedVolume"]) == ([1], [1], 5_000_000)
    again = h.post("/v1/certificates", cert, body_key)  # the number is the scheme's already
    assert again.status_code == 422, again.text
    assert (again.json()["error"], again.json()["field"]) == ("CertificateNumberTaken", "number")
    assert again.json()["args"]["existingId"] == NEW_CERT
    path = "/v1/certificates/ISCC-PLUS-REC-009/status"
    when = h.world.now() - 5
    suspend = {"status": "suspended", "effective_at": when, "reason": "major non-conformity"}
    args = _ok(h, body_key, path, suspend, "CertificateStatusChanged")
    assert (args["certificateId"], args["status"], args["effectiveAt"]) == (NEW_CERT, 1, when)
    assert args["reason"] == "major non-conformity"
    refused = h.post(path, {**suspend, "reason": "again"}, body_key)
    assert (refused.status_code, refused.json()["error"]) == (422, "CertificateStatusUnchanged")
    early = {"status": "valid", "effective_at": when - 1, "reason": "reinstated"}
    refused = h.post(path, early, body_key)
    assert (refused.status_code, refused.json()["error"]) == (422, "CertificateStatusDate")
    assert refused.json()["field"] == "effective_at"
    back = {"status": "valid", "effective_at": when, "reason": "reinstated"}
    _ok(h, body_key, path, back, "CertificateStatusChanged")
    end = {"status": "terminated", "effective_at": when, "reason": "left the scheme"}
    _ok(h, body_key, path, end, "CertificateStatusChanged")
    refused = h.post(path, back, body_key)
    assert (refused.status_code, refused.json()["error"]) == (422, "CertificateStatusFinal")
    refused = h.post(path, {**back, "status": "expired"}, body_key)  # by date, never stated
    assert (refused.status_code, refused.json()["error"]) == (422, "CertificateStatusUnknown")

    process = {
        "unit": "resin-a",
        "input_class": "rpet-flake",
        "output_class": "rpet-resin",
        "name": "Flake to resin, line 2",
    }
    args = _ok(h, body_key, "/v1/processes", process, "ProcessRegistered")
    assert (args["processId"], args["unitId"], args["inputClassId"], args["outputClassId"]) == (
        NEW_PROCESS,
        f.U_RESIN,
        f.C_FLAKE,
        f.C_RESIN,
    )
    factor = {"yield_bps": 8_500, "effective_from": now, "evidence_hash": "0x" + "42" * 32}
    args = _ok(h, body_key, f"/v1/processes/{NEW_PROCESS}/factors", factor, "FactorRegistered")
    assert (args["processId"], args["version"], args["yieldBps"]) == (NEW_PROCESS, 0, 8_500)
    args = _ok(h, body_key, "/v1/processes/flake-to-resin/factors", factor, "FactorRegistered")
    assert (args["processId"], args["version"]) == (1, 1)


def test_what_only_the_chain_knows_ends_rejected_with_its_custom_error(harness: Harness) -> None:
    h, admin, body_key = harness, harness.key(f.P_ADMIN), harness.key(f.P_CERTIFIER)
    brand = h.world.cast.brand
    args = _rejected(
        h,
        admin,
        "/v1/admin/signers",
        {"address": brand, "party": "brand", "unit": "brand-dc"},
        "SignerAlreadyAuthorized",
    )
    assert args["signer"] == brand
    nobody = "0x" + "12" * 20
    _rejected(h, admin, f"/v1/admin/signers/{nobody}/revocation", None, "SignerUnknown")
    args = _rejected(
        h,
        admin,
        "/v1/admin/units",
        {"party": "recycler", "boundary": 1, "name": "Borrowed site"},
        "BoundaryForeignParty",
    )
    assert (args["boundaryId"], args["partyId"]) == (1, f.P_RECYCLER)
    args = _rejected(
        h,
        admin,
        "/v1/admin/classes",
        _class(scheme="iscc-eu", product_group="pet-flakes", period_months=6),
        "ClassPeriodInvalid",
    )
    assert (args["periodMonths"], args["schemeMaxMonths"]) == (6, 3)
    _rejected(h, admin, f"/v1/admin/parties/{f.P_ADMIN}/suspension", None, "PartyLastAdmin")
    late = {"yield_bps": 8_000, "effective_from": f.START - 1, "evidence_hash": "0x" + "43" * 32}
    args = _rejected(h, body_key, "/v1/processes/1/factors", late, "FactorOutOfOrder")
    assert (args["effectiveFrom"], args["previousEffectiveFrom"]) == (f.START - 1, f.START)
    # The chain state is what it was: the admin is active, no unit was added.
    assert tuple(h.world.consortium.functions.partyOf(f.P_ADMIN).call()) == (1, True)
    assert h.world.consortium.functions.counts().call()[1] == 5


def test_a_certificate_for_a_unit_the_holder_does_not_own_is_refused_before_signing(
    harness: Harness,
) -> None:
    # The chain would revert with UnitNotOwned; the gateway reads unitView first and answers
    # 422 on the field, so no transaction is spent.
    h, body_key = harness, harness.key(f.P_CERTIFIER)
    now = h.world.now()
    cert = {
        "holder": "recycler",
        "scheme": "iscc-plus",
        "number": "X-1",
        "valid_from": now,
        "valid_until": now + f.YEAR,
        "classes": ["rpet-flake"],
        "units": ["resin-a"],
    }
    block = h.world.w3.eth.block_number
    answer = h.post("/v1/certificates", cert, body_key)
    assert answer.status_code == 422, answer.text
    assert (answer.json()["code"], answer.json()["field"]) == ("TN-GW-422-00", "units[0]")
    assert h.world.w3.eth.block_number == block and h.store.count_requests() == 0
    # A party without the certifier role may not register one at all.
    refused = h.post("/v1/certificates", cert | {"units": ["recycling-plant"]}, h.key(f.P_ADMIN))
    assert (refused.status_code, refused.json()["code"]) == (403, "TN-GW-403-03")


def test_admin_sets_the_chain_of_custody_a_scheme_requires(harness: Harness) -> None:
    """Issue 13: the mode by its contracts.Custody name; bad names and schemes refused unsigned."""
    h, admin = harness, harness.key(f.P_ADMIN)
    path = "/v1/admin/schemes/iscc-plus/custody"
    args = _ok(h, admin, path, {"custody": "certified_final_claimant_exempt"}, "SchemeCustodySet")
    assert (args["schemeId"], args["custody"]) == (f.S_PLUS, "certified_final_claimant_exempt")
    custody = h.world.handle.read(records.SchemeCustodyQuery(scheme_id=f.S_PLUS))
    assert custody == Custody.certified_final_claimant_exempt
    block = h.world.w3.eth.block_number
    for url, body, status, code, field in [
        (path, {"custody": "strict"}, 422, "TN-GW-422-00", "custody"),
        ("/v1/admin/schemes/99/custody", {"custody": "certified"}, 422, None, "scheme"),
    ]:
        answer = h.post(url, body, admin)
        assert answer.status_code == status, answer.text
        assert answer.json()["field"] == field
        if code:
            assert answer.json()["code"] == code
    assert answer.json()["error"] == "SchemeUnknown"
    assert h.world.w3.eth.block_number == block
    refused = h.post(path, {"custody": "none"}, h.key(f.P_RECYCLER))
    assert (refused.status_code, refused.json()["code"]) == (403, "TN-GW-403-03")


def test_the_admin_or_a_certification_body_sets_a_unit_s_product_scope(harness: Harness) -> None:
    """Issue 26: ``Catalog.setUnitScope`` had no route; a unit's scope changed only as a side
    effect of a certificate or a process. Both roles the chain allows may; others are refused
    before signing, as are unknown units and groups."""
    h, admin, certifier = harness, harness.key(f.P_ADMIN), harness.key(f.P_CERTIFIER)

    def in_scope(unit: int, group: int) -> bool:
        return bool(
            h.world.handle.read(records.UnitScopeQuery(unit_id=unit, product_group_id=group))
        )

    assert not in_scope(f.U_BRAND, f.G_BIOOIL)
    path = "/v1/admin/units/brand-dc/scope"
    args = _ok(h, admin, path, {"product_group": "bio-oil", "in_scope": True}, "UnitScopeChanged")
    assert (args["unitId"], args["productGroupId"], args["inScope"]) == (
        f.U_BRAND,
        f.G_BIOOIL,
        True,
    )
    assert in_scope(f.U_BRAND, f.G_BIOOIL)
    body = {"product_group": str(f.G_BIOOIL), "in_scope": False}
    args = _ok(h, certifier, f"/v1/admin/units/{f.U_BRAND}/scope", body, "UnitScopeChanged")
    assert args["inScope"] is False and not in_scope(f.U_BRAND, f.G_BIOOIL)
    block = h.world.w3.eth.block_number
    for url, sent, status, code, error, field in [
        (path, {"product_group": "bio-oil"}, 422, "TN-GW-422-00", "FieldInvalid", "in_scope"),
        (path, {"product_group": "tin", "in_scope": True}, 422, None, "ProductGroupUnknown",
         "product_group"),
        (path, {"product_group": "99", "in_scope": True}, 422, None, "ProductGroupUnknown",
         "product_group"),
        ("/v1/admin/units/99/scope", {"product_group": "glass", "in_scope": True}, 422, None,
         "UnitUnknown", "unit"),
    ]:  # fmt: skip
        answer = h.post(url, sent, admin)
        assert answer.status_code == status, answer.text
        assert (answer.json()["error"], answer.json()["field"]) == (error, field), answer.text
        if code:
            assert answer.json()["code"] == code
    assert h.world.w3.eth.block_number == block
    refused = h.post(path, {"product_group": "glass", "in_scope": True}, h.key(f.P_RECYCLER))
    assert (refused.status_code, refused.json()["code"]) == (403, "TN-GW-403-03")
    assert "admin or certifier" in refused.json()["message"]
    documented = h.client.get("/openapi.json").json()["paths"]["/v1/admin/units/{unit}/scope"]
    assert {"202", "401", "403", "422"} <= set(documented["post"]["responses"])
