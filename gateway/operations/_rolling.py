"""R8, the rolling average percentage, before signing: the credit lines a shipment or a claim of a
rolling-average class must carry, from the chain's view of the unit's share in force.

The decision: **the caller omits the lines of a
rolling-average class** and the gateway adds exactly floor(shareBps × quantity / 10000) grams,
taken from the unit's valid vintages, oldest first. A caller may send them; then they must be
exactly that (``RollingShareMismatch``, 422, nothing signed). The share is read when the request
is planned (``Ledger.rollingShare``, at most a second old): an input recorded at the unit between
planning and mining changes it, and the chain then rejects the transaction with the same error,
so the request ends rejected and can be sent again.
"""

from __future__ import annotations

from tracenet.contracts import Attribution, split_token_id, token_id
from tracenet.contracts import records as R
from tracenet.contracts.records import ClassInfo, RollingClass
from tracenet.gateway.errors import RequestRejected
from tracenet.gateway.operations._bodies import ClaimIn, Line
from tracenet.gateway.operations._ops import Context, Plan, check_lines, split

__all__ = ["plan_rolling_claim", "rolling_class", "rolling_lines"]


async def plan_rolling_claim(ctx: Context, unit_id: int, body: ClaimIn) -> Plan:
    """``claimRolling``: ``class`` and ``quantity`` given, lines checked or computed."""
    if body.credit_class is None or body.quantity is None:
        missing = "class" if body.credit_class is None else "quantity_g"
        raise RequestRejected(
            "a rolling-average claim names its class and the claimed product quantity (grams)",
            error="FieldInvalid", field=missing,
        )  # fmt: skip
    class_id = ctx.registry.resolve("classes", body.credit_class, "class")
    rc = rolling_class(ctx, class_id, await ctx.views.class_info(class_id), "class")
    if body.lines:  # the chain checks the lines before the share: so does the gateway
        await check_lines(ctx, unit_id, body.lines, use="claim", expected=class_id)
    lines = await rolling_lines(ctx, unit_id, rc, body.quantity, body.lines)
    if not body.lines:
        await check_lines(ctx, unit_id, lines, use="claim", expected=class_id)
    ids, amounts = split(lines)
    return Plan.of(
        unit_id,
        R.ClaimRolling(
            class_id=class_id, quantity=body.quantity, token_ids=tuple(ids),
            amounts=tuple(amounts), beneficiary=body.beneficiary, product=body.product,
            purpose=body.purpose,
        ),
    )  # fmt: skip


def rolling_class(ctx: Context, class_id: int, info: ClassInfo, field: str) -> RollingClass:
    """The class as the share needs it; ``RollingClassRequired`` for a credit-method class."""
    if info.attribution != Attribution.rolling_average:
        raise RequestRejected(
            f"{ctx.registry.label('classes', class_id)} uses the credit method, not the rolling "
            "average percentage", error="RollingClassRequired", field=field,
            args={"classId": class_id},
        )  # fmt: skip
    return RollingClass(class_id, info.period_months, info.window_periods)


async def rolling_lines(
    ctx: Context, unit_id: int, rc: RollingClass, quantity: int, given: list[Line]
) -> list[Line]:
    """The lines of class ``rc`` an output of ``quantity`` grams at ``unit_id`` carries: ``given``'s
    own if they are exactly the share, else computed (none given) or refused (others given)."""
    share = await ctx.views.rolling_share(unit_id, rc.class_id)
    expected = quantity * share.share_bps // 10_000
    mine = [line for line in given if split_token_id(line.token_id)[0] == rc.class_id]
    if mine:
        total = sum(line.amount for line in mine)
        if total != expected:
            raise RequestRejected(
                f"{ctx.registry.label('classes', rc.class_id)} carries exactly "
                f"{share.share_bps / 100:.2f} % of {quantity} g at {ctx.unit(unit_id)}: "
                f"{expected} g, not {total} g (its window holds {share.sustainable} g "
                f"sustainable of {share.total} g input); omit these lines to have them computed",
                error="RollingShareMismatch", field="lines",
                args={"classId": rc.class_id, "expected": expected, "given": total,
                      "shareBps": share.share_bps},
            )  # fmt: skip
        return mine
    lines: list[Line] = []
    remaining = expected
    first = max(0, share.period - rc.window_periods + 1)
    for vintage in range(first, share.period + 1):
        if remaining == 0:
            break
        tid = token_id(rc.class_id, vintage, 0)
        take = min(await ctx.views.balance(unit_id, tid), remaining)
        if take:
            lines.append(Line(token_id=tid, amount_g=take))
            remaining -= take
    if remaining:
        raise RequestRejected(
            f"{ctx.unit(unit_id)} holds {expected - remaining} g of valid "
            f"{ctx.registry.label('classes', rc.class_id)} credits; its share in force "
            f"({share.share_bps / 100:.2f} %) of {quantity} g needs {expected} g",
            error="CreditsInsufficient", field="lines",
            args={"unitId": unit_id, "tokenId": token_id(rc.class_id, share.period, 0),
                  "available": expected - remaining, "required": expected},
        )  # fmt: skip
    return lines
