"""R8, the rolling average percentage (issue 10): every shipment and claim of a rolling-average
class carries exactly the unit's share in force, computed by the ledger from recorded inputs over
the class's window. The worked example of contracts/src/README.md, each rejection, a window rolling
over period boundaries, a unit with no conventional input. Each runs on chain and model."""

from __future__ import annotations

import pytest

from tests import model as m
from tests.factories import (
    C_FLAKE,
    C_ROLL,
    CERT_RECYCLER,
    CERT_ROLL,
    G_FLAKE,
    G_PELLET,
    S_PLUS,
    U_BRAND,
    U_RECYCLER,
    U_RESIN,
    World,
    add_rolling,
    at,
    class_spec,
    evidence,
)
from tracenet import contracts
from tracenet.contracts.errors import LedgerRevert

T = 1_000_000  # one tonne in grams
Q1 = m.period_at(3, at(2031, 2, 1))  # 2031-Q1, the bootstrapped world's first quarter


@pytest.fixture
def rolling(world: World) -> World:
    add_rolling(world)
    return world


def pellet(vintage: int = Q1) -> int:
    return m.token_id(C_ROLL, vintage)


def feed(world: World, certified: int, conventional: int) -> None:
    """The recycler records certified and conventional pellet input."""
    if certified:
        world.ok("record_input", world.cast.recycler, C_ROLL, certified, CERT_ROLL, evidence())
    if conventional:
        world.ok("record_conventional", world.cast.recycler, G_PELLET, conventional, evidence())


def share(world: World, unit: int) -> tuple[int, int, int, int]:
    """The chain's share in force, checked against the model's."""
    view = world.ledger.functions.rollingShare(unit, C_ROLL).call()
    assert tuple(view) == world.model.rolling_share(unit, C_ROLL, world.now())
    return tuple(view)


class TestWorkedExample:
    def test_every_output_carries_the_share_in_force(self, rolling: World) -> None:
        w = rolling
        feed(w, 30 * T, 70 * T)  # 30 t certified + 70 t conventional: 30 %
        assert share(w, U_RECYCLER) == (Q1, 3_000, 30 * T, 100 * T)
        receipt = w.ok(
            "ship", w.cast.recycler, U_RESIN, G_PELLET, 10 * T, evidence(), [(pellet(), 3 * T)]
        )
        (applied,) = w.events(receipt, "RollingShareApplied")
        assert dict(applied) == {
            "operationId": 1, "unitId": U_RECYCLER, "classId": C_ROLL, "operation": 0,
            "period": Q1, "quantity": 10 * T, "amount": 3 * T, "shareBps": 3_000,
            "windowSustainable": 30 * T, "windowTotal": 100 * T,
        }  # fmt: skip
        # The receipt is input of the resin maker: 3 t sustainable of 10 t, 30 % again.
        assert share(w, U_RESIN) == (Q1, 3_000, 3 * T, 10 * T)
        # A share that does not divide the quantity: 30 % of 1 234 567 g, rounded down.
        w.ok(
            "ship", w.cast.recycler, U_BRAND, G_PELLET, 1_234_567, evidence(), [(pellet(), 370_370)]
        )
        assert w.balance(U_BRAND, pellet()) == 370_370

    def test_a_different_amount_is_rejected_naming_the_share(self, rolling: World) -> None:
        w = rolling
        feed(w, 30 * T, 70 * T)
        for given in (3 * T + 1, 3 * T - 1):
            err = w.rejects(
                "RollingShareMismatch", "ship", w.cast.recycler, U_RESIN, G_PELLET, 10 * T,
                evidence(), [(pellet(), given)],
            )  # fmt: skip
            assert err.error_args == {
                "classId": C_ROLL,
                "expected": 3 * T,
                "given": given,
                "shareBps": 3_000,
            }
        # A conventional delivery of the group is an output too: it must carry the share.
        w.rejects(
            "RollingShareMismatch",
            "ship",
            w.cast.recycler,
            U_RESIN,
            G_PELLET,
            10 * T,
            evidence(),
            [],
        )

    def test_no_conventional_input_is_a_full_share(self, rolling: World) -> None:
        w = rolling
        feed(w, 8 * T, 0)
        assert share(w, U_RECYCLER) == (Q1, 10_000, 8 * T, 8 * T)
        w.ok("ship", w.cast.recycler, U_RESIN, G_PELLET, 5 * T, evidence(), [(pellet(), 5 * T)])
        w.rejects(
            "RollingShareMismatch", "ship", w.cast.recycler, U_RESIN, G_PELLET, 5 * T, evidence(),
            [(pellet(), 2 * T)],
        )  # fmt: skip

    def test_no_input_at_all_is_a_zero_share(self, rolling: World) -> None:
        w = rolling
        assert share(w, U_RESIN) == (Q1, 0, 0, 0)
        w.ok("record_conventional", w.cast.resin, G_PELLET, 4 * T, evidence())
        assert share(w, U_RESIN) == (Q1, 0, 0, 4 * T)
        w.ok("ship", w.cast.resin, U_BRAND, G_PELLET, 2 * T, evidence(), [])

    def test_r1_holds_nothing_leaves_that_did_not_enter(self, rolling: World) -> None:
        w = rolling
        feed(w, 30 * T, 70 * T)
        w.ok("ship", w.cast.recycler, U_RESIN, G_PELLET, 10 * T, evidence(), [(pellet(), 3 * T)])
        # The resin maker's share is 30 % but it holds 3 t: 20 t of product would need 6 t.
        w.rejects(
            "CreditsInsufficient", "ship", w.cast.resin, U_BRAND, G_PELLET, 20 * T, evidence(),
            [(pellet(), 6 * T)],
        )  # fmt: skip
        w.ok("ship", w.cast.resin, U_BRAND, G_PELLET, 10 * T, evidence(), [(pellet(), 3 * T)])
        assert w.balance(U_RESIN, pellet()) == 0


