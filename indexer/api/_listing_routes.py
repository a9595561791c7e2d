"""Lists: a party's shipments in and out (with the credits each carries), and the consortium's
registry (parties, boundaries, units, signers, certificates, classes, schemes, product groups,
processes).

Shipments are commercially sensitive: a party sees those to or from its own units, an auditor
every one. The registry is what every member needs to name things: any read key reads it.
Newest first; ``limit`` caps a list (``truncated`` says when more exist)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query
from pydantic import Field
from sqlalchemy import Connection, Table, func, or_, select

from tracenet.contracts import (
    Attribution,
    CertificateStatus,
    Custody,
    Model,
    RawMaterial,
    Role,
    certificate_state,
)
from tracenet.indexer.api import _api_models as models
from tracenet.indexer.api._api_deps import RESPONSES, STOPPED, CallerDep, ConnDep, HeadDep
from tracenet.indexer.api._reports import as_of
from tracenet.indexer.api._transit import acceptances, pending_ids
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import (
    Block,
    Boundary,
    Certificate,
    CertificateScope,
    CreditClass,
    Factor,
    Party,
    Process,
    ProductGroup,
    Scheme,
    SignerRow,
    Unit,
)
from tracenet.indexer.mirror._tables_ops import Shipment
from tracenet.kit import iso_time

__all__ = ["listing_routes"]

Limit = Annotated[int, Query(ge=1, le=1000, description="at most this many rows")]
RegistryKind = Literal[
    "parties",
    "boundaries",
    "units",
    "signers",
    "certificates",
    "classes",
    "schemes",
    "product-groups",
    "processes",
]
_TABLES: dict[str, Any] = {
    "parties": Party, "boundaries": Boundary, "units": Unit, "signers": SignerRow,
    "certificates": Certificate, "classes": CreditClass,
    "schemes": Scheme, "product-groups": ProductGroup, "processes": Process,
}  # fmt: skip
#: Columns holding unix times: listed as ISO-8601 UTC.
_TIMES = {"valid_from", "valid_until", "effective_from", "status_since"}
#: Columns whose wire key carries the unit (quantities and factors of the registry).
_UNITS = {
    "audited_volume": "audited_volume_g",
    "sustainable_factor": "sustainable_factor_gco2e_per_kg",
    "conventional_factor": "conventional_factor_gco2e_per_kg",
}
#: Id columns named beside them (``holder_party_id`` → ``holder_party``), from these tables.
_NAMED: dict[str, Any] = {
    "party_id": Party, "holder_party_id": Party, "certifier_party_id": Party,
    "scheme_id": Scheme, "product_group_id": ProductGroup, "unit_id": Unit,
    "boundary_id": Boundary,
    "input_class_id": CreditClass, "output_class_id": CreditClass,
}  # fmt: skip


class Acceptance(models.Model):
    """Issue 19: where a shipment that awaited its recipient's acceptance stands."""

    state: str = Field(
        description="pending, accepted, rejected, recalled, settled_accepted or settled_returned"
    )
    deadline: str | None = Field(description="ISO-8601 UTC: the window's end (while pending)")
    settle: str | None = Field(description="accepted or returned: what settling does")
    since: str = Field(description="ISO-8601 UTC: when it took this state")
    reason: str | None = Field(description="a rejection's reason")
    unit_id: int = Field(description="the recipient (pending) or the unit credited")
    text: str = Field(description="the state in a sentence")


class ShipmentRow(models.Model):
    shipment_id: int
    direction: str = Field(description="in or out, as seen by the caller ('' for an auditor)")
    from_unit_id: int
    from_unit: str | None
    to_unit_id: int
    to_unit: str | None
    product_group_id: int
    product_group: str | None
    product: str
    order_ref: str
    quantity_g: int = Field(description="grams shipped (physical)")
    credits_g: int = Field(description="grams of credits carried")
    share_bps: int
    document_hash: str
    time: str | None = Field(description="ISO-8601 UTC")
    block_number: int
    tx_hash: str
    acceptance: Acceptance | None = Field(
        default=None, description="issue 19: null when the shipment needed no acceptance"
    )


