"""Every rule of RULES.md the ledger enforces (R1–R9, R13): the accepted case and each case that
must be rejected, asserting the custom error. Each operation runs on the chain and on the model."""

from __future__ import annotations

import pytest

from tests import model as m
from tests.factories import (
    C_BIO,
    C_FLAKE,
    C_GLASS,
    C_RESIN,
    CERT_BIO,
    CERT_RECYCLER,
    CERT_RESIN,
    G_BIOOIL,
    G_FLAKE,
    G_GLASS,
    G_RESIN,
    P_RECYCLER,
    PR_CONTAINER,
    PR_RESIN,
    RESIN_AUDITED_VOLUME,
    S_PLUS,
    START,
    U_BRAND,
    U_OUTSIDER,
    U_RECYCLER,
    U_RECYCLER2,
    U_RESIN,
    U_RESIN2,
    U_RESIN3,
    U_RESIN4,
    World,
    add_sites,
    at,
    class_spec,
    evidence,
    extra_accounts,
    withdraw,
)

T = 1_000_000  # one tonne in grams


def flake(world: World, amount: int = 10 * T) -> int:
    """The recycler records certified flakes; returns their token id."""
    world.ok("record_input", world.cast.recycler, C_FLAKE, amount, CERT_RECYCLER, evidence("flake"))
    return m.token_id(C_FLAKE, m.period_at(3, world.now()))


def flake_at_resin(world: World, amount: int = 6 * T) -> int:
    tid = flake(world, amount)
    world.ok("ship", world.cast.recycler, U_RESIN, G_FLAKE, amount, evidence("dn"), [(tid, amount)])
    return tid


# ---- R1 conservation ----


class TestR1Conservation:
    def test_worked_example_flakes_to_resin(self, world: World) -> None:
        tid = flake(world, 10 * T)
        world.ok(
            "ship", world.cast.recycler, U_RESIN, G_FLAKE, 6 * T, evidence("dn"), [(tid, 6 * T)]
        )
        receipt = world.ok("convert", world.cast.resin, PR_RESIN, 0, [(tid, 6 * T)])
        (converted,) = world.events(receipt, "Converted")
        assert converted["outputAmount"] == 5_400_000
        assert world.balance(U_RECYCLER, tid) == 4 * T
        assert world.balance(U_RESIN, tid) == 0
        assert world.balance(U_RESIN, converted["outputTokenId"]) == 5_400_000
        # issued, convertedIn, convertedOut, claimed, lapsed, held
        assert world.supply(C_FLAKE) == (10 * T, 0, 6 * T, 0, 0, 4 * T)
        assert world.supply(C_RESIN) == (0, 5_400_000, 0, 0, 0, 5_400_000)

    @pytest.mark.parametrize("op", ["ship", "claim", "convert", "transfer_inventory"])
    def test_moving_more_than_held_is_rejected(self, world: World, op: str) -> None:
        tid = flake_at_resin(world, 2 * T)
        lines = [(tid, 2 * T + 1)]
        args = {
            "ship": (U_BRAND, G_FLAKE, 10 * T, evidence(), lines),
            "claim": (lines, "Brand"),
            "convert": (PR_RESIN, 0, lines),
            "transfer_inventory": (U_RESIN2, lines),
        }[op]
        revert = world.rejects("CreditsInsufficient", op, world.cast.resin, *args)
        assert revert.error_args["available"] == 2 * T
        assert world.balance(U_RESIN, tid) == 2 * T

    def test_repeated_lines_cannot_spend_twice(self, world: World) -> None:
        tid = flake(world, 3 * T)
        lines = [(tid, 2 * T), (tid, 2 * T)]
        world.rejects(
            "CreditsInsufficient",
            "ship",
            world.cast.recycler,
            U_RESIN,
            G_FLAKE,
            5 * T,
            evidence(),
            lines,
        )

    def test_zero_amount_and_empty_lines_are_rejected(self, world: World) -> None:
        tid = flake(world, T)
        world.rejects("AmountZero", "claim", world.cast.recycler, [(tid, 0)], "Brand")
        world.rejects("LinesInvalid", "claim", world.cast.recycler, [], "Brand")
        world.rejects(
            "QuantityZero", "ship", world.cast.recycler, U_RESIN, G_FLAKE, 0, evidence(), [(tid, 1)]
        )

    def test_claim_retires_for_good(self, world: World) -> None:
        tid = flake(world, T)
        receipt = world.ok("claim", world.cast.recycler, [(tid, T)], "Acme Bottles Ltd")
        (claimed,) = world.events(receipt, "Claimed")
        assert claimed["claimId"] == 1 and claimed["beneficiary"] == "Acme Bottles Ltd"
        assert world.supply(C_FLAKE) == (T, 0, 0, T, 0, 0)
        world.rejects("CreditsInsufficient", "claim", world.cast.recycler, [(tid, 1)], "Again")
        world.rejects("ClaimBeneficiaryMissing", "claim", world.cast.recycler, [(tid, 1)], "")


