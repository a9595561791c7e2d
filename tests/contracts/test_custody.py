"""Issue 13: a certified chain of custody. Under a scheme that requires it, shipping, transferring,
converting and claiming credits of its classes needs a certificate of that scheme, valid now, not
revoked, covering the class and the unit, for the acting unit and for the receiving unit, except a
final claimant the scheme allows. Each case runs on the chain and on the model."""

from __future__ import annotations

import pytest

from tests import model as m
from tests.factories import (
    C_BIO,
    C_CONTAINER,
    C_FLAKE,
    C_GLASS,
    C_RESIN,
    CERT_RECYCLER,
    CERT_RESIN,
    G_FLAKE,
    P_BRAND,
    P_CERTIFIER,
    PR_RESIN,
    S_EU,
    S_PLUS,
    START,
    U_BRAND,
    U_OUTSIDER,
    U_RECYCLER,
    U_RESIN,
    U_RESIN2,
    YEAR,
    World,
    class_spec,
    evidence,
    withdraw,
)
from tracenet.contracts.errors import LedgerRevert

T = 1_000_000
STRICT = m.CUSTODY_CERTIFIED
EXEMPT = m.CUSTODY_FINAL_CLAIMANT_EXEMPT


def custody(world: World, mode: int, scheme: int = S_PLUS) -> None:
    world.send(world.catalog.functions.setSchemeCustody(scheme, mode), world.cast.admin)
    world.model.custody[scheme] = mode


def flake(world: World, amount: int = T) -> int:
    world.ok("record_input", world.cast.recycler, C_FLAKE, amount, CERT_RECYCLER, evidence())
    return m.token_id(C_FLAKE, m.period_at(3, world.now()))


def ship(world: World, sender: str, to: int, tid: int, amount: int = T) -> tuple[object, ...]:
    return (sender, to, G_FLAKE, amount, evidence(), [(tid, amount)])


def certify_brand(world: World, classes: list[int], until: int = START + YEAR) -> int:
    cert_id = world.consortium.functions.counts().call()[3] + 1
    fn = world.consortium.functions.registerCertificate(
        P_BRAND, S_PLUS, f"ISCC-PLUS-BRAND-{cert_id}", START, until, 0, classes, [U_BRAND]
    )
    world.send(fn, world.cast.certifier)
    world.model.register_certificate(
        cert_id,
        m.Certificate(
            P_BRAND, S_PLUS, P_CERTIFIER, START, until, 0, frozenset(classes), frozenset([U_BRAND])
        ),
    )
    return cert_id


