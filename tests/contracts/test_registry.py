"""Registration rules of the consortium registry and the catalog: every bad registration is
rejected with its custom error, and nothing is registered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests import model as m
from tests.factories import (
    C_FLAKE,
    C_GLASS,
    G_FLAKE,
    P_RECYCLER,
    PR_RESIN,
    U_RECYCLER,
    U_RESIN,
    ZERO,
    World,
    class_spec,
    evidence,
)
from tracenet.contracts.errors import LedgerRevert

ADDRESS_ZERO = "0x" + "00" * 20

CASES: dict[str, tuple[str, str, Callable[[World], Any]]] = {
    # name: (sender role, expected error, call)
    "party without a name": ("admin", "PartyNameEmpty",
        lambda w: w.consortium.functions.registerParty("", ZERO, m.ROLE_MEMBER)),
    "roles of an unknown party": ("admin", "PartyUnknown",
        lambda w: w.consortium.functions.setRoles(99, m.ROLE_MEMBER)),
    "unit in an unknown boundary": ("admin", "BoundaryUnknown",
        lambda w: w.consortium.functions.registerUnit(P_RECYCLER, 9, "U", "L")),
    "signer zero": ("admin", "AddressZero",
        lambda w: w.consortium.functions.authorizeSigner(ADDRESS_ZERO, P_RECYCLER, 0)),
    "signer twice": ("admin", "SignerAlreadyAuthorized",
        lambda w: w.consortium.functions.authorizeSigner(w.cast.brand, P_RECYCLER, 0)),
    "ledger bound twice": ("admin", "LedgerAlreadyBound",
        lambda w: w.consortium.functions.bindLedger(w.cast.stranger)),
    "certificate with an empty window": ("certifier", "CertificateInvalid",
        lambda w: w.consortium.functions.registerCertificate(
            P_RECYCLER, 1, "N", 10, 10, 0, [C_FLAKE], [U_RECYCLER])),
    "certificate without classes": ("certifier", "CertificateInvalid",
        lambda w: w.consortium.functions.registerCertificate(
            P_RECYCLER, 1, "N", 0, 10, 0, [], [U_RECYCLER])),
    "certificate for another party's unit": ("certifier", "UnitNotOwned",
        lambda w: w.consortium.functions.registerCertificate(
            P_RECYCLER, 1, "N", 0, 10, 0, [C_FLAKE], [U_RESIN])),
    "scheme without a name": ("admin", "CatalogNameEmpty",
        lambda w: w.catalog.functions.registerScheme("", 3)),
    "scheme with a 13-month period": ("admin", "SchemePeriodInvalid",
        lambda w: w.catalog.functions.registerScheme("S", 13)),
    "class of an unknown product group": ("admin", "ProductGroupUnknown",
        lambda w: w.catalog.functions.registerClass(class_spec("C", 1, 9, 0, 3, 2))),
    "class of an unknown raw material": ("admin", "ClassRawMaterialInvalid",
        lambda w: w.catalog.functions.registerClass(
            class_spec("C", 1, G_FLAKE, 0, 3, 2, raw_material=4))),
    "process between models": ("certifier", "ProcessModelMismatch",
        lambda w: w.catalog.functions.registerProcess(U_RESIN, C_FLAKE, C_GLASS, "P")),
    "process at an unknown unit": ("certifier", "UnitUnknown",
        lambda w: w.catalog.functions.registerProcess(77, C_FLAKE, C_FLAKE, "P")),
    "factor without evidence": ("certifier", "FactorEvidenceMissing",
        lambda w: w.catalog.functions.registerFactor(PR_RESIN, 9_000, 2**40, ZERO)),
    "factor of an unknown process": ("certifier", "ProcessUnknown",
        lambda w: w.catalog.functions.registerFactor(9, 9_000, 2**40, evidence())),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_registrations_are_rejected(world: World, case: str) -> None:
    role, error, call = CASES[case]
    before = (world.consortium.functions.counts().call(), world.catalog.functions.counts().call())
    with pytest.raises(LedgerRevert) as info:
        world.send(call(world), getattr(world.cast, role))
    assert info.value.name == error
    after = (world.consortium.functions.counts().call(), world.catalog.functions.counts().call())
    assert after == before


def test_shipments_need_their_document(world: World) -> None:
    world.ok("record_input", world.cast.recycler, C_FLAKE, 10, 1, evidence())
    tid = m.token_id(C_FLAKE, m.period_at(3, world.now()))
    world.rejects("ShipmentDocumentMissing", "ship", world.cast.recycler, U_RESIN, G_FLAKE, 10,
                  ZERO, [(tid, 10)])  # fmt: skip
