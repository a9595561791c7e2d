"""The documented columns of each import kind (erp/COLUMNS.md), and a row to a gateway body.

Each kind sends one ledger write of the gateway's catalog (its ``route``, the batch item kind);
the writes no ERP export carries are in ``NOT_IMPORTABLE`` with the reason.

A kind is a list of columns; each column has a parser from the cell text to the body value and
says whether it is required. ``build`` parses every column of a row and returns the body, or
every ``RowError`` of the row (so ``--check`` reports all of them at once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tracenet.erp._cells import (
    TEXT_TOO_LONG,
    VALUE_MISSING,
    parse_date,
    parse_grams,
    parse_hash,
    parse_int,
    parse_text32,
)
from tracenet.erp.errors import RowError

__all__ = ["CERTIFICATE_STATUSES", "KINDS", "NOT_IMPORTABLE", "Column", "Kind", "build"]

Parser = Callable[[str, str, str | None], Any]  # (cell, column, default unit) -> value


def _ref(text: str, column: str, _: str | None) -> int | str:
    """A registry name (``recycling-plant``) or a numeric id."""
    value = text.strip()
    if not value:
        raise RowError("a name or id is required", field=column, code=VALUE_MISSING)
    return int(value) if value.isdigit() else value


def _grams(text: str, column: str, unit: str | None) -> str:
    return str(parse_grams(text, column, unit))


def _token(text: str, column: str) -> str:
    value = text.strip()
    try:
        number = int(value, 16) if value.lower().startswith("0x") else int(value)
    except ValueError as exc:
        raise RowError(
            f"{value!r} is not a token id (decimal or 0x-hex)", field=column, code="TN-IMP-4229"
        ) from exc
    return str(number)


def _lines(text: str, column: str, unit: str | None) -> list[dict[str, str]]:
    """``TOKEN:QUANTITY`` pairs separated by ``;`` (``79228…336:6 t; 0x1000…:500 kg``)."""
    out = []
    for part in (p for p in text.split(";") if p.strip()):
        token, sep, quantity = part.partition(":")
        if not sep:
            raise RowError(
                f"{part.strip()!r} is not TOKEN:QUANTITY", field=column, code="TN-IMP-4230"
            )
        out.append({"token_id": _token(token, column), "amount_g": _grams(quantity, column, unit)})
    if not out:
        raise RowError("at least one TOKEN:QUANTITY line", field=column, code=VALUE_MISSING)
    return out


def _hash(text: str, column: str, _: str | None) -> str:
    return parse_hash(text, column)


def _text(text: str, column: str, _: str | None) -> str:
    return parse_text32(text, column)


def _int(text: str, column: str, _: str | None) -> int:
    return parse_int(text, column)


def _beneficiary(text: str, column: str, _: str | None) -> str:
    value = text.strip()
    if not 0 < len(value) <= 200:
        raise RowError("1 to 200 characters", field=column, code=VALUE_MISSING)
    return value


def _date(text: str, column: str, _: str | None) -> str:
    return parse_date(text, column)


def _refs(text: str, column: str, unit: str | None) -> list[int | str]:
    """Registry names or ids separated by spaces, commas or ``;``."""
    parts = [p for p in text.replace(";", " ").replace(",", " ").split() if p]
    if not parts:
        raise RowError("at least one name or id", field=column, code=VALUE_MISSING)
    return [_ref(p, column, unit) for p in parts]


#: The statuses a published certificate list states (issue 20); ``expired`` is by date.
CERTIFICATE_STATUSES = ("valid", "suspended", "withdrawn", "terminated", "expired")


def _status(text: str, column: str, _: str | None) -> str:
    value = text.strip().lower()
    if value not in CERTIFICATE_STATUSES:
        raise RowError(
            f"{text.strip()!r} is not a status: {', '.join(CERTIFICATE_STATUSES)}",
            field=column, code="TN-IMP-4231",
        )  # fmt: skip
    return value


def _reason(text: str, column: str, _: str | None) -> str:
    value = text.strip()
    if not 0 < len(value.encode()) <= 200:
        raise RowError("1 to 200 bytes", field=column, code=TEXT_TOO_LONG)
    return value


@dataclass(frozen=True)
class Column:
    name: str  # the documented column name
    key: str | None  # the gateway body's field; None: checked and carried, not sent
    parse: Parser
    required: bool = True
    doc: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    # the gateway's kind: its catalog row (gateway/operations/_catalog.py), the batch item kind
    route: str
    columns: tuple[Column, ...]
    doc: str

    @property
    def names(self) -> tuple[str, ...]:
        return (*(c.name for c in self.columns), "quantity_unit")


_UNIT = Column("unit", "unit", _ref, doc="the acting unit (registry name or id)")
_DATE = Column("date", None, _date, False, "ISO-8601 date of the ERP document (kept, not sent)")
_DOC = Column("document", "document_hash", _hash, doc="0x-hash, or a document number (hashed)")
_QTY = Column("quantity", "quantity_g", _grams, doc="physical quantity with unit: 6 t, 12.5 kg")
_LINES = Column("lines", "lines", _lines, doc="TOKEN:QUANTITY;… credits per token id")
# R8 (issue 10): a rolling-average class's lines are the share in force, which the gateway adds.
_SHIP_LINES = Column(
    "lines", "lines", _lines, False,
    "TOKEN:QUANTITY;… credits per token id; none: a conventional delivery, or only the "
    "rolling-average share (the gateway adds it)",
)  # fmt: skip
_GROUP = Column("product_group", "product_group", _ref, doc="product group (name or id)")
_TO = Column("to_unit", "to_unit", _ref, doc="the receiving unit (name or id)")
_SHIPMENT = Column("shipment", "shipment", _int, doc="the shipment's number (its SD's last part)")

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("inputs", "inputs", (
            _UNIT, Column("class", "class", _ref, doc="credit class (name or id)"),
            Column("quantity", "amount_g", _grams, doc="certified quantity with unit"),
            Column("certificate", "certificate", _ref, doc="certificate number, key or id"),
            Column("evidence", "evidence_hash", _hash, doc="0x-hash or the SD / weighbridge no."),
            _DATE,
        ), "certified inputs: create credits"),
        Kind("conventional-inputs", "conventional-inputs", (_UNIT, _GROUP, _QTY, _DOC, _DATE),
             "conventional inputs: quantity only"),
        Kind("productions", "productions", (_UNIT, _GROUP, _QTY, _DOC, _DATE),
             "production quantities"),
        Kind("shipments", "shipments", (
            _UNIT, _TO, _GROUP, _QTY, _DOC,
            Column("order_ref", "order_ref", _text, doc="contract or order reference (≤ 32 B)"),
            Column("product", "product", _text, doc="product code or name (≤ 32 bytes)"),
            _SHIP_LINES, _DATE,
        ), "shipments with the credits they carry"),
        Kind("transfers", "inventory-transfers", (_UNIT, _TO, _LINES, _DATE),
             "inventory transfers inside a multi-site boundary"),
        Kind("conversions", "conversions", (
            _UNIT, Column("process", "process", _ref, doc="registered process (name or id)"),
            Column("factor_version", "factor_version", _int, doc="registered factor version"),
            _LINES, _DATE,
        ), "conversions through a registered process"),
        Kind("claims", "claims", (
            _UNIT,
            Column("lines", "lines", _lines, False,
                   "TOKEN:QUANTITY;… credits retired; none for a rolling-average claim"),
            Column("beneficiary", "beneficiary", _beneficiary, doc="who the claim is for"),
            Column("product", "product", _text, doc="product claimed (≤ 32 bytes)"),
            Column("purpose", "purpose", _text, doc="purpose of the claim (≤ 32 bytes)"),
            Column("class", "class", _ref, False, "R8: the rolling-average class claimed"),
            Column("quantity", "quantity_g", _grams, False,
                   "R8: claimed product quantity with unit (the share of it is claimed)"),
            _DATE,
        ), "claims: retire credits"),
        # A certification body's published list (issue 20): registered once (a number already in
        # the scheme is "already done"), then its status stated when it is not valid.
        Kind("certificates", "certificates", (
            Column("number", "number", _beneficiary, doc="certificate number, unique per scheme"),
            Column("holder", "holder", _ref, doc="the holder party (name or id)"),
            Column("scheme", "scheme", _ref, doc="scheme (name or id)"),
            Column("classes", "classes", _refs, doc="scope: credit classes, space separated"),
            Column("units", "units", _refs, doc="scope: the holder's units, space separated"),
            Column("valid_from", "valid_from", _date, doc="ISO-8601 date or UTC date-time"),
            Column("valid_until", "valid_until", _date, doc="end of validity (exclusive)"),
            Column("audited_volume", "audited_volume_g", _grams, False, "volume cap with unit"),
            Column("status", None, _status, False, "valid (default), suspended, withdrawn, "
                   "terminated, or expired (by date: nothing to state)"),
            Column("status_from", None, _date, False, "when the status took effect "
                   "(required unless valid or expired)"),
            Column("reason", None, _reason, False, "why (default: the published list)"),
        ), "certificates as a certification body publishes them"),
        # Issue 19: the recipient's goods receipts, and its refused deliveries.
        Kind("receipts", "acceptances", (_UNIT, _SHIPMENT, _DATE),
             "goods receipts: accept shipments awaiting acceptance"),
        Kind("rejections", "rejections", (
            _UNIT, _SHIPMENT,
            Column("reason", "reason", _beneficiary, doc="why the delivery is refused (≤ 200)"),
            _DATE,
        ), "refused deliveries: reject shipments awaiting acceptance, with a reason"),
    )
}  # fmt: skip


#: The gateway's ledger writes (its catalog's kinds) no ERP export carries, and why; every other
#: write of the catalog has its kind above (tests/erp/test_kinds.py holds the two to the catalog).
NOT_IMPORTABLE: dict[str, str] = {
    "certificate-transfers": "book-and-claim certificates are traded one agreement at a time, "
    "not exported with deliveries or stock",
    "lapses": "credits lapse by the ledger's calendar (R4): a step of the books, not a business "
    "document",
    "period-closes": "one physical-stock declaration per class at the period's end, not a row of "
    "an export",
    "recalls": "a sender recalls one delivery it regrets, a decision of the moment, not a row of "
    "an export",
    "settlements": "a shipment is settled by the ledger's clock once its acceptance window has "
    "passed (anyone may): a step of the books, not a business document",
}


def build(kind: Kind, row: Mapping[str, str]) -> tuple[dict[str, Any], list[RowError]]:
    """The gateway body of ``row`` (documented column names → cell text), and its errors."""
    body: dict[str, Any] = {}
    errors: list[RowError] = []
    unit = (row.get("quantity_unit") or "").strip() or None
    for column in kind.columns:
        cell = (row.get(column.name) or "").strip()
        if not cell:
            if column.required:
                errors.append(
                    RowError("a value is required", field=column.name, code=VALUE_MISSING)
                )
            continue
        try:
            value = column.parse(cell, column.name, unit)
        except RowError as exc:
            errors.append(exc)
            continue
        if column.key is not None:
            body[column.key] = value
    return body, errors