# ---- R2 authorised parties ----


class TestR2AuthorisedParties:
    def test_unknown_signer_is_rejected(self, world: World) -> None:
        world.rejects(
            "SignerUnknown",
            "record_input",
            world.cast.stranger,
            C_FLAKE,
            T,
            CERT_RECYCLER,
            evidence(),
        )

    def test_member_without_origin_role_cannot_create_credits(self, world: World) -> None:
        world.rejects(
            "AccessRoleMissing",
            "record_input",
            world.cast.brand,
            C_FLAKE,
            T,
            CERT_RECYCLER,
            evidence(),
        )

    def test_party_level_signer_acts_for_no_unit(self, world: World) -> None:
        world.rejects(
            "LedgerUnitRequired",
            "record_input",
            world.cast.recycler_office,
            C_FLAKE,
            T,
            CERT_RECYCLER,
            evidence(),
        )

    def test_suspended_party_can_neither_act_nor_receive(self, world: World) -> None:
        tid = flake(world, 2 * T)
        world.send(world.consortium.functions.suspendParty(P_RECYCLER), world.cast.admin)
        world.model.suspend(P_RECYCLER)
        world.rejects("PartyIsSuspended", "claim", world.cast.recycler, [(tid, 1)], "Brand")
        world.send(world.consortium.functions.reinstateParty(P_RECYCLER), world.cast.admin)
        world.model.reinstate(P_RECYCLER)
        world.ok("ship", world.cast.recycler, U_RESIN, G_FLAKE, T, evidence(), [(tid, T)])
        world.send(world.consortium.functions.suspendParty(5), world.cast.admin)  # resin maker
        world.model.suspend(5)
        world.rejects(
            "PartyIsSuspended",
            "ship",
            world.cast.recycler,
            U_RESIN,
            G_FLAKE,
            T,
            evidence(),
            [(tid, T)],
        )

    def test_recipient_must_be_a_member(self, world: World) -> None:
        tid = flake(world, T)
        world.send(world.consortium.functions.setRoles(6, m.ROLE_AUDITOR), world.cast.admin)
        world.model.parties[6].roles = m.ROLE_AUDITOR
        world.rejects(
            "AccessRoleMissing",
            "ship",
            world.cast.recycler,
            U_BRAND,
            G_FLAKE,
            T,
            evidence(),
            [(tid, T)],
        )

    def test_unknown_recipient_unit(self, world: World) -> None:
        tid = flake(world, T)
        world.rejects(
            "UnitUnknown", "ship", world.cast.recycler, 99, G_FLAKE, T, evidence(), [(tid, T)]
        )
        world.rejects(
            "ShipmentToSelf",
            "ship",
            world.cast.recycler,
            U_RECYCLER,
            G_FLAKE,
            T,
            evidence(),
            [(tid, T)],
        )


# ---- R3 valid origin, issued once ----


