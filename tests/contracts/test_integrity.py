"""Issue 7, on chain: one quantity bound in every operation of every contract, conventional
deliveries, lapse by anyone (R4) and a product scope per unit (R7). Each case runs on the chain and
on the model (``World.ok`` / ``World.rejects``), which must agree on the decision and the error."""

from __future__ import annotations

import pytest

from tests import model as m
from tests.factories import (
    C_BIO,
    C_FLAKE,
    C_RESIN,
    CERT_RECYCLER,
    G_BIOOIL,
    G_FLAKE,
    G_GLASS,
    G_RESIN,
    P_OUTSIDER,
    PR_RESIN,
    START,
    U_BRAND,
    U_OUTSIDER,
    U_RECYCLER,
    U_RESIN,
    U_RESIN2,
    YEAR,
    World,
    at,
    evidence,
)
from tracenet.contracts.errors import LedgerRevert

T = 1_000_000
MAX = m.MAX_QUANTITY_G
TOO_LARGE = [MAX + 1, 2**63, 2**128 + 5, 2**256 - 1]


def flake(world: World, amount: int = T) -> int:
    world.ok("record_input", world.cast.recycler, C_FLAKE, amount, CERT_RECYCLER, evidence())
    return m.token_id(C_FLAKE, m.period_at(3, world.now()))


def flake_at(world: World, unit: int, amount: int = T) -> int:
    tid = flake(world, amount)
    world.ok("ship", world.cast.recycler, unit, G_FLAKE, amount, evidence(), [(tid, amount)])
    return tid


def scope(world: World, unit: int, group: int, in_scope: bool, sender: str = "") -> object:
    fn = world.catalog.functions.setUnitScope(unit, group, in_scope)
    receipt = world.send(fn, sender or world.cast.admin)
    world.model.set_scope(unit, group, in_scope)
    return receipt


class TestQuantityBound:
    def test_the_bound_is_the_vocabulary_s(self) -> None:
        from tracenet import contracts

        assert contracts.MAX_QUANTITY_G == m.MAX_QUANTITY_G == 10**15
        assert contracts.MAX_CLASS_SUPPLY_G == m.MAX_CLASS_SUPPLY_G == 2**63 - 1

    def test_an_input_at_the_bound_is_accepted_and_reconciles(self, world: World) -> None:
        tid = flake(world, MAX)
        assert world.balance(U_RECYCLER, tid) == MAX
        assert world.supply(C_FLAKE) == (MAX, 0, 0, 0, 0, MAX)

    @pytest.mark.parametrize("amount", TOO_LARGE)
    def test_an_input_above_the_bound_is_rejected(self, world: World, amount: int) -> None:
        revert = world.rejects(
            "QuantityTooLarge", "record_input", world.cast.recycler, C_FLAKE, amount, 1, evidence()
        )
        assert revert.error_args == {"value": amount, "max": MAX}
        assert world.supply(C_FLAKE) == (0, 0, 0, 0, 0, 0)

    def test_a_ship_line_of_2_256_minus_1_is_the_bound_never_a_panic(self, world: World) -> None:
        tid = flake(world, T)
        lines = [(tid, T), (tid, 2**256 - 1)]
        world.rejects(
            "QuantityTooLarge", "ship", world.cast.recycler, U_RESIN, G_FLAKE, T, evidence(), lines
        )
        assert world.balance(U_RECYCLER, tid) == T

    @pytest.mark.parametrize("op", ["ship", "claim", "convert", "transfer_inventory"])
    def test_every_line_of_every_movement_is_bounded(self, world: World, op: str) -> None:
        tid = flake_at(world, U_RESIN, T)
        lines = [(tid, MAX + 1)]
        args = {
            "ship": (U_BRAND, G_FLAKE, MAX, evidence(), lines),
            "claim": (lines, "Brand"),
            "convert": (PR_RESIN, 0, lines),
            "transfer_inventory": (U_RESIN2, lines),
        }[op]
        world.rejects("QuantityTooLarge", op, world.cast.resin, *args)

    def test_trade_lines_are_bounded(self, world: World) -> None:
        c = world.cast
        world.ok("record_input", c.recycler, C_BIO, T, 3, evidence())
        tid = m.token_id(C_BIO, m.period_at(1, world.now()))
        world.rejects(
            "QuantityTooLarge", "transfer_certificates", c.recycler, U_BRAND, [(tid, 2**200)]
        )

    @pytest.mark.parametrize(
        ("op", "quantity"),
        [("record_conventional", MAX + 1), ("record_production", 2**256 - 1)],
    )
    def test_recorded_quantities_are_bounded(self, world: World, op: str, quantity: int) -> None:
        world.rejects("QuantityTooLarge", op, world.cast.recycler, G_FLAKE, quantity, evidence())
        world.ok(op, world.cast.recycler, G_FLAKE, MAX, evidence())

    def test_shipment_quantity_and_declared_stock_are_bounded(self, world: World) -> None:
        c = world.cast
        world.rejects(
            "QuantityTooLarge", "ship", c.recycler, U_RESIN, G_FLAKE, MAX + 1, evidence(), []
        )
        world.ok("ship", c.recycler, U_RESIN, G_FLAKE, MAX, evidence(), [])
        world.travel(at(2031, 4, 2))
        world.rejects("QuantityTooLarge", "close_period", c.recycler, C_FLAKE, MAX + 1)
        world.ok("close_period", c.recycler, C_FLAKE, MAX)

    def test_a_certificate_s_audited_volume_is_bounded(self, world: World) -> None:
        fn = world.consortium.functions.registerCertificate(
            P_OUTSIDER, 1, "X-1", START, START + YEAR, MAX + 1, [C_FLAKE], [U_OUTSIDER]
        )
        with pytest.raises(LedgerRevert) as info:
            world.send(fn, world.cast.certifier)
        assert (info.value.name, info.value.error_args) == (
            "QuantityTooLarge",
            {"value": MAX + 1, "max": MAX},
        )

    def test_model_bounds_a_class_s_supply(self) -> None:
        ledger = m.Ledger()
        ledger.counters[1] = m.Counters(issued=m.MAX_CLASS_SUPPLY_G - 5)
        with pytest.raises(m.Rejected) as info:
            ledger._grow_supply(1, 6)
        assert (info.value.name, info.value.args_) == (
            "SupplyCapExceeded",
            (1, m.MAX_CLASS_SUPPLY_G + 1, m.MAX_CLASS_SUPPLY_G),
        )
        ledger._grow_supply(1, 5)