class TestWindow:
    def test_the_window_rolls_over_period_boundaries(self, rolling: World) -> None:
        w = rolling
        feed(w, 30 * T, 70 * T)  # Q1: 30 of 100
        w.travel(at(2031, 4, 2))
        feed(w, 20 * T, 20 * T)  # Q2: 20 of 40; window Q1+Q2: 50 of 140 = 35.71 %
        assert share(w, U_RECYCLER) == (Q1 + 1, 3_571, 50 * T, 140 * T)
        q2 = pellet(Q1 + 1)
        w.ok("ship", w.cast.recycler, U_RESIN, G_PELLET, 7 * T, evidence(), [(q2, 2_499_700)])
        w.travel(at(2031, 7, 2))  # Q3: Q1 leaves the window; Q2 alone: 20 of 40
        assert share(w, U_RECYCLER) == (Q1 + 2, 5_000, 20 * T, 40 * T)
        w.rejects(
            "RollingShareMismatch", "ship", w.cast.recycler, U_RESIN, G_PELLET, 4 * T, evidence(),
            [(q2, 1_428_400)],
        )  # fmt: skip
        w.ok("ship", w.cast.recycler, U_RESIN, G_PELLET, 4 * T, evidence(), [(q2, 2 * T)])
        w.travel(at(2031, 10, 2))  # Q4: nothing recorded in Q3 or Q4
        assert share(w, U_RECYCLER) == (Q1 + 3, 0, 0, 0)

    def test_conversion_output_into_the_class_is_sustainable_input(self, rolling: World) -> None:
        w = rolling
        fn = w.catalog.functions.registerProcess(U_RECYCLER, C_FLAKE, C_ROLL, "Flake to pellet")
        w.send(fn, w.cast.certifier)
        process = w.catalog.functions.counts().call()[3]
        w.send(
            w.catalog.functions.registerFactor(process, 8_000, w.now(), evidence()),
            w.cast.certifier,
        )
        w.model.register_process(
            process, m.Process(U_RECYCLER, C_FLAKE, C_ROLL, [(8_000, w.now())])
        )
        w.ok("record_input", w.cast.recycler, C_FLAKE, 10 * T, CERT_RECYCLER, evidence())
        w.ok("convert", w.cast.recycler, process, 0, [(m.token_id(C_FLAKE, Q1), 10 * T)])
        w.ok("record_conventional", w.cast.recycler, G_PELLET, 12 * T, evidence())
        assert share(w, U_RECYCLER) == (Q1, 4_000, 8 * T, 20 * T)