class TestR3ValidOrigin:
    def test_input_creates_credits_of_the_period(self, world: World) -> None:
        receipt = world.ok(
            "record_input", world.cast.recycler, C_FLAKE, 10 * T, CERT_RECYCLER, evidence()
        )
        (event,) = world.events(receipt, "InputRecorded")
        assert event["tokenId"] == m.token_id(C_FLAKE, m.period_at(3, START))
        assert event["amount"] == 10 * T and event["certificateId"] == CERT_RECYCLER

    def test_same_evidence_twice_under_any_class_is_rejected(self, world: World) -> None:
        doc = evidence("sd")
        world.ok("record_input", world.cast.recycler, C_FLAKE, T, CERT_RECYCLER, doc)
        world.rejects(
            "InputEvidenceReused",
            "record_input",
            world.cast.recycler,
            C_FLAKE,
            T,
            CERT_RECYCLER,
            doc,
        )
        world.rejects(
            "InputEvidenceReused", "record_input", world.cast.recycler, C_BIO, T, CERT_BIO, doc
        )
        world.rejects(
            "InputEvidenceReused", "record_input", world.cast.resin, C_FLAKE, T, CERT_RESIN, doc
        )

    def test_evidence_and_amount_are_required(self, world: World) -> None:
        world.rejects(
            "InputEvidenceMissing",
            "record_input",
            world.cast.recycler,
            C_FLAKE,
            T,
            CERT_RECYCLER,
            b"\0" * 32,
        )
        world.rejects(
            "AmountZero", "record_input", world.cast.recycler, C_FLAKE, 0, CERT_RECYCLER, evidence()
        )
        world.rejects(
            "ClassUnknown", "record_input", world.cast.recycler, 77, T, CERT_RECYCLER, evidence()
        )

    def test_certificate_must_be_known_and_in_force(self, world: World) -> None:
        world.rejects(
            "CertificateUnknown", "record_input", world.cast.recycler, C_FLAKE, T, 42, evidence()
        )
        withdraw(world, CERT_RECYCLER)
        world.rejects(
            "CertificateNotInForce",
            "record_input",
            world.cast.recycler,
            C_FLAKE,
            T,
            CERT_RECYCLER,
            evidence(),
        )

    def test_certificate_must_be_valid_on_the_date(self, world: World) -> None:
        world.travel(START + 2 * 365 * 86_400)  # the certificate's last second has passed
        world.rejects(
            "CertificateNotValid",
            "record_input",
            world.cast.recycler,
            C_FLAKE,
            T,
            CERT_RECYCLER,
            evidence(),
        )

    def test_certificate_not_yet_valid(self, world: World) -> None:
        later = world.now() + 86_400
        fn = world.consortium.functions.registerCertificate(
            P_RECYCLER, 1, "ISCC-PLUS-FUTURE", later, later + 86_400, 0, [C_FLAKE], [U_RECYCLER]
        )
        world.send(fn, world.cast.certifier)
        world.model.certificates[4] = m.Certificate(
            P_RECYCLER,
            1,
            2,
            later,
            later + 86_400,
            0,
            frozenset([C_FLAKE]),
            frozenset([U_RECYCLER]),
        )
        world.rejects(
            "CertificateNotValid", "record_input", world.cast.recycler, C_FLAKE, T, 4, evidence()
        )
        world.travel(later)
        world.ok("record_input", world.cast.recycler, C_FLAKE, T, 4, evidence())

    def test_certificate_of_another_holder(self, world: World) -> None:
        world.rejects(
            "CertificateHolderMismatch",
            "record_input",
            world.cast.recycler,
            C_FLAKE,
            T,
            CERT_RESIN,
            evidence(),
        )

    def test_certificate_scope_scheme_class_and_site(self, world: World) -> None:
        world.rejects(
            "CertificateSchemeMismatch",
            "record_input",
            world.cast.recycler,
            C_BIO,
            T,
            CERT_RECYCLER,
            evidence(),
        )
        world.rejects(
            "CertificateScopeClass",
            "record_input",
            world.cast.resin,
            C_GLASS,
            T,
            CERT_RESIN,
            evidence(),
        )
        world.rejects(
            "CertificateScopeUnit",
            "record_input",
            world.cast.resin_site2,
            C_FLAKE,
            T,
            CERT_RESIN,
            evidence(),
        )

    def test_audited_volume_caps_inputs(self, world: World) -> None:
        world.ok(
            "record_input",
            world.cast.resin,
            C_FLAKE,
            RESIN_AUDITED_VOLUME - T,
            CERT_RESIN,
            evidence(),
        )
        revert = world.rejects(
            "CertificateVolumeExceeded",
            "record_input",
            world.cast.resin,
            C_FLAKE,
            T + 1,
            CERT_RESIN,
            evidence(),
        )
        assert revert.error_args["remaining"] == T
        world.ok("record_input", world.cast.resin, C_FLAKE, T, CERT_RESIN, evidence())
        assert world.consortium.functions.certificate(CERT_RESIN).call()[7] == RESIN_AUDITED_VOLUME


# ---- R4 periods, carry-forward and lapse ----