class TestConventionalDeliveries:
    def test_a_shipment_with_no_credit_lines_is_recorded(self, world: World) -> None:
        receipt = world.ok("ship", world.cast.recycler, U_RESIN, G_FLAKE, 20 * T, evidence(), [])
        (shipped,) = world.events(receipt, "Shipped")
        assert (shipped["quantity"], shipped["tokenIds"], shipped["amounts"]) == (20 * T, [], [])
        assert (
            world.events(receipt, "TransferBatch") == world.events(receipt, "TransferSingle") == []
        )
        assert world.ledger.functions.counts().call()[1] == 1

    def test_unequal_lines_are_still_rejected(self, world: World) -> None:
        request = (U_RESIN, G_FLAKE, T, evidence(), b"\0" * 32, b"\0" * 32, [], [1])
        with pytest.raises(LedgerRevert) as info:
            world.send(world.ledger.functions.ship(request), world.cast.recycler)
        assert (info.value.name, info.value.error_args) == (
            "LinesInvalid",
            {"tokenIds": 0, "amounts": 1},
        )

    @pytest.mark.parametrize("op", ["claim", "convert", "transfer_inventory"])
    def test_other_movements_still_need_lines(self, world: World, op: str) -> None:
        args = {
            "claim": ([], "Brand"),
            "convert": (PR_RESIN, 0, []),
            "transfer_inventory": (U_RESIN2, []),
        }[op]
        world.rejects("LinesInvalid", op, world.cast.resin, *args)


class TestLapseByAnyone:
    def test_another_party_s_member_retires_expired_credits(self, world: World) -> None:
        tid = flake(world, 2 * T)
        world.travel(at(2031, 7, 1, 0))
        receipt = world.ok("lapse", world.cast.outsider, U_RECYCLER, [tid])
        (lapsed,) = world.events(receipt, "Lapsed")
        assert (lapsed["unitId"], lapsed["amount"]) == (U_RECYCLER, 2 * T)
        assert world.supply(C_FLAKE) == (2 * T, 0, 0, 0, 2 * T, 0)


