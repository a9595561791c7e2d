"""Issue 19: shipments the recipient accepts. Under a scheme whose shipments need acceptance, a
shipment's credits leave the sender at dispatch and wait in transit, usable by no one, until the
recipient accepts (they become its own: custody checked then, the receipt its rolling-average
input then), rejects with a reason or the sender recalls (back to the sender), or anyone settles
after the window as the scheme says. Each case runs on the chain and on the model."""

from __future__ import annotations

import pytest

from tests import model as m
from tests.factories import (
    C_FLAKE,
    CERT_RECYCLER,
    DAY,
    G_FLAKE,
    S_EU,
    S_PLUS,
    U_BRAND,
    U_OUTSIDER,
    U_RECYCLER,
    U_RESIN,
    U_RESIN2,
    World,
    evidence,
)

T = 1_000_000
WINDOW = 3 * DAY


def require(world: World, settle: int = m.SETTLE_ACCEPTED, window: int = WINDOW) -> None:
    world.ok("set_acceptance", world.cast.admin, S_PLUS, m.ACCEPTANCE_REQUIRED, window, settle)


def flake(world: World, amount: int = T) -> int:
    world.ok("record_input", world.cast.recycler, C_FLAKE, amount, CERT_RECYCLER, evidence())
    return m.token_id(C_FLAKE, m.period_at(3, world.now()))


def dispatch(world: World, to: int = U_BRAND, amount: int = T, sender: str = "") -> tuple[int, int]:
    """Ships ``amount`` of a fresh flake input from the recycler; (shipment id, token)."""
    tid = flake(world, amount)
    world.ok(
        "ship", sender or world.cast.recycler, to, G_FLAKE, amount, evidence(), [(tid, amount)]
    )
    return world.model.shipments, tid


def in_transit(world: World, class_id: int = C_FLAKE) -> int:
    return int(world.handle.transit.functions.inTransit(class_id).call())


def state(world: World, shipment: int) -> int:
    return int(world.handle.transit.functions.delivery(shipment).call()[0])


def test_setting_acceptance_is_the_admins_and_bounded(world: World) -> None:
    c = world.cast
    world.rejects("AccessRoleMissing", "set_acceptance", c.recycler, S_PLUS, 1, WINDOW, 0)
    world.rejects("AcceptanceInvalid", "set_acceptance", c.admin, S_PLUS, 1, 0, 0)
    world.rejects("AcceptanceInvalid", "set_acceptance", c.admin, S_PLUS, 1, 367 * DAY, 0)
    world.rejects("AcceptanceInvalid", "set_acceptance", c.admin, S_PLUS, 0, WINDOW, 0)
    world.rejects("AcceptanceInvalid", "set_acceptance", c.admin, S_PLUS, 2, WINDOW, 0)
    world.rejects("AcceptanceInvalid", "set_acceptance", c.admin, S_PLUS, 1, WINDOW, 2)
    world.rejects("SchemeUnknown", "set_acceptance", c.admin, 99, 1, WINDOW, 0)
    receipt = world.ok("set_acceptance", c.admin, S_PLUS, 1, WINDOW, 1)
    assert world.events(receipt, "SchemeAcceptanceSet") == [
        {"schemeId": S_PLUS, "acceptance": 1, "windowSeconds": WINDOW, "settle": 1}
    ]
    assert tuple(world.handle.transit.functions.schemeAcceptance(S_PLUS).call()) == (1, 1, WINDOW)
    world.ok("set_acceptance", c.admin, S_PLUS, 0, 0, 0)


def test_without_acceptance_a_shipment_credits_the_recipient_at_once(world: World) -> None:
    shipment, tid = dispatch(world)
    assert world.balance(U_BRAND, tid) == T
    assert state(world, shipment) == m.TRANSIT_NONE
    world.rejects("TransitUnknown", "accept", world.cast.brand, shipment)