class TestR4Periods:
    def test_quarterly_window_of_two_periods(self, world: World) -> None:
        world.travel(at(2031, 2, 10))
        tid = flake(world, 2 * T)  # vintage Q1 2031
        world.travel(at(2031, 6, 30, 23))  # last day of Q2: still usable
        world.ok("ship", world.cast.recycler, U_RESIN, G_FLAKE, T, evidence(), [(tid, T)])
        world.travel(at(2031, 7, 1, 0))  # first moment of Q3: lapsed
        world.rejects(
            "CreditsLapsed",
            "ship",
            world.cast.recycler,
            U_RESIN,
            G_FLAKE,
            T,
            evidence(),
            [(tid, T)],
        )
        world.rejects("CreditsLapsed", "claim", world.cast.recycler, [(tid, 1)], "Brand")
        world.rejects("CreditsLapsed", "convert", world.cast.resin, PR_RESIN, 0, [(tid, T)])

    def test_lapse_retires_expired_credits_by_anyone(self, world: World) -> None:
        tid = flake(world, 2 * T)
        world.rejects("CreditsNotLapsed", "lapse", world.cast.stranger, U_RECYCLER, [tid])
        world.travel(at(2031, 6, 30, 23))  # the window's last period (issue 26)
        world.rejects("CreditsNotLapsed", "lapse", world.cast.stranger, U_RECYCLER, [tid])
        world.travel(at(2031, 7, 1, 0))
        receipt = world.ok("lapse", world.cast.stranger, U_RECYCLER, [tid])
        (event,) = world.events(receipt, "Lapsed")
        assert event["amount"] == 2 * T and event["reason"] == m.LAPSE_WINDOW
        assert world.supply(C_FLAKE) == (2 * T, 0, 0, 0, 2 * T, 0)
        world.rejects("CreditsNone", "lapse", world.cast.stranger, U_RECYCLER, [tid])

    def test_conversion_never_extends_life(self, world: World) -> None:
        world.travel(at(2031, 3, 1))
        tid = flake_at_resin(world, 2 * T)  # vintage Q1
        world.travel(at(2031, 5, 1))  # Q2
        receipt = world.ok("convert", world.cast.resin, PR_RESIN, 0, [(tid, 2 * T)])
        out = world.events(receipt, "Converted")[0]["outputTokenId"]
        assert m.split_token_id(out)[1] == m.split_token_id(tid)[1]
        world.travel(at(2031, 7, 2))
        world.rejects("CreditsLapsed", "claim", world.cast.resin, [(out, 1)], "Brand")

    def test_conversion_into_longer_periods_keeps_the_vintage_s_year(self, world: World) -> None:
        """Issue 26: a Q2 vintage converted into a class with yearly periods is of that year,
        never the next: the output period is the one holding the input vintage's first month."""
        cat, mdl, certifier = world.catalog.functions, world.model, world.cast.certifier
        yearly, process = max(mdl.classes) + 1, max(mdl.processes) + 1
        spec = class_spec("rPET-resin, yearly books", S_PLUS, G_RESIN, m.MASS_BALANCE, 12, 1)
        world.send(cat.registerClass(spec), world.cast.admin)
        mdl.register_class(yearly, m.CreditClass(S_PLUS, G_RESIN, m.MASS_BALANCE, 12, 1))
        world.send(cat.registerProcess(U_RESIN, C_FLAKE, yearly, "Flake to resin 12"), certifier)
        world.send(cat.registerFactor(process, 9_000, START, evidence("yield")), certifier)
        mdl.register_process(process, m.Process(U_RESIN, C_FLAKE, yearly, [(9_000, START)]))
        world.travel(at(2031, 5, 1))
        tid = flake_at_resin(world, 2 * T)  # vintage 2031-Q2
        receipt = world.ok("convert", world.cast.resin, process, 0, [(tid, 2 * T)])
        out = world.events(receipt, "Converted")[0]["outputTokenId"]
        assert m.split_token_id(out)[1] == 2031 - 1970  # the year 2031, as a yearly period
        world.travel(at(2032, 1, 2))
        world.rejects("CreditsLapsed", "claim", world.cast.resin, [(out, 1)], "Brand")

    def test_period_close_caps_carry_forward_at_physical_stock(self, world: World) -> None:
        world.travel(at(2031, 1, 10))
        q1 = flake(world, 3 * T)
        world.travel(at(2031, 4, 10))
        q2 = flake(world, 5 * T)
        world.travel(at(2031, 7, 5))  # Q3: Q1 lapsed by window, Q2 carried forward
        world.rejects("CreditsLapsed", "claim", world.cast.recycler, [(q1, 1)], "x")
        receipt = world.ok("close_period", world.cast.recycler, C_FLAKE, 4 * T)
        (closed,) = world.events(receipt, "PeriodClosed")
        assert (closed["bookStock"], closed["physicalStock"], closed["lapsed"]) == (5 * T, 4 * T, T)
        assert world.balance(U_RECYCLER, q2) == 4 * T
        world.rejects("PeriodAlreadyClosed", "close_period", world.cast.recycler, C_FLAKE, 4 * T)

    def test_stock_over_book_lapses_nothing(self, world: World) -> None:
        world.travel(at(2031, 2, 1))
        flake(world, 3 * T)
        world.travel(at(2031, 4, 2))
        receipt = world.ok("close_period", world.cast.recycler, C_FLAKE, 9 * T)
        assert world.events(receipt, "PeriodClosed")[0]["lapsed"] == 0

    def test_a_class_without_the_stock_cap_lapses_nothing_at_close(self, world: World) -> None:
        """Issue 26: rPET-resin does not cap the carry-forward at the physical stock."""
        world.travel(at(2031, 2, 1))
        tid = flake_at_resin(world, 2 * T)
        receipt = world.ok("convert", world.cast.resin, PR_RESIN, 0, [(tid, 2 * T)])
        out = world.events(receipt, "Converted")[0]["outputTokenId"]
        world.travel(at(2031, 4, 2))
        receipt = world.ok("close_period", world.cast.resin, C_RESIN, 0)
        closed = world.events(receipt, "PeriodClosed")[0]
        assert (closed["bookStock"], closed["physicalStock"], closed["lapsed"]) == (1_800_000, 0, 0)
        assert world.balance(U_RESIN, out) == 1_800_000

    def test_period_close_is_for_mass_balance_classes(self, world: World) -> None:
        world.rejects("PeriodCloseModel", "close_period", world.cast.recycler, C_GLASS, 0)

    @pytest.mark.parametrize(
        ("months", "window", "scheme", "error"),
        [
            (6, 2, 2, "ClassPeriodInvalid"),
            (5, 2, 1, "ClassPeriodInvalid"),
            (3, 0, 1, "ClassWindowInvalid"),
            (3, 13, 1, "ClassWindowInvalid"),
            (3, 2, 9, "SchemeUnknown"),
        ],
    )
    def test_class_periods_follow_the_scheme(
        self, world: World, months: int, window: int, scheme: int, error: str
    ) -> None:
        from tests.factories import class_spec
        from tracenet.contracts.errors import LedgerRevert

        spec = class_spec("Too long", scheme, G_FLAKE, m.MASS_BALANCE, months, window)
        with pytest.raises(LedgerRevert) as info:
            world.send(world.catalog.functions.registerClass(spec), world.cast.admin)
        assert info.value.name == error