class Shipments(models.AsOf):
    """Shipments to or from the caller's units (every one for an auditor), newest first."""

    shipments: list[ShipmentRow]
    truncated: bool


class RegistryList(models.AsOf):
    kind: str
    rows: list[dict[str, object]] = Field(
        description="one object per entity: its columns in snake_case, each id's entity named "
        "beside it (``party_id`` → ``party``), enumerations and roles by name, quantities in "
        "``_g``, emission factors in ``_gco2e_per_kg``, times ISO-8601"
    )
    truncated: bool


def _iso(value: int) -> str | None:
    try:
        return iso_time(int(value))
    except (OverflowError, OSError, ValueError):
        return None  # beyond the calendar: "no end"


def _plain(row: Any, t: Table) -> dict[str, object]:
    out: dict[str, object] = {}
    for c in t.columns:
        value = getattr(row, c.name)
        out[_UNITS.get(c.name, c.name)] = _iso(value) if c.name in _TIMES else value
    return out


def _text32(value: str) -> str:
    """A bytes32 field (hex in the mirror) as text when it is printable UTF-8, else as hex."""
    try:
        text = bytes.fromhex(value.removeprefix("0x")).rstrip(b"\0").decode()
    except (ValueError, UnicodeDecodeError):
        return value
    return text if text.isprintable() else value


def _names(conn: Connection, model: Any) -> dict[int, str]:
    t = table(model)
    return {int(i): str(n) for i, n in conn.execute(select(t.c.id, t.c.name))}


def listing_routes(app: FastAPI) -> None:
    @app.get(
        "/v1/shipments",
        summary="Shipments in and out of the caller's units, with their credits",
        responses={**RESPONSES, **STOPPED},
    )
    def list_shipments(
        conn: ConnDep,
        caller: CallerDep,
        _: HeadDep,
        direction: Literal["in", "out", "all"] = "all",
        limit: Limit = 100,
        acceptance: Annotated[
            Literal["pending"] | None,
            Query(description="issue 19: only shipments awaiting the recipient's acceptance"),
        ] = None,
    ) -> Shipments:
        s = table(Shipment)
        query = select(s).order_by(s.c.block_number.desc(), s.c.log_index.desc())
        if acceptance == "pending":
            query = query.where(s.c.shipment_id.in_(pending_ids(conn)))
        mine = sorted(caller.units)
        ins, outs = s.c.to_unit_id.in_(mine), s.c.from_unit_id.in_(mine)
        if direction == "in":
            query = query.where(ins)
        elif direction == "out":
            query = query.where(outs)
        elif not caller.auditor:
            query = query.where(or_(ins, outs))
        rows = conn.execute(query.limit(limit + 1)).all()
        units, groups = _names(conn, Unit), _names(conn, ProductGroup)
        states = acceptances(conn, (int(r.shipment_id) for r in rows[:limit]))
        listed = [
            {
                "shipment_id": int(r.shipment_id),
                "direction": "in" if r.to_unit_id in caller.units
                else "out" if r.from_unit_id in caller.units else "",
                "from_unit_id": r.from_unit_id, "from_unit": units.get(r.from_unit_id),
                "to_unit_id": r.to_unit_id, "to_unit": units.get(r.to_unit_id),
                "product_group_id": r.product_group_id,
                "product_group": groups.get(r.product_group_id),
                "product": _text32(r.product), "order_ref": _text32(r.order_ref),
                "quantity_g": int(r.quantity), "credits_g": int(r.credits),
                "share_bps": int(r.credits) * 10_000 // int(r.quantity) if r.quantity else 0,
                "document_hash": r.document_hash, "time": _iso(r.timestamp),
                "block_number": r.block_number, "tx_hash": r.tx_hash,
                "acceptance": states.get(int(r.shipment_id)),
            }
            for r in rows[:limit]
        ]  # fmt: skip
        return Shipments.model_validate(
            {**as_of(conn), "shipments": listed, "truncated": len(rows) > limit}
        )

    @app.get(
        "/v1/registry/{kind}",
        summary="The consortium's parties, units, certificates, classes, schemes, product "
        "groups or processes (any read key)",
        responses={**RESPONSES, **STOPPED},
    )
    def list_registry(
        conn: ConnDep, caller: CallerDep, _: HeadDep, kind: RegistryKind, limit: Limit = 500
    ) -> RegistryList:
        t = table(_TABLES[kind])
        order = list(t.primary_key.columns)
        found = conn.execute(select(t).order_by(*order).limit(limit + 1)).all()
        rows = [_plain(r, t) for r in found[:limit]]
        _name_ids(conn, t, rows)
        if kind == "certificates":
            _scopes(conn, rows)
            _states(conn, found[:limit], rows)
        if kind == "processes":
            _factors(conn, rows)
        return RegistryList.model_validate(
            {**as_of(conn), "kind": kind, "rows": rows, "truncated": len(found) > limit}
        )