class TestClaims:
    def test_a_claim_takes_the_share_of_the_claimed_quantity(self, rolling: World) -> None:
        w = rolling
        feed(w, 30 * T, 70 * T)
        w.ok("ship", w.cast.recycler, U_BRAND, G_PELLET, 10 * T, evidence(), [(pellet(), 3 * T)])
        receipt = w.ok(
            "claim_rolling", w.cast.brand, C_ROLL, 5 * T, [(pellet(), 1_500_000)], "Acme"
        )
        (applied,) = w.events(receipt, "RollingShareApplied")
        assert (applied["operation"], applied["operationId"], applied["shareBps"]) == (1, 1, 3_000)
        assert (applied["quantity"], applied["amount"]) == (5 * T, 1_500_000)
        assert w.supply(C_ROLL)[3] == 1_500_000  # claimed

    def test_claim_rejections(self, rolling: World) -> None:
        w = rolling
        feed(w, 30 * T, 70 * T)
        w.ok("record_input", w.cast.recycler, C_FLAKE, T, CERT_RECYCLER, evidence())
        flakes = m.token_id(C_FLAKE, Q1)
        lines = [(pellet(), 3 * T)]
        w.rejects(
            "RollingShareMismatch", "claim_rolling", w.cast.recycler, C_ROLL, 5 * T, lines, "Acme"
        )
        w.rejects("RollingQuantityRequired", "claim", w.cast.recycler, lines, "Acme")
        w.rejects(
            "RollingClassRequired",
            "claim_rolling",
            w.cast.recycler,
            C_FLAKE,
            T,
            [(flakes, T)],
            "Acme",
        )
        w.rejects(
            "RollingClassMismatch",
            "claim_rolling",
            w.cast.recycler,
            C_ROLL,
            T,
            [(flakes, T)],
            "Acme",
        )
        w.rejects("QuantityZero", "claim_rolling", w.cast.recycler, C_ROLL, 0, lines, "Acme")
        w.rejects("ClaimBeneficiaryMissing", "claim_rolling", w.cast.recycler, C_ROLL, T, lines, "")
        w.rejects("ClassUnknown", "claim_rolling", w.cast.recycler, 99, T, lines, "Acme")
        w.ok("claim_rolling", w.cast.recycler, C_ROLL, 10 * T, lines, "Acme")


class TestCatalog:
    @pytest.mark.parametrize(
        ("attribution", "model", "error"),
        [
            (2, m.MASS_BALANCE, "ClassAttributionUnsupported"),
            (1, m.SEGREGATED, "ClassAttributionModel"),
            (1, m.BOOK_AND_CLAIM, "ClassAttributionModel"),
        ],
    )
    def test_rolling_average_is_for_mass_balance(
        self, world: World, attribution: int, model: int, error: str
    ) -> None:
        spec = class_spec("Declared", S_PLUS, G_FLAKE, model, 3, 2, attribution=attribution)
        with pytest.raises(LedgerRevert) as info:
            world.send(world.catalog.functions.registerClass(spec), world.cast.admin)
        assert info.value.name == error
        with pytest.raises(m.Rejected) as rejected:
            world.model.register_class(
                9, m.CreditClass(S_PLUS, G_FLAKE, model, 3, 2, attribution=attribution)
            )
        assert rejected.value.name == error

    def test_at_most_four_rolling_classes_per_group(self, rolling: World) -> None:
        spec = class_spec("Another", S_PLUS, G_PELLET, m.MASS_BALANCE, 1, 3, attribution=1)
        for _ in range(3):
            rolling.send(rolling.catalog.functions.registerClass(spec), rolling.cast.admin)
        with pytest.raises(LedgerRevert) as info:
            rolling.send(rolling.catalog.functions.registerClass(spec), rolling.cast.admin)
        assert info.value.name == "ClassRollingLimit"
        assert info.value.error_args == {"productGroupId": G_PELLET, "max": 4}
        listed = rolling.catalog.functions.rollingClasses(G_PELLET).call()
        assert [c[0] for c in listed] == [C_ROLL, C_ROLL + 1, C_ROLL + 2, C_ROLL + 3]

    def test_a_credit_class_has_no_rolling_share(self, world: World) -> None:
        with pytest.raises(Exception) as info:  # web3's error, decoded below
            world.ledger.functions.rollingShare(U_RECYCLER, C_FLAKE).call()
        assert contracts.as_ledger_revert(info.value).name == "RollingClassRequired"