# ---- R5 real conversion factors ----


class TestR5ConversionFactors:
    def test_output_is_input_times_factor_rounded_down(self, world: World) -> None:
        tid = flake_at_resin(world, 1_111)
        receipt = world.ok("convert", world.cast.resin, PR_RESIN, 0, [(tid, 1_111)])
        assert world.events(receipt, "Converted")[0]["outputAmount"] == 999

    def test_unknown_process_wrong_site_and_wrong_input(self, world: World) -> None:
        tid = flake_at_resin(world, T)
        world.rejects("ProcessUnknown", "convert", world.cast.resin, 9, 0, [(tid, T)])
        world.rejects(
            "ProcessSiteMismatch", "convert", world.cast.resin_site2, PR_RESIN, 0, [(tid, T)]
        )
        world.rejects(
            "ConversionInputMismatch", "convert", world.cast.resin, PR_CONTAINER, 0, [(tid, T)]
        )
        world.rejects("FactorUnknown", "convert", world.cast.resin, PR_RESIN, 1, [(tid, T)])
        world.rejects("ConversionOutputZero", "convert", world.cast.resin, PR_RESIN, 0, [(tid, 1)])

    def test_superseded_and_future_factors_are_rejected(self, world: World) -> None:
        tid = flake_at_resin(world, 2 * T)
        effective = world.now() + 10 * 86_400
        world.send(
            world.catalog.functions.registerFactor(PR_RESIN, 8_500, effective, evidence()),
            world.cast.certifier,
        )
        world.model.register_factor(PR_RESIN, 8_500, effective)
        world.rejects("FactorNotEffective", "convert", world.cast.resin, PR_RESIN, 1, [(tid, T)])
        world.ok("convert", world.cast.resin, PR_RESIN, 0, [(tid, T)])
        world.travel(effective - 1)  # its last second before (issue 26)
        world.rejects("FactorNotEffective", "convert", world.cast.resin, PR_RESIN, 1, [(tid, T)])
        world.travel(effective)
        world.rejects("FactorSuperseded", "convert", world.cast.resin, PR_RESIN, 0, [(tid, T)])
        receipt = world.ok("convert", world.cast.resin, PR_RESIN, 1, [(tid, T)])
        assert world.events(receipt, "Converted")[0]["outputAmount"] == 850_000

    @pytest.mark.parametrize(
        ("bps", "effective_delta", "error"),
        [
            (10_001, 0, "FactorOutOfRange"),
            (0, 0, "FactorOutOfRange"),
            (9_000, -1, "FactorOutOfOrder"),
        ],
    )
    def test_factor_registration_rules(
        self, world: World, bps: int, effective_delta: int, error: str
    ) -> None:
        from tracenet.contracts.errors import LedgerRevert

        fn = world.catalog.functions.registerFactor(
            PR_RESIN, bps, START + effective_delta, evidence()
        )
        with pytest.raises(LedgerRevert) as info:
            world.send(fn, world.cast.certifier)
        assert info.value.name == error

    def test_credits_move_only_within_their_product_group(self, world: World) -> None:
        tid = flake_at_resin(world, T)  # the resin maker's scope holds both flakes and resin
        world.rejects(
            "ShipmentProductGroupMismatch",
            "ship",
            world.cast.resin,
            U_BRAND,
            G_RESIN,
            T,
            evidence(),
            [(tid, T)],
        )


