"""R2 access control: every state-changing function, called by a party without the right role, by
an unknown or suspended signer, or for a party or unit that is not the caller's own, is rejected
with its custom error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests import model as m
from tests.factories import (
    C_FLAKE,
    CERT_RECYCLER,
    G_FLAKE,
    P_BRAND,
    P_RECYCLER,
    P_RESIN,
    PR_RESIN,
    START,
    U_BRAND,
    U_RECYCLER,
    U_RESIN,
    ZERO,
    World,
    class_spec,
    evidence,
)
from tracenet.contracts.errors import LedgerRevert

Call = Callable[[World], Any]

ADMIN_ONLY: dict[str, Call] = {
    "registerParty": lambda w: w.consortium.functions.registerParty("X", ZERO, m.ROLE_MEMBER),
    "setRoles": lambda w: w.consortium.functions.setRoles(P_BRAND, m.ROLE_MEMBER | m.ROLE_ORIGIN),
    "suspendParty": lambda w: w.consortium.functions.suspendParty(P_BRAND),
    "reinstateParty": lambda w: w.consortium.functions.reinstateParty(P_BRAND),
    "declareBoundary": lambda w: w.consortium.functions.declareBoundary(P_BRAND, "B"),
    "registerUnit": lambda w: w.consortium.functions.registerUnit(P_BRAND, 0, "U", "L"),
    "bindLedger": lambda w: w.consortium.functions.bindLedger(w.cast.stranger),
    "registerScheme": lambda w: w.catalog.functions.registerScheme("S", 3),
    "registerProductGroup": lambda w: w.catalog.functions.registerProductGroup("G", 5_000),
    "registerClass": lambda w: w.catalog.functions.registerClass(
        class_spec("C", 1, G_FLAKE, m.MASS_BALANCE, 3, 2)
    ),
}

CERTIFIER_ONLY: dict[str, Call] = {
    "registerCertificate": lambda w: w.consortium.functions.registerCertificate(
        P_RECYCLER, 1, "N-1", 0, 2**40, 0, [C_FLAKE], [U_RECYCLER]
    ),
    "setCertificateStatus": lambda w: w.consortium.functions.setCertificateStatus(
        CERT_RECYCLER, m.CERT_SUSPENDED, START, "audit"
    ),
    "registerProcess": lambda w: w.catalog.functions.registerProcess(U_RESIN, 1, 2, "P"),
    "registerFactor": lambda w: w.catalog.functions.registerFactor(
        PR_RESIN, 9_000, 2**40, evidence()
    ),
}


def _shipment(w: World) -> Any:
    tid = m.token_id(C_FLAKE, m.period_at(3, w.now()))
    return w.ledger.functions.ship((U_RESIN, G_FLAKE, 1, evidence(), ZERO, ZERO, [tid], [1]))


MEMBER_OPERATIONS: dict[str, Call] = {
    "recordConventionalInput": lambda w: w.ledger.functions.recordConventionalInput(
        G_FLAKE, 1, evidence()
    ),
    "recordProduction": lambda w: w.ledger.functions.recordProduction(G_FLAKE, 1, evidence()),
    "ship": _shipment,
    "transferInventory": lambda w: w.ledger.functions.transferInventory(U_RESIN, [1], [1]),
    "transferCertificates": lambda w: w.ledger.functions.transferCertificates(
        U_RESIN, ZERO, [1], [1]
    ),
    "convert": lambda w: w.ledger.functions.convert(PR_RESIN, 0, [1], [1]),
    "claim": lambda w: w.ledger.functions.claim([1], [1], "B", ZERO, ZERO),
    "closePeriod": lambda w: w.ledger.functions.closePeriod(C_FLAKE, 0),
    "recordInput": lambda w: w.ledger.functions.recordInput(C_FLAKE, 1, CERT_RECYCLER, evidence()),
}


def _rejected(world: World, call: Call, sender: str) -> LedgerRevert:
    with pytest.raises(LedgerRevert) as info:
        world.send(call(world), sender)
    return info.value


@pytest.mark.parametrize("name", sorted(ADMIN_ONLY))
@pytest.mark.parametrize("who", ["certifier", "recycler", "brand"])
def test_admin_functions_need_the_admin_role(world: World, name: str, who: str) -> None:
    revert = _rejected(world, ADMIN_ONLY[name], getattr(world.cast, who))
    assert revert.name == "AccessRoleMissing"
    assert revert.error_args["role"] == m.ROLE_ADMIN


@pytest.mark.parametrize("name", sorted(CERTIFIER_ONLY))
@pytest.mark.parametrize("who", ["admin", "recycler", "auditor"])
def test_certifier_functions_need_the_certifier_role(world: World, name: str, who: str) -> None:
    revert = _rejected(world, CERTIFIER_ONLY[name], getattr(world.cast, who))
    assert revert.name == "AccessRoleMissing"
    assert revert.error_args["role"] == m.ROLE_CERTIFIER


@pytest.mark.parametrize("name", sorted({**ADMIN_ONLY, **CERTIFIER_ONLY, **MEMBER_OPERATIONS}))
def test_unknown_signers_cannot_call_anything(world: World, name: str) -> None:
    call = {**ADMIN_ONLY, **CERTIFIER_ONLY, **MEMBER_OPERATIONS}[name]
    assert _rejected(world, call, world.cast.stranger).name == "SignerUnknown"


@pytest.mark.parametrize("name", sorted(MEMBER_OPERATIONS))
def test_ledger_operations_need_a_unit(world: World, name: str) -> None:
    for who in ("admin", "certifier", "auditor", "recycler_office"):
        revert = _rejected(world, MEMBER_OPERATIONS[name], getattr(world.cast, who))
        assert revert.name == "LedgerUnitRequired", who


@pytest.mark.parametrize("name", sorted(MEMBER_OPERATIONS))
def test_ledger_operations_need_the_member_role(world: World, name: str) -> None:
    world.send(world.consortium.functions.setRoles(P_RECYCLER, m.ROLE_ORIGIN), world.cast.admin)
    revert = _rejected(world, MEMBER_OPERATIONS[name], world.cast.recycler)
    assert (revert.name, revert.error_args["role"]) == ("AccessRoleMissing", m.ROLE_MEMBER)


def test_creating_credits_needs_the_origin_role(world: World) -> None:
    revert = _rejected(world, MEMBER_OPERATIONS["recordInput"], world.cast.brand)
    assert (revert.name, revert.error_args["role"]) == ("AccessRoleMissing", m.ROLE_ORIGIN)


@pytest.mark.parametrize("name", sorted(MEMBER_OPERATIONS))
def test_suspended_parties_cannot_act(world: World, name: str) -> None:
    world.send(world.consortium.functions.suspendParty(P_RECYCLER), world.cast.admin)
    revert = _rejected(world, MEMBER_OPERATIONS[name], world.cast.recycler)
    assert (revert.name, revert.error_args["partyId"]) == ("PartyIsSuspended", P_RECYCLER)


def test_signers_are_managed_only_by_their_own_party(world: World) -> None:
    c = world.consortium.functions
    new = world.w3.eth.accounts[9]
    revert = _rejected(
        world, lambda w: c.authorizeSigner(new, P_RESIN, U_RESIN), world.cast.recycler
    )
    assert revert.name == "AccessForeignParty"
    revert = _rejected(
        world, lambda w: c.authorizeSigner(new, P_RECYCLER, U_BRAND), world.cast.recycler
    )
    assert revert.name == "UnitNotOwned"
    revert = _rejected(world, lambda w: c.revokeSigner(world.cast.brand), world.cast.recycler)
    assert revert.name == "AccessForeignParty"
    world.send(c.authorizeSigner(new, P_RECYCLER, U_RECYCLER), world.cast.recycler_office)
    assert world.consortium.functions.actorOf(new).call()[:2] == (P_RECYCLER, U_RECYCLER)
    world.send(c.revokeSigner(new), world.cast.recycler)
    revert = _rejected(world, lambda w: c.revokeSigner(new), world.cast.recycler)
    assert revert.name == "SignerUnknown"


def test_only_the_issuing_certifier_revokes_and_only_the_ledger_consumes(world: World) -> None:
    c = world.consortium.functions
    world.send(c.registerParty("Other certifier", ZERO, m.ROLE_CERTIFIER), world.cast.admin)
    other = world.w3.eth.accounts[9]
    world.send(c.authorizeSigner(other, 8, 0), world.cast.admin)
    suspend = lambda w: c.setCertificateStatus(CERT_RECYCLER, m.CERT_SUSPENDED, START, "audit")  # noqa: E731
    revert = _rejected(world, suspend, other)
    assert revert.name == "CertificateNotIssuer"
    consume = lambda w: c.consumeCertificate(CERT_RECYCLER, P_RECYCLER, U_RECYCLER, C_FLAKE, 1, 1)  # noqa: E731
    assert _rejected(world, consume, world.cast.certifier).name == "LedgerOnly"


def test_the_last_admin_cannot_be_suspended_or_demoted(world: World) -> None:
    c = world.consortium.functions
    assert _rejected(world, lambda w: c.suspendParty(1), world.cast.admin).name == "PartyLastAdmin"
    assert _rejected(world, lambda w: c.setRoles(1, m.ROLE_MEMBER), world.cast.admin).name == (
        "PartyLastAdmin"
    )