def test_a_pending_shipment_changes_no_balance_of_the_recipient_until_accepted(
    world: World,
) -> None:
    require(world)
    tid = flake(world)
    held_before = world.supply(C_FLAKE)[5]
    receipt = world.ok("ship", world.cast.recycler, U_BRAND, G_FLAKE, T, evidence(), [(tid, T)])
    shipment = world.model.shipments
    opened = world.events(receipt, "TransitOpened")
    assert opened == [
        {
            "shipmentId": shipment, "fromUnitId": U_RECYCLER, "toUnitId": U_BRAND,
            "deadline": world.w3.eth.get_block(receipt["blockNumber"])["timestamp"] + WINDOW,
            "settle": m.SETTLE_ACCEPTED,
        }
    ]  # fmt: skip
    assert world.events(receipt, "Shipped")[0]["toUnitId"] == U_BRAND
    assert (world.balance(U_RECYCLER, tid), world.balance(U_BRAND, tid)) == (0, 0)
    assert world.balance(m.TRANSIT_UNIT, tid) == in_transit(world) == T
    # In transit the credits are no one's: the recipient cannot use them, nor lapse them.
    world.rejects("CreditsInsufficient", "claim", world.cast.brand, [(tid, T)], "Acme")
    world.rejects("CreditsNone", "lapse", world.cast.stranger, m.TRANSIT_UNIT, [tid])
    # R13: created = held + in transit + claimed + lapsed + lost (the ledger's held counts both).
    assert world.supply(C_FLAKE)[5] == held_before
    receipt = world.ok("accept", world.cast.brand, shipment)
    closed = world.events(receipt, "TransitClosed")
    assert [(e["unitId"], e["state"], e["reason"]) for e in closed] == [
        (U_BRAND, m.TRANSIT_ACCEPTED, "")
    ]
    assert (world.balance(U_BRAND, tid), in_transit(world)) == (T, 0)
    assert state(world, shipment) == m.TRANSIT_ACCEPTED
    world.rejects("TransitNotPending", "accept", world.cast.brand, shipment)
    world.rejects("TransitNotPending", "recall", world.cast.recycler, shipment)


def test_only_the_recipient_accepts_or_rejects_and_only_the_sender_recalls(world: World) -> None:
    require(world)
    shipment, tid = dispatch(world)
    c = world.cast
    world.rejects("TransitRecipientOnly", "accept", c.recycler, shipment)
    world.rejects("TransitRecipientOnly", "accept", c.outsider, shipment)
    world.rejects("TransitRecipientOnly", "reject", c.outsider, shipment, "not ours")
    world.rejects("TransitSenderOnly", "recall", c.brand, shipment)
    world.rejects("LedgerUnitRequired", "accept", c.recycler_office, shipment)
    world.rejects("SignerUnknown", "accept", c.stranger, shipment)
    world.rejects("TransitUnknown", "accept", c.brand, 999)
    world.rejects("TransitReasonMissing", "reject", c.brand, shipment, "")
    receipt = world.ok("reject", c.brand, shipment, "wrong grade: 2 t of fines")
    closed = world.events(receipt, "TransitClosed")[0]
    assert (closed["unitId"], closed["state"], closed["reason"]) == (
        U_RECYCLER, m.TRANSIT_REJECTED, "wrong grade: 2 t of fines"
    )  # fmt: skip
    assert (world.balance(U_RECYCLER, tid), world.balance(U_BRAND, tid)) == (T, 0)


def test_the_sender_recalls_a_pending_shipment(world: World) -> None:
    require(world)
    shipment, tid = dispatch(world)
    world.ok("recall", world.cast.recycler, shipment)
    assert world.balance(U_RECYCLER, tid) == T and in_transit(world) == 0
    assert state(world, shipment) == m.TRANSIT_RECALLED


@pytest.mark.parametrize(
    ("settle", "state_", "unit"),
    [
        (m.SETTLE_ACCEPTED, m.TRANSIT_SETTLED_ACCEPTED, U_BRAND),
        (m.SETTLE_RETURNED, m.TRANSIT_SETTLED_RETURNED, U_RECYCLER),
    ],
)
def test_anyone_settles_after_the_window_as_the_scheme_says(
    world: World, settle: int, state_: int, unit: int
) -> None:
    require(world, settle)
    shipment, tid = dispatch(world)
    deadline = world.model.deliveries[shipment].deadline
    world.travel(deadline)
    err = world.rejects("TransitWindowOpen", "settle", world.cast.stranger, shipment)
    assert err.error_args["deadline"] == deadline
    world.travel(deadline + 1)
    world.ok("settle", world.cast.stranger, shipment)
    assert world.balance(unit, tid) == T and state(world, shipment) == state_
    # A scheme's later setting does not change a shipment already in transit.


