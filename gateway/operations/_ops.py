"""The ledger operations a party performs, and what the gateway checks before signing them.

Each ``plan_*`` function validates a body (gateway/operations/_bodies.py) against the caller's
rights and the chain views, and returns the ``Plan`` (acting unit, contract function, arguments) the
pipeline will sign. A check that fails raises ``RequestRejected``/``AuthError`` named and
argued like the chain's custom error for the same rule; nothing is stored then. Messages name
things as a person does (``rpet-flake 2031-Q3``, ``recycling-plant (unit 1)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracenet.contracts import Attribution, Model, Operation, Role, period_label, split_token_id
from tracenet.contracts.records import ClassInfo
from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway.errors import AuthError, RequestRejected
from tracenet.gateway.operations._bodies import (
    Line,
)
from tracenet.gateway.operations._principal import Principal
from tracenet.gateway.operations._registry import Registry
from tracenet.gateway.pipeline._signers import SignerPool
from tracenet.gateway.pipeline._views import LedgerViews

__all__ = ["Context", "Plan"]

ROLE_ADMIN, ROLE_CERTIFIER, ROLE_AUDITOR = Role.admin, Role.certifier, Role.auditor
ROLE_MEMBER, ROLE_ORIGIN = Role.member, Role.origin


@dataclass(frozen=True)
class Context:
    views: LedgerViews
    registry: Registry
    pool: SignerPool
    settings: GatewaySettings

    def unit(self, unit_id: int) -> str:
        return self.registry.label("units", unit_id)

    async def resolve(self, kind: str, ref: int | str, field: str) -> int:
        """The one resolver of references: an id, a registry key, or (a certificate) its number
        as registered on chain; unknown: the chain's ``<Kind>Unknown`` naming ``field`` (422)."""
        numbers = None
        named = isinstance(ref, str) and ref in self.registry.names.get(kind, {})
        if kind == "certificates" and isinstance(ref, str) and not ref.isdigit() and not named:
            numbers = await self.views.certificate_numbers(ref)
        return self.registry.resolve(kind, ref, field, numbers)

    def party(self, party_id: int) -> str:
        return self.registry.label("parties", party_id)

    def credits(self, token: int, info: ClassInfo) -> str:
        """``rpet-flake 2031-Q3`` (batch and token id when it helps)."""
        class_id, vintage, batch = split_token_id(token)
        name = self.registry.name_of("classes", class_id) or f"class {class_id}"
        text = f"{name} {period_label(info.period_months, vintage)}"
        return f"{text} batch {batch}" if batch else text


@dataclass(frozen=True)
class Plan:
    unit_id: int  # the acting unit; 0 for party-level operations
    contract: str  # "Ledger", "Consortium", "Catalog" or "Transit"
    fn: str
    args: tuple[Any, ...]

    @classmethod
    def of(cls, unit_id: int, operation: Operation) -> Plan:
        """The plan that sends an SDK request builder (``contracts.records.Ship(...)``)."""
        return cls(unit_id, operation.CONTRACT, operation.FUNCTION, operation.args())


# ---- shared checks ---------------------------------------------------------------------------


async def acting_unit(ctx: Context, who: Principal, ref: int | str, role: int) -> int:
    """The unit ``ref`` if it is the caller's party's, active, with ``role``, and signable."""
    unit_id = ctx.registry.resolve("units", ref, "unit")
    unit = await ctx.views.unit(unit_id)
    if unit.party_id != who.party_id:
        raise AuthError(
            f"{ctx.unit(unit_id)} is {ctx.party(unit.party_id)}'s, not {ctx.party(who.party_id)}'s",
            error="UnitNotOwned", field="unit", args={"unitId": unit_id, "partyId": who.party_id},
        )  # fmt: skip
    if not unit.active:
        raise RequestRejected(
            f"{ctx.party(who.party_id)} is suspended", error="PartyIsSuspended", field="unit",
            args={"partyId": who.party_id},
        )  # fmt: skip
    if unit.roles & role == 0:
        raise AuthError(
            f"{ctx.party(who.party_id)} lacks the {Role(role).name} role",
            error="AccessRoleMissing", field="unit", status=403,
            args={"partyId": who.party_id, "role": int(role)},
        )  # fmt: skip
    ctx.pool.require(who.party_id, unit_id)
    return unit_id


async def recipient(ctx: Context, ref: int | str, field: str = "to_unit") -> tuple[int, Any]:
    unit_id = ctx.registry.resolve("units", ref, field)
    unit = await ctx.views.unit(unit_id, field)
    if not unit.active:
        raise RequestRejected(
            f"the receiving {ctx.unit(unit_id)}'s party {ctx.party(unit.party_id)} is suspended",
            error="PartyIsSuspended", field=field, args={"partyId": unit.party_id},
        )  # fmt: skip
    if unit.roles & ROLE_MEMBER == 0:
        raise RequestRejected(
            f"the receiving {ctx.unit(unit_id)}'s party {ctx.party(unit.party_id)} is no member",
            error="AccessRoleMissing", field=field, status=422,
            args={"partyId": unit.party_id, "role": int(ROLE_MEMBER)},
        )  # fmt: skip
    return unit_id, unit


