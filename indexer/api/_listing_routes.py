"""Lists: a party's shipments in and out (with the credits each carries), and the consortium's
registry (parties, boundaries, units, signers, certificates, classes, schemes, product groups,
processes).

Shipments are commercially sensitive: a party sees those to or from its own units, an auditor
every one. The registry is what every member needs to name things: any read key reads it.
Newest first; ``limit`` caps a list (``truncated`` says when more exist)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query
from pydantic import Field
from sqlalchemy import Connection, Table, or_, select

from tracenet.contracts import Attribution, Custody, Model, RawMaterial, Role
from tracenet.indexer.api import _api_models as models
from tracenet.indexer.api._api_deps import RESPONSES, STOPPED, CallerDep, ConnDep, HeadDep
from tracenet.indexer.api._reports import as_of
from tracenet.indexer.api._transit import acceptances, pending_ids
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import (
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
_TIMES = {"valid_from", "valid_until", "effective_from"}
#: Id columns named beside them (``holderPartyId`` → ``holderParty``), from these tables.
_NAMED: dict[str, Any] = {
    "party_id": Party, "holder_party_id": Party, "certifier_party_id": Party,
    "scheme_id": Scheme, "product_group_id": ProductGroup, "unit_id": Unit,
    "boundary_id": Boundary,
    "input_class_id": CreditClass, "output_class_id": CreditClass,
}  # fmt: skip


class Shipments(models.AsOf):
    """Shipments to or from the caller's units (every one for an auditor), newest first."""

    shipments: list[dict[str, object]] = Field(
        description="shipmentId, direction (in/out, as seen by the caller), from/to unit id and "
        "name, productGroup, product, orderRef, quantity and credits (grams), shareBps, "
        "documentHash, time (ISO-8601), blockNumber, txHash; `acceptance` (issue 19, null when "
        "the shipment needed none): state (pending, accepted, rejected, recalled, "
        "settled_accepted, settled_returned), deadline, since, reason, text"
    )
    truncated: bool


class RegistryList(models.AsOf):
    kind: str
    rows: list[dict[str, object]] = Field(description="one object per entity, camelCase")
    truncated: bool


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _iso(value: int) -> str | None:
    try:
        return iso_time(int(value))
    except (OverflowError, OSError, ValueError):
        return None  # beyond the calendar: "no end"


def _plain(row: Any, t: Table) -> dict[str, object]:
    out: dict[str, object] = {}
    for c in t.columns:
        value = getattr(row, c.name)
        out[_camel(c.name)] = _iso(value) if c.name in _TIMES else value
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
                "shipmentId": int(r.shipment_id),
                "direction": "in" if r.to_unit_id in caller.units
                else "out" if r.from_unit_id in caller.units else "",
                "fromUnitId": r.from_unit_id, "fromUnit": units.get(r.from_unit_id),
                "toUnitId": r.to_unit_id, "toUnit": units.get(r.to_unit_id),
                "productGroupId": r.product_group_id,
                "productGroup": groups.get(r.product_group_id),
                "product": _text32(r.product), "orderRef": _text32(r.order_ref),
                "quantity": int(r.quantity), "credits": int(r.credits),
                "shareBps": int(r.credits) * 10_000 // int(r.quantity) if r.quantity else 0,
                "documentHash": r.document_hash, "time": _iso(r.timestamp),
                "blockNumber": r.block_number, "txHash": r.tx_hash,
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
        if kind == "processes":
            _factors(conn, rows)
        if kind == "schemes":  # the custody mode by its contracts.Custody name (issue 13)
            for row in rows:
                mode = int(str(row["custody"]))
                row["custody"] = Custody(mode).name if mode in set(Custody) else str(mode)
        return RegistryList.model_validate(
            {**as_of(conn), "kind": kind, "rows": rows, "truncated": len(found) > limit}
        )


def _name_ids(conn: Connection, t: Table, rows: list[dict[str, object]]) -> None:
    """Each id column's entity named beside it; role masks and enumerations by name."""
    names = {c: _names(conn, m) for c, m in _NAMED.items() if c in t.c}
    for i, row in enumerate(rows):
        out: dict[str, object] = {}
        for key, value in row.items():
            out[key] = value
            snake = next((c for c in names if _camel(c) == key), None)
            if snake is not None:
                out[key.removesuffix("Id")] = names[snake].get(int(str(value)))
            elif key == "roles":
                out["roleNames"] = [r.name for r in Role if int(str(value)) & r]
            elif key == "model":
                out["modelName"] = Model(int(str(value))).name
            elif key == "attribution":
                out["attributionName"] = Attribution(int(str(value))).name
            elif key == "rawMaterial":
                out["rawMaterialName"] = RawMaterial(int(str(value))).label
        rows[i] = out


def _scopes(conn: Connection, rows: list[dict[str, object]]) -> None:
    t = table(CertificateScope)
    scope: dict[int, dict[str, list[int]]] = {}
    for cert, kind, ref in conn.execute(select(t.c.certificate_id, t.c.kind, t.c.ref_id)):
        scope.setdefault(int(cert), {}).setdefault(str(kind), []).append(int(ref))
    for row in rows:
        s = scope.get(int(str(row["id"])), {})
        row["scopeClassIds"], row["scopeUnitIds"] = s.get("class", []), s.get("unit", [])


def _factors(conn: Connection, rows: list[dict[str, object]]) -> None:
    t = table(Factor)
    factors: dict[int, list[dict[str, object]]] = {}
    for r in conn.execute(select(t).order_by(t.c.process_id, t.c.version)):
        factors.setdefault(int(r.process_id), []).append(_plain(r, t))
    for row in rows:
        row["factors"] = factors.get(int(str(row["id"])), [])