def test_the_setting_at_dispatch_holds_for_the_shipment(world: World) -> None:
    require(world, m.SETTLE_RETURNED)
    shipment, tid = dispatch(world)
    world.ok("set_acceptance", world.cast.admin, S_PLUS, m.ACCEPTANCE_NONE, 0, 0)
    world.travel(world.now() + WINDOW + 1)
    world.ok("settle", world.cast.auditor, shipment)
    assert world.balance(U_RECYCLER, tid) == T
    # Another scheme's setting does not hold flake shipments.
    world.ok("set_acceptance", world.cast.admin, S_EU, m.ACCEPTANCE_REQUIRED, WINDOW, 0)
    shipment, tid = dispatch(world)
    assert world.balance(U_BRAND, tid) == T and state(world, shipment) == m.TRANSIT_NONE


def test_inside_one_legal_entity_no_acceptance_is_needed(world: World) -> None:
    require(world)
    shipment, tid = dispatch(world, to=U_RESIN)
    assert state(world, shipment) == m.TRANSIT_PENDING  # another party: pending
    world.ok("accept", world.cast.resin, shipment)
    world.ok(
        "ship", world.cast.resin, U_RESIN2, G_FLAKE, T, evidence(), [(tid, T)]
    )  # resin's two sites: one party
    assert world.balance(U_RESIN2, tid) == T
    assert state(world, world.model.shipments) == m.TRANSIT_NONE


def test_acceptance_checks_the_recipient_as_it_stands_then(world: World) -> None:
    require(world)
    shipment, _ = dispatch(world, to=U_OUTSIDER)
    world.send(world.consortium.functions.suspendParty(7), world.cast.admin)
    world.model.suspend(7)
    world.rejects("TransitWindowOpen", "settle", world.cast.stranger, shipment)
    world.travel(world.now() + WINDOW + 1)
    world.rejects("PartyIsSuspended", "settle", world.cast.stranger, shipment)
    world.ok("recall", world.cast.recycler, shipment)  # the sender takes them back
    assert world.model.balance(U_RECYCLER, world.model.deliveries[shipment].lines[0][0]) == T


def test_custody_is_checked_at_acceptance(world: World) -> None:
    """Under a scheme that requires every holder certified, the recipient's certificate is
    checked again when it accepts: withdrawn in the meantime, the acceptance is refused."""
    from tests.contracts.test_custody import certify_brand, custody
    from tests.factories import withdraw

    custody(world, m.CUSTODY_CERTIFIED)
    cert = certify_brand(world, [C_FLAKE])
    require(world)
    shipment, _ = dispatch(world)
    withdraw(world, cert)
    world.rejects("CertificateNotInForce", "accept", world.cast.brand, shipment)
    world.ok("reject", world.cast.brand, shipment, "our certificate lapsed")


def test_a_rolling_average_receipt_counts_as_input_when_accepted(world: World) -> None:
    """R8: the recipient's share counts a delivery once it is its own, in the period it
    accepts it; a rejected one never counts; the sender's share was checked at dispatch."""
    from tests.contracts.test_rolling import feed, pellet, share
    from tests.factories import G_PELLET, add_rolling

    add_rolling(world)
    require(world)
    feed(world, 30 * T, 70 * T)  # the recycler's share: 30 %
    lines = [(pellet(), 3 * T)]
    world.ok("ship", world.cast.recycler, U_RESIN, G_PELLET, 10 * T, evidence(), lines)
    first = world.model.shipments
    world.ok("ship", world.cast.recycler, U_RESIN, G_PELLET, 10 * T, evidence(), lines)
    second = world.model.shipments
    assert share(world, U_RESIN)[1:] == (0, 0, 0)  # nothing received yet
    world.ok("reject", world.cast.resin, first, "wrong colour")
    assert share(world, U_RESIN)[1:] == (0, 0, 0)
    world.ok("accept", world.cast.resin, second)
    assert share(world, U_RESIN)[1:] == (3_000, 3 * T, 10 * T)
    assert world.balance(U_RESIN, pellet()) == 3 * T