def _use_rules(
    ctx: Context, tid: int, info: ClassInfo, use: str, expected: int, where: str
) -> None:
    """R5/R8: what credits of this class may do (ship, trade, convert, claim)."""
    class_id = split_token_id(tid)[0]
    model, group, what = info.model, info.product_group_id, ctx.credits(tid, info)
    if use == "ship" and model == Model.book_and_claim:
        raise RequestRejected(
            f"{what}: book-and-claim credits never ship", error="ModelNotShippable",
            field=where, args={"tokenId": tid},
        )  # fmt: skip
    if use == "ship" and group != expected:
        raise RequestRejected(
            f"{what} are credits of {ctx.registry.label('product_groups', group)}, the shipment "
            f"is of {ctx.registry.label('product_groups', expected)}",
            error="ShipmentProductGroupMismatch", field=where,
            args={"tokenId": tid, "productGroupId": expected},
        )  # fmt: skip
    if use == "trade" and model != Model.book_and_claim:
        raise RequestRejected(
            f"{what}: only book-and-claim certificates move without a shipment",
            error="ModelNotTradable", field=where, args={"tokenId": tid},
        )  # fmt: skip
    if use == "convert" and class_id != expected:
        raise RequestRejected(
            f"{what} are not of the process input {ctx.registry.label('classes', expected)}",
            error="ConversionInputMismatch", field=where,
            args={"tokenId": tid, "inputClassId": expected},
        )  # fmt: skip
    if use == "claim" and not expected and info.attribution == Attribution.rolling_average:
        raise RequestRejected(
            f"{what} are of a rolling-average class: claim them with `class` and the claimed "
            "product `quantity`", error="RollingQuantityRequired", field=where,
            args={"tokenId": tid},
        )  # fmt: skip
    if use == "claim" and expected and class_id != expected:
        raise RequestRejected(
            f"{what}: a rolling-average claim of {ctx.registry.label('classes', expected)} "
            "carries that class only", error="RollingClassMismatch", field=where,
            args={"tokenId": tid, "classId": expected},
        )  # fmt: skip


async def check_scope(ctx: Context, unit_id: int, group: int, field: str) -> None:
    """R7: a unit ships and claims only product groups inside its product scope."""
    if not await ctx.views.in_scope(unit_id, group):
        raise RequestRejected(
            f"{ctx.registry.label('product_groups', group)} is outside the product scope of "
            f"{ctx.unit(unit_id)}", error="UnitProductOutOfScope", field=field,
            args={"unitId": unit_id, "productGroupId": group},
        )  # fmt: skip


async def check_lines(
    ctx: Context, unit_id: int, lines: list[Line], *, use: str, expected: int = 0,
    allow_empty: bool = False,
) -> int:  # fmt: skip
    """R1/R4/R5/R8 on credit lines, as far as views tell; returns the total credits."""
    if (not lines and not allow_empty) or len(lines) > ctx.settings.max_lines:
        raise RequestRejected(
            f"between 1 and {ctx.settings.max_lines} lines", error="LinesInvalid", field="lines",
            args={"tokenIds": len(lines), "amounts": len(lines)},
        )  # fmt: skip
    ids = [line.token_id for line in lines]
    if len(set(ids)) != len(ids):
        raise RequestRejected(
            "a token id appears twice", error="LinesInvalid", field="lines",
            args={"tokenIds": len(ids), "amounts": len(ids)},
        )  # fmt: skip
    for i, line in enumerate(lines):
        tid, where = line.token_id, f"lines[{i}]"
        class_id, vintage, _ = split_token_id(tid)
        info = await ctx.views.class_info(class_id, where)
        _use_rules(ctx, tid, info, use, expected, where)
        if use == "claim" and info.model != Model.book_and_claim:
            await check_scope(ctx, unit_id, info.product_group_id, where)
        if info.model == Model.segregated and use != "claim" and tid != ids[0]:
            raise RequestRejected(
                f"{ctx.credits(tid, info)}: segregated lines must all be one batch",
                error="SegregationViolated", field=where, args={"tokenId": tid},
            )  # fmt: skip
        current = await ctx.views.current_period(class_id)
        if vintage + info.window_periods <= current:
            raise RequestRejected(
                f"{ctx.credits(tid, info)} lapsed: their window ended before "
                f"{period_label(info.period_months, current)}", error="CreditsLapsed", field=where,
                args={"tokenId": tid, "vintage": vintage, "currentPeriod": current},
            )  # fmt: skip
        held = await ctx.views.balance(unit_id, tid)
        if held < line.amount:
            raise RequestRejected(
                f"{ctx.unit(unit_id)} holds {held} g of {ctx.credits(tid, info)}, "
                f"needs {line.amount} g", error="CreditsInsufficient", field=where,
                args={"unitId": unit_id, "tokenId": tid, "available": held,
                      "required": line.amount},
            )  # fmt: skip
    return sum(line.amount for line in lines)


def split(lines: list[Line]) -> tuple[list[int], list[int]]:
    return [x.token_id for x in lines], [x.amount for x in lines]