# ---- R6 feasibility caps ----


class TestR6Caps:
    def test_glass_cap_of_35_percent(self, world: World) -> None:
        world.ok("record_input", world.cast.recycler, C_GLASS, 9 * T, CERT_RECYCLER, evidence())
        tid = m.token_id(C_GLASS, m.period_at(3, world.now()), 1)
        revert = world.rejects(
            "CapExceeded",
            "ship",
            world.cast.recycler,
            U_RESIN,
            G_GLASS,
            20 * T,
            evidence(),
            [(tid, 7 * T + 1)],
        )
        assert revert.error_args == {"credits": 7 * T + 1, "cap": 7 * T}
        world.ok("ship", world.cast.recycler, U_RESIN, G_GLASS, 20 * T, evidence(), [(tid, 7 * T)])

    def test_the_cap_rounds_down_to_the_gram(self, world: World) -> None:
        """Issue 26: 20,000,001 g of glass under 35 % carry at most 7,000,000 g (7,000,000.35
        rounded down): the gram the fraction would round up to is refused."""
        world.ok("record_input", world.cast.recycler, C_GLASS, 9 * T, CERT_RECYCLER, evidence())
        tid = m.token_id(C_GLASS, m.period_at(3, world.now()), 1)
        lines = [(tid, 7 * T + 1)]
        revert = world.rejects(
            "CapExceeded",
            "ship",
            world.cast.recycler,
            U_RESIN,
            G_GLASS,
            20 * T + 1,
            evidence(),
            lines,
        )
        assert revert.error_args == {"credits": 7 * T + 1, "cap": 7 * T}

    def test_hundred_percent_is_absolute_across_lines(self, world: World) -> None:
        world.travel(at(2031, 3, 1))
        q1 = flake(world, T)
        world.travel(at(2031, 4, 1))
        q2 = flake(world, T)
        world.rejects(
            "CapExceeded",
            "ship",
            world.cast.recycler,
            U_RESIN,
            G_FLAKE,
            T + 1,
            evidence(),
            [(q1, T), (q2, 2)],
        )
        world.ok(
            "ship", world.cast.recycler, U_RESIN, G_FLAKE, T + 1, evidence(), [(q1, T), (q2, 1)]
        )

    def test_product_group_share_is_at_most_full(self, world: World) -> None:
        from tracenet.contracts.errors import LedgerRevert

        for share in (0, 10_001):
            with pytest.raises(LedgerRevert) as info:
                world.send(
                    world.catalog.functions.registerProductGroup("x", share), world.cast.admin
                )
            assert info.value.name == "ProductGroupShareInvalid"


# ---- R7 same product, same boundary ----


