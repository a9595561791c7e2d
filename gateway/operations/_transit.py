"""Issue 19: the planners of a shipment's acceptance: accept, reject, recall, settle.

Each reads the shipment's transit record (``Transit.delivery``) and refuses before signing what
the chain would refuse, by the chain's error names: ``TransitUnknown`` (it never awaited
acceptance), ``TransitNotPending`` (it left transit already), ``TransitRecipientOnly`` /
``TransitSenderOnly`` (the acting unit is not that end), ``TransitWindowOpen`` (settled early).
"""

from __future__ import annotations

from tracenet.contracts import TransitState
from tracenet.contracts import records as R
from tracenet.gateway.errors import RequestRejected
from tracenet.gateway.operations._bodies import SettleIn, ShipmentRefIn, ShipmentRejectIn
from tracenet.gateway.operations._ops import ROLE_MEMBER, Context, Plan, acting_unit
from tracenet.gateway.operations._principal import Principal
from tracenet.kit import iso_time as _iso

__all__ = ["plan_accept", "plan_recall", "plan_reject", "plan_settle"]

_DONE = {
    TransitState.accepted: "was accepted",
    TransitState.rejected: "was rejected",
    TransitState.recalled: "was recalled",
    TransitState.settled_accepted: "was settled as accepted",
    TransitState.settled_returned: "was settled and returned",
}


async def pending(ctx: Context, shipment: int) -> R.Delivery:
    """The shipment's transit record, if it awaits acceptance."""
    d = await ctx.views.delivery(shipment)
    if d.state == TransitState.none:
        raise RequestRejected(
            f"shipment {shipment} never awaited acceptance", error="TransitUnknown",
            field="shipment", args={"shipmentId": shipment},
        )  # fmt: skip
    if d.state != TransitState.pending:
        raise RequestRejected(
            f"shipment {shipment} {_DONE[d.state]}", error="TransitNotPending", field="shipment",
            args={"shipmentId": shipment, "state": d.state.name},
        )  # fmt: skip
    return d


async def _recipient_of(ctx: Context, who: Principal, body: ShipmentRefIn) -> int:
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    d = await pending(ctx, body.shipment)
    if d.to_unit_id != unit_id:
        raise RequestRejected(
            f"shipment {body.shipment} goes to {ctx.unit(d.to_unit_id)}, not {ctx.unit(unit_id)}",
            error="TransitRecipientOnly", field="unit",
            args={"shipmentId": body.shipment, "unitId": unit_id},
        )  # fmt: skip
    return unit_id


async def plan_accept(ctx: Context, who: Principal, body: ShipmentRefIn) -> Plan:
    """The recipient accepts: the credits become its own (custody and intake checked on chain)."""
    unit_id = await _recipient_of(ctx, who, body)
    return Plan.of(unit_id, R.Accept(shipment_id=body.shipment))


async def plan_reject(ctx: Context, who: Principal, body: ShipmentRejectIn) -> Plan:
    """The recipient rejects with a reason: the credits go back to the sender."""
    unit_id = await _recipient_of(ctx, who, body)
    return Plan.of(unit_id, R.Reject(shipment_id=body.shipment, reason=body.reason))


async def plan_recall(ctx: Context, who: Principal, body: ShipmentRefIn) -> Plan:
    """The sender recalls a shipment still awaiting acceptance."""
    unit_id = await acting_unit(ctx, who, body.unit, ROLE_MEMBER)
    d = await pending(ctx, body.shipment)
    if d.from_unit_id != unit_id:
        raise RequestRejected(
            f"shipment {body.shipment} was sent by {ctx.unit(d.from_unit_id)}, "
            f"not {ctx.unit(unit_id)}",
            error="TransitSenderOnly", field="unit",
            args={"shipmentId": body.shipment, "unitId": unit_id},
        )  # fmt: skip
    return Plan.of(unit_id, R.Recall(shipment_id=body.shipment))


async def plan_settle(ctx: Context, who: Principal, body: SettleIn) -> Plan:
    """After the window anyone settles, as the scheme said at dispatch; any key of the caller's
    party signs (``settle`` checks no role, as ``lapse``)."""
    ctx.pool.require(who.party_id, 0, any_unit=True)
    d = await pending(ctx, body.shipment)
    # The latest block's time, uncached: a settlement just after the window must not be refused
    # on a timestamp read a moment before.
    if await ctx.views.chain.timestamp() <= d.deadline:
        raise RequestRejected(
            f"shipment {body.shipment} awaits acceptance until {_iso(d.deadline)}",
            error="TransitWindowOpen", field="shipment",
            args={"shipmentId": body.shipment, "deadline": d.deadline},
        )  # fmt: skip
    return Plan.of(0, R.Settle(shipment_id=body.shipment))