def _name_ids(conn: Connection, t: Table, rows: list[dict[str, object]]) -> None:
    """Each id column's entity named beside it; role masks and enumerations by name only."""
    names = {c: _names(conn, m) for c, m in _NAMED.items() if c in t.c}
    for i, row in enumerate(rows):
        out: dict[str, object] = {}
        for key, value in row.items():
            out[key] = value
            if key in names:
                out[key.removesuffix("_id")] = names[key].get(int(str(value)))
            elif key == "roles":
                out[key] = [r.name for r in Role if int(str(value)) & r]
            elif key in _ENUMS:
                out[key] = _enum_name(_ENUMS[key], int(str(value)))
        rows[i] = out


#: Enumeration columns, answered by their ``contracts`` name (``mass_balance``, ``certified``).
_ENUMS: dict[str, Any] = {
    "model": Model, "attribution": Attribution, "raw_material": RawMaterial, "custody": Custody,
}  # fmt: skip


def _enum_name(enum: Any, value: int) -> str:
    try:
        return str(enum(value).name)
    except ValueError:  # a code this release does not know: its digits
        return str(value)


def _scopes(conn: Connection, rows: list[dict[str, object]]) -> None:
    t = table(CertificateScope)
    scope: dict[int, dict[str, list[int]]] = {}
    for cert, kind, ref in conn.execute(select(t.c.certificate_id, t.c.kind, t.c.ref_id)):
        scope.setdefault(int(cert), {}).setdefault(str(kind), []).append(int(ref))
    for row in rows:
        s = scope.get(int(str(row["id"])), {})
        row["scope_class_ids"], row["scope_unit_ids"] = s.get("class", []), s.get("unit", [])


def _states(conn: Connection, found: Sequence[Any], rows: list[dict[str, object]]) -> None:
    """Each certificate's state at the mirror's latest block (issue 20): its stated status, or
    ``expired`` for a valid one past its window."""
    b = table(Block)
    head = conn.execute(select(func.max(b.c.timestamp))).scalar() or 0
    for raw, row in zip(found, rows, strict=True):
        stated = int(CertificateStatus[str(raw.status)])
        row["state"] = certificate_state(stated, raw.valid_from, raw.valid_until, head).name


def _factors(conn: Connection, rows: list[dict[str, object]]) -> None:
    t = table(Factor)
    factors: dict[int, list[dict[str, object]]] = {}
    for r in conn.execute(select(t).order_by(t.c.process_id, t.c.version)):
        factors.setdefault(int(r.process_id), []).append(_plain(r, t))
    for row in rows:
        row["factors"] = factors.get(int(str(row["id"])), [])