class TestR7Boundary:
    def test_inventory_transfer_inside_a_multi_site_boundary(self, world: World) -> None:
        tid = flake_at_resin(world, 2 * T)
        receipt = world.ok("transfer_inventory", world.cast.resin, U_RESIN2, [(tid, T)])
        assert world.events(receipt, "InventoryTransferred")[0]["toUnitId"] == U_RESIN2
        assert world.balance(U_RESIN2, tid) == T

    def test_inventory_transfer_across_entities_or_outside_a_boundary(self, world: World) -> None:
        tid = flake_at_resin(world, 2 * T)
        world.rejects(
            "BoundaryViolation", "transfer_inventory", world.cast.resin, U_BRAND, [(tid, T)]
        )
        rtid = flake(world, T)
        world.rejects(
            "BoundaryViolation", "transfer_inventory", world.cast.recycler, U_RESIN, [(rtid, T)]
        )

    def test_no_inventory_transfer_between_sites_not_in_one_boundary(self, world: World) -> None:
        """Issue 26: every pair of one party's sites that do not share a boundary is refused:
        two sites outside any boundary, one inside and one outside, two boundaries (and a site to
        itself). The sender holds the credits, so only R7 can refuse; shipping is the way."""
        add_sites(world, extra_accounts(world.w3, 3))
        recycler2, resin3, resin4 = extra_accounts(world.w3, 3)
        tid = flake(world, 10 * T)
        for to in (U_RECYCLER2, U_RESIN3, U_RESIN4):
            world.ok("ship", world.cast.recycler, to, G_FLAKE, T, evidence("dn"), [(tid, T)])
        world.ok("ship", world.cast.recycler, U_RESIN, G_FLAKE, T, evidence("dn"), [(tid, T)])
        pairs = [
            (world.cast.recycler, U_RECYCLER, U_RECYCLER2),
            (recycler2, U_RECYCLER2, U_RECYCLER),
            (world.cast.resin, U_RESIN, U_RESIN3),
            (resin3, U_RESIN3, U_RESIN),
            (world.cast.resin, U_RESIN, U_RESIN4),
            (resin4, U_RESIN4, U_RESIN2),
            (world.cast.resin, U_RESIN, U_RESIN),
        ]
        one_t = [(tid, T)]
        for sender, here, to in pairs:
            assert world.balance(here, tid) >= T
            revert = world.rejects("BoundaryViolation", "transfer_inventory", sender, to, one_t)
            assert dict(revert.error_args) == {"fromUnitId": here, "toUnitId": to}

    def test_boundary_belongs_to_one_legal_entity(self, world: World) -> None:
        from tracenet.contracts.errors import LedgerRevert

        fn = world.consortium.functions.registerUnit(P_RECYCLER, 1, "Foreign site", "x")
        with pytest.raises(LedgerRevert) as info:
            world.send(fn, world.cast.admin)
        assert info.value.name == "BoundaryForeignParty"


# ---- R8 chain-of-custody models ----