class TestStrictChain:
    def test_certified_supplier_to_certified_buyer_is_accepted(self, world: World) -> None:
        custody(world, STRICT)
        tid = flake(world, 2 * T)
        world.ok("ship", *ship(world, world.cast.recycler, U_RESIN, tid))
        world.ok("claim", world.cast.resin, [(tid, T // 2)], "Acme")
        assert world.balance(U_RESIN, tid) == T // 2

    def test_recipient_uncertified(self, world: World) -> None:
        custody(world, STRICT)
        tid = flake(world)
        revert = world.rejects(
            "CustodyCertificateMissing", "ship", *ship(world, world.cast.recycler, U_BRAND, tid)
        )
        assert revert.error_args == {"unitId": U_BRAND, "classId": C_FLAKE, "schemeId": S_PLUS}
        assert world.balance(U_RECYCLER, tid) == T

    def test_no_certificate_to_act(self, world: World) -> None:
        tid = flake(world)
        world.ok("ship", *ship(world, world.cast.recycler, U_BRAND, tid))  # before the rule
        custody(world, STRICT)
        world.rejects("CustodyCertificateMissing", "claim", world.cast.brand, [(tid, T)], "Acme")
        certify_brand(world, [C_FLAKE])
        world.ok("claim", world.cast.brand, [(tid, T)], "Acme")

    def test_expired_certificate(self, world: World) -> None:
        tid = flake(world)
        custody(world, STRICT)
        world.travel(START + 2 * YEAR)  # the first second the recycler's certificate is not valid
        revert = world.rejects(
            "CertificateNotValid", "ship", *ship(world, world.cast.recycler, U_RESIN, tid)
        )
        assert revert.error_args["certificateId"] == CERT_RECYCLER

    def test_withdrawn_certificate(self, world: World) -> None:
        tid = flake(world)
        custody(world, STRICT)
        withdraw(world, CERT_RECYCLER)
        world.rejects(
            "CertificateNotInForce", "ship", *ship(world, world.cast.recycler, U_RESIN, tid)
        )

    def test_scope_lacks_class(self, world: World) -> None:
        tid = flake(world)
        world.ok("ship", *ship(world, world.cast.recycler, U_RESIN, tid))
        custody(world, STRICT)
        # The resin maker's certificate covers flakes, not the resin its conversion outputs.
        revert = world.rejects(
            "CertificateScopeClass", "convert", world.cast.resin, PR_RESIN, 0, [(tid, T)]
        )
        assert revert.error_args == {"certificateId": CERT_RESIN, "classId": C_RESIN}

    def test_scope_lacks_unit(self, world: World) -> None:
        tid = flake(world)
        world.ok("ship", *ship(world, world.cast.recycler, U_RESIN, tid))
        custody(world, STRICT)
        revert = world.rejects(
            "CertificateScopeUnit", "transfer_inventory", world.cast.resin, U_RESIN2, [(tid, T)]
        )
        assert revert.error_args == {"certificateId": CERT_RESIN, "unitId": U_RESIN2}

    def test_a_renewed_certificate_is_found_beside_an_expired_one(self, world: World) -> None:
        custody(world, STRICT)
        certify_brand(world, [C_FLAKE], until=START + 10)
        certify_brand(world, [C_FLAKE], until=START + YEAR)
        world.travel(START + 100)
        tid = flake(world)
        world.ok("ship", *ship(world, world.cast.recycler, U_BRAND, tid))

    def test_the_latest_certificate_names_why_none_is_valid(self, world: World) -> None:
        custody(world, STRICT)
        certify_brand(world, [C_FLAKE], until=START + 10)
        latest = certify_brand(world, [C_RESIN])
        world.travel(START + 100)
        tid = flake(world)
        revert = world.rejects(
            "CertificateScopeClass", "ship", *ship(world, world.cast.recycler, U_BRAND, tid)
        )
        assert revert.error_args == {"certificateId": latest, "classId": C_FLAKE}


class TestFinalClaimant:
    def test_an_uncertified_final_claimant_receives_and_claims(self, world: World) -> None:
        custody(world, EXEMPT)
        tid = flake(world, 2 * T)
        world.ok("ship", *ship(world, world.cast.recycler, U_BRAND, tid, 2 * T))
        world.ok("claim", world.cast.brand, [(tid, T)], "Acme")

    def test_but_never_passes_the_credits_on(self, world: World) -> None:
        custody(world, EXEMPT)
        tid = flake(world)
        world.ok("ship", *ship(world, world.cast.recycler, U_BRAND, tid))
        world.rejects(
            "CustodyCertificateMissing", "ship", *ship(world, world.cast.brand, U_OUTSIDER, tid)
        )

    def test_the_supplier_still_needs_its_certificate(self, world: World) -> None:
        tid = flake(world)
        custody(world, EXEMPT)
        withdraw(world, CERT_RECYCLER)
        world.rejects(
            "CertificateNotInForce", "ship", *ship(world, world.cast.recycler, U_RESIN, tid)
        )
        world.ok("claim", world.cast.recycler, [(tid, T)], "Acme")  # claiming needs none here


class TestSchemeDeclaration:
    def test_other_schemes_are_unaffected(self, world: World) -> None:
        custody(world, STRICT)
        world.ok("record_input", world.cast.recycler, C_BIO, T, 3, evidence())
        tid = m.token_id(C_BIO, m.period_at(1, world.now()))
        world.ok("transfer_certificates", world.cast.recycler, U_OUTSIDER, [(tid, T)])

    def test_class_info_carries_the_scheme_s_requirement(self, world: World) -> None:
        custody(world, EXEMPT)
        fns = world.catalog.functions
        assert fns.classInfo(C_FLAKE).call()[-1] == EXEMPT
        assert fns.schemeCustody(S_PLUS).call() == EXEMPT
        assert fns.schemeCustody(S_EU).call() == m.CUSTODY_NONE

    def test_every_class_of_the_scheme_follows_each_change(self, world: World) -> None:
        # The class slot keeps its scheme's requirement (one storage read per class, issue 12):
        # classes registered before and after a change, of this scheme only, change back too.
        fns = world.catalog.functions
        custody(world, STRICT)
        later = class_spec("rPET sheet", S_PLUS, G_FLAKE, m.MASS_BALANCE, 3, 2)
        world.send(fns.registerClass(later), world.cast.admin)
        new_class = fns.counts().call()[2]
        plus = [C_FLAKE, C_RESIN, C_GLASS, C_CONTAINER, new_class]
        assert [fns.classInfo(c).call()[-1] for c in plus] == [STRICT] * 5
        assert fns.classInfo(C_BIO).call()[-1] == m.CUSTODY_NONE
        custody(world, m.CUSTODY_NONE)
        assert [fns.classInfo(c).call()[-1] for c in plus] == [m.CUSTODY_NONE] * 5
        custody(world, STRICT, S_EU)
        assert fns.classInfo(C_BIO).call()[-1] == STRICT
        assert fns.classInfo(C_FLAKE).call()[-1] == m.CUSTODY_NONE

    @pytest.mark.parametrize(
        ("sender", "args", "error"),
        [
            ("certifier", (S_PLUS, STRICT), "AccessRoleMissing"),
            ("admin", (S_PLUS, 3), "SchemeCustodyInvalid"),
            ("admin", (9, STRICT), "SchemeUnknown"),
        ],
    )
    def test_only_the_admin_declares_a_known_requirement(
        self, world: World, sender: str, args: tuple[int, int], error: str
    ) -> None:
        fn = world.catalog.functions.setSchemeCustody(*args)
        with pytest.raises(LedgerRevert) as info:
            world.send(fn, getattr(world.cast, sender))
        assert info.value.name == error