class TestProductScope:
    def test_scope_comes_from_certificates_processes_and_the_admin(self, world: World) -> None:
        s = world.catalog.functions.unitScope
        assert s(U_RECYCLER, G_FLAKE).call() and s(U_RECYCLER, G_GLASS).call()  # certificate
        assert s(U_RECYCLER, G_BIOOIL).call()  # the ISCC EU certificate
        assert s(U_RESIN, G_RESIN).call() and s(U_RESIN, G_GLASS).call()  # processes' outputs
        assert s(U_BRAND, G_RESIN).call()  # set by the admin
        assert not s(U_RECYCLER, G_RESIN).call() and not s(U_OUTSIDER, G_FLAKE).call()

    def test_a_shipment_outside_the_sender_s_scope_is_rejected(self, world: World) -> None:
        c = world.cast
        world.rejects(
            "UnitProductOutOfScope", "ship", c.recycler, U_RESIN, G_RESIN, T, evidence(), []
        )
        tid = flake_at(world, U_OUTSIDER, T)
        revert = world.rejects(
            "UnitProductOutOfScope", "ship", c.outsider, U_BRAND, G_FLAKE, T, evidence(), [(tid, T)]
        )
        assert revert.error_args == {"unitId": U_OUTSIDER, "productGroupId": G_FLAKE}
        assert world.balance(U_OUTSIDER, tid) == T

    def test_a_claim_outside_the_claimant_s_scope_is_rejected(self, world: World) -> None:
        tid = flake_at(world, U_OUTSIDER, T)
        world.rejects("UnitProductOutOfScope", "claim", world.cast.outsider, [(tid, T)], "Brand")
        receipt = scope(world, U_OUTSIDER, G_FLAKE, True, world.cast.certifier)
        (changed,) = world.events(receipt, "UnitScopeChanged")
        assert changed == {"unitId": U_OUTSIDER, "productGroupId": G_FLAKE, "inScope": True}
        world.ok("claim", world.cast.outsider, [(tid, T)], "Brand")

    def test_the_admin_can_take_a_group_out_of_scope(self, world: World) -> None:
        tid = flake(world, T)
        scope(world, U_RECYCLER, G_FLAKE, False)
        world.rejects("UnitProductOutOfScope", "claim", world.cast.recycler, [(tid, T)], "Brand")

    def test_book_and_claim_certificates_are_claimed_anywhere(self, world: World) -> None:
        c = world.cast
        world.ok("record_input", c.recycler, C_BIO, T, 3, evidence())
        tid = m.token_id(C_BIO, m.period_at(1, world.now()))
        world.ok("transfer_certificates", c.recycler, U_OUTSIDER, [(tid, T)])
        world.ok("claim", c.outsider, [(tid, T)], "Airline X")

    def test_only_the_admin_or_a_certifier_sets_scope(self, world: World) -> None:
        fn = world.catalog.functions.setUnitScope(U_OUTSIDER, G_FLAKE, True)
        with pytest.raises(LedgerRevert) as info:
            world.send(fn, world.cast.outsider)
        assert info.value.name == "AccessRoleMissing"
        for bad, error in [((99, G_FLAKE), "UnitUnknown"), ((U_BRAND, 99), "ProductGroupUnknown")]:
            with pytest.raises(LedgerRevert) as info:
                world.send(world.catalog.functions.setUnitScope(*bad, True), world.cast.admin)
            assert info.value.name == error

    def test_only_the_consortium_adds_certified_scope(self, world: World) -> None:
        fn = world.catalog.functions.addCertifiedScope([C_RESIN], [U_OUTSIDER])
        with pytest.raises(LedgerRevert) as info:
            world.send(fn, world.cast.admin)
        assert info.value.name == "CatalogConsortiumOnly"

    def test_a_certificate_of_an_unknown_class_is_rejected(self, world: World) -> None:
        fn = world.consortium.functions.registerCertificate(
            P_OUTSIDER, 1, "X-2", START, START + YEAR, 0, [99], [U_OUTSIDER]
        )
        with pytest.raises(LedgerRevert) as info:
            world.send(fn, world.cast.certifier)
        assert info.value.name == "ClassUnknown"