class TestR8Models:
    def _glass(self, world: World, amount: int) -> int:
        receipt = world.ok(
            "record_input", world.cast.recycler, C_GLASS, amount, CERT_RECYCLER, evidence()
        )
        return int(world.events(receipt, "InputRecorded")[0]["tokenId"])

    def test_segregated_batches_keep_identity_and_never_mix(self, world: World) -> None:
        a, b = self._glass(world, 3 * T), self._glass(world, 3 * T)
        assert a != b and m.split_token_id(a)[2] != m.split_token_id(b)[2]
        world.rejects(
            "SegregationViolated",
            "ship",
            world.cast.recycler,
            U_RESIN,
            G_GLASS,
            20 * T,
            evidence(),
            [(a, T), (b, T)],
        )
        world.ok(
            "ship", world.cast.recycler, U_RESIN, G_GLASS, 20 * T, evidence(), [(a, T), (a, T)]
        )
        receipt = world.ok("convert", world.cast.resin, PR_CONTAINER, 0, [(a, 2 * T)])
        out = world.events(receipt, "Converted")[0]["outputTokenId"]
        assert m.split_token_id(out)[2] == m.split_token_id(a)[2]

    def test_segregated_never_mixes_with_mass_balance(self, world: World) -> None:
        glass = self._glass(world, 3 * T)
        world.ok("ship", world.cast.recycler, U_RESIN, G_GLASS, 9 * T, evidence(), [(glass, T)])
        flakes = flake_at_resin(world, T)
        world.rejects(
            "SegregationViolated",
            "transfer_inventory",
            world.cast.resin,
            U_RESIN2,
            [(flakes, T), (glass, T)],
        )

    def test_book_and_claim_moves_without_shipment_only(self, world: World) -> None:
        world.ok("record_input", world.cast.recycler, C_BIO, 5 * T, CERT_BIO, evidence())
        bio = m.token_id(C_BIO, m.period_at(1, world.now()))
        world.rejects(
            "ModelNotShippable",
            "ship",
            world.cast.recycler,
            U_BRAND,
            G_BIOOIL,
            100 * T,
            evidence(),
            [(bio, T)],
        )
        world.ok("transfer_certificates", world.cast.recycler, U_BRAND, [(bio, 2 * T)])
        world.ok("claim", world.cast.brand, [(bio, 2 * T)], "Airline X")
        tid = flake(world, T)
        world.rejects(
            "ModelNotTradable", "transfer_certificates", world.cast.recycler, U_BRAND, [(tid, T)]
        )

    @pytest.mark.parametrize(
        ("overrides", "error"),
        [
            ({"attribution": 2}, "ClassAttributionUnsupported"),
            ({"attribution": 1, "model": 1}, "ClassAttributionModel"),
            ({"model": 1, "cap_at_stock": True}, "ClassStockCapInvalid"),
            ({"model": 3}, "ClassModelInvalid"),
        ],
    )
    def test_class_model_and_method_are_declared(
        self, world: World, overrides: dict[str, int], error: str
    ) -> None:
        from tests.factories import class_spec
        from tracenet.contracts.errors import LedgerRevert

        kwargs = {"model": m.MASS_BALANCE} | overrides
        model = kwargs.pop("model")
        spec = class_spec("Declared", 1, G_FLAKE, model, 3, 2, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(LedgerRevert) as info:
            world.send(world.catalog.functions.registerClass(spec), world.cast.admin)
        assert info.value.name == error


# ---- R9 records ----


class TestR9Records:
    def test_shipment_event_carries_its_full_record(self, world: World) -> None:
        tid = flake(world, 2 * T)
        doc = evidence("delivery note")
        receipt = world.ok("ship", world.cast.recycler, U_OUTSIDER, G_FLAKE, 2 * T, doc, [(tid, T)])
        (shipped,) = world.events(receipt, "Shipped")
        assert shipped["shipmentId"] == 1
        assert (shipped["fromUnitId"], shipped["toUnitId"]) == (U_RECYCLER, U_OUTSIDER)
        assert (shipped["productGroupId"], shipped["quantity"]) == (G_FLAKE, 2 * T)
        assert shipped["documentHash"] == doc
        assert shipped["orderRef"].rstrip(b"\0") == b"PO-1"
        assert (shipped["tokenIds"], shipped["amounts"]) == ([tid], [T])
        (transfer,) = world.events(receipt, "TransferSingle")
        ledger = world.ledger.functions
        assert transfer["from"] == ledger.accountOf(U_RECYCLER).call()
        assert transfer["to"] == ledger.accountOf(U_OUTSIDER).call()
        assert ledger.balanceOf(transfer["to"], tid).call() == T

    def test_quantities_only_records(self, world: World) -> None:
        receipt = world.ok("record_conventional", world.cast.resin, G_FLAKE, 5 * T, evidence())
        assert world.events(receipt, "ConventionalInputRecorded")[0]["quantity"] == 5 * T
        receipt = world.ok("record_production", world.cast.resin, G_RESIN, 9 * T, evidence())
        assert world.events(receipt, "ProductionRecorded")[0]["productGroupId"] == G_RESIN
        world.rejects("QuantityZero", "record_production", world.cast.resin, G_RESIN, 0, evidence())
        world.rejects(
            "ProductGroupUnknown", "record_conventional", world.cast.resin, 99, 1, evidence()
        )

    def test_erc1155_reads_and_disabled_transfers(self, world: World) -> None:
        from tracenet.contracts.errors import LedgerRevert

        tid = flake(world, T)
        ledger = world.ledger.functions
        account = ledger.accountOf(U_RECYCLER).call()
        assert ledger.balanceOfBatch([account, account], [tid, tid + 1]).call() == [T, 0]
        assert ledger.supportsInterface(bytes.fromhex("d9b67a26")).call() is True
        assert ledger.isApprovedForAll(account, world.cast.recycler).call() is False
        fn = ledger.safeTransferFrom(account, world.cast.brand, tid, 1, b"")
        with pytest.raises(LedgerRevert) as info:
            world.send(fn, world.cast.recycler)
        assert info.value.name == "TransferDisabled"


# ---- R13 conservation, readable on chain ----


def test_r13_created_equals_held_claimed_lapsed_and_conversion_losses(world: World) -> None:
    tid = flake(world, 10 * T)
    world.ok("ship", world.cast.recycler, U_RESIN, G_FLAKE, 6 * T, evidence(), [(tid, 6 * T)])
    receipt = world.ok("convert", world.cast.resin, PR_RESIN, 0, [(tid, 6 * T)])
    resin = world.events(receipt, "Converted")[0]["outputTokenId"]
    world.ok("claim", world.cast.resin, [(resin, T)], "Brand")
    world.travel(at(2031, 7, 1, 0))
    world.ok("lapse", world.cast.stranger, U_RECYCLER, [tid])
    created = held = claimed = lapsed = loss = 0
    for class_id in (C_FLAKE, C_RESIN):
        issued, c_in, c_out, c_claimed, c_lapsed, c_held = world.supply(class_id)
        assert issued + c_in == c_held + c_claimed + c_lapsed + c_out
        created, held, claimed, lapsed = (
            created + issued,
            held + c_held,
            claimed + c_claimed,
            lapsed + c_lapsed,
        )
        loss += c_out - c_in
    assert (created, held, claimed, lapsed, loss) == (10 * T, 4_400_000, T, 4 * T, 600_000)
    model_held = world.model.held_by_class()
    assert (model_held.get(C_FLAKE, 0), model_held[C_RESIN]) == (0, 4_400_000)
