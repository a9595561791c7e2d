"""One form per write route of the gateway: its fields, their labels, and the JSON body built
from what a person typed. The gateway checks everything; a form only shapes the body.

Which routes exist and who may use them is the gateway's to say (its OpenAPI, read by
console/_offered.py); here are only the person-facing fields. Every ledger write of the
gateway's catalog has a form here (tests/console/test_offered.py fails otherwise)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tracenet.console.errors import ConsoleError

__all__ = ["HASH_HINT", "PARTY_FORMS", "Field", "Form", "FormError", "build_body", "find"]


@dataclass(frozen=True)
class Field:
    """``kind``: text, ref (registry key or id), int, grams, hash, list, bool, lines, tokens."""

    name: str
    label: str
    kind: str = "text"
    hint: str = ""
    required: bool = True
    in_path: bool = False


@dataclass(frozen=True)
class Form:
    key: str
    title: str
    path: str  # gateway route; ``{name}`` parts come from fields with in_path
    fields: tuple[Field, ...]
    rule: str = ""

    def route(self, values: dict[str, str]) -> str:
        return self.path.format(**{f.name: values.get(f.name, "") for f in self.fields})


class FormError(ConsoleError, ValueError):
    field: str  # always the form field at fault

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


_UNIT = Field("unit", "Acting unit", "ref", "registry key (plant) or unit id")
_LINES = Field(
    "lines",
    "Credit lines",
    "lines",
    "one line per token: TOKEN_ID AMOUNT_G (grams), e.g. 18446744078004518912 6000000",
)
HASH_HINT = "0x followed by 64 hex digits"
_SHIPMENT = Field("shipment", "Shipment", "int", "its number, as on its SD (SD-…-12: 12)")

PARTY_FORMS: tuple[Form, ...] = (
    Form(
        "input",
        "Record a certified input",
        "/v1/inputs",
        (
            _UNIT,
            Field("class", "Credit class", "ref", "class key or id"),
            Field("amount", "Amount (g)", "grams", "credits created, integer grams"),
            Field(
                "certificate",
                "Certificate",
                "ref",
                "its number (ISCC-PLUS-Cert-DE100-00001), key or id; covering class and unit",
            ),
            Field("evidence_hash", "Evidence hash (SD or weighbridge document)", "hash", HASH_HINT),
        ),
        "R3",
    ),
    Form(
        "conventional",
        "Record a conventional input",
        "/v1/conventional-inputs",
        (
            _UNIT,
            Field("product_group", "Product group", "ref"),
            Field("quantity", "Quantity (g)", "grams"),
            Field("document_hash", "Document hash", "hash", HASH_HINT),
        ),
        "R9",
    ),
    Form(
        "production",
        "Record a production quantity",
        "/v1/productions",
        (
            _UNIT,
            Field("product_group", "Product group", "ref"),
            Field("quantity", "Quantity (g)", "grams"),
            Field("document_hash", "Document hash", "hash", HASH_HINT),
        ),
        "R9",
    ),
    Form(
        "ship",
        "Ship credits with a delivery",
        "/v1/shipments",
        (
            _UNIT,
            Field("to_unit", "Recipient unit", "ref", "registry key or unit id"),
            Field("product_group", "Product group", "ref"),
            Field("quantity", "Physical quantity (g)", "grams"),
            Field("document_hash", "Delivery document hash", "hash", HASH_HINT),
            Field("order_ref", "Order reference", "text", "up to 32 bytes"),
            Field("product", "Product", "text", "up to 32 bytes"),
            _LINES,
        ),
        "R1 R6 R7",
    ),
    Form(
        "transfer",
        "Transfer inventory inside a boundary",
        "/v1/inventory-transfers",
        (
            _UNIT,
            Field("to_unit", "Receiving site", "ref"),
            _LINES,
        ),
        "R7",
    ),
    Form(
        "trade",
        "Transfer book-and-claim certificates",
        "/v1/certificate-transfers",
        (
            _UNIT,
            Field("to_unit", "Recipient unit", "ref", "registry key or unit id"),
            Field("trade_ref", "Trade reference", "text", "up to 32 bytes"),
            _LINES,
        ),
        "R8",
    ),
    Form(
        "convert",
        "Convert credits through a process",
        "/v1/conversions",
        (
            _UNIT,
            Field("process", "Process", "ref", "process key or id"),
            Field("factor_version", "Factor version", "int"),
            _LINES,
        ),
        "R5",
    ),
    Form(
        "claim",
        "Claim (retire) credits",
        "/v1/claims",
        (
            _UNIT,
            Field("beneficiary", "Beneficiary"),
            Field("product", "Product", "text", "up to 32 bytes"),
            Field("purpose", "Purpose", "text", "up to 32 bytes"),
            _LINES,
        ),
        "R1",
    ),
    Form(
        "claim-rolling",
        "Claim a rolling-average share",
        "/v1/claims",
        (
            _UNIT,
            Field("class", "Credit class", "ref", "a rolling-average class: key or id"),
            Field(
                "quantity",
                "Claimed product quantity (g)",
                "grams",
                "the unit's share in force applies to it: 30 % of 1 000 000 g claims 300 000 g",
            ),
            Field("beneficiary", "Beneficiary"),
            Field("product", "Product", "text", "up to 32 bytes"),
            Field("purpose", "Purpose", "text", "up to 32 bytes"),
        ),
        "R8",
    ),
    Form(
        "lapse",
        "Lapse credits past their window",
        "/v1/lapses",
        (
            _UNIT,
            Field("token_ids", "Token ids", "tokens", "one or more, separated by spaces"),
        ),
        "R4",
    ),
    Form(
        "close",
        "Close the ended period",
        "/v1/period-closes",
        (
            _UNIT,
            Field("class", "Credit class", "ref"),
            Field("physical_stock", "Physical stock declared (g)", "grams"),
        ),
        "R4",
    ),
    # Issue 19: shipments awaiting the recipient's acceptance (also one click each from the
    # inbox and the pending list of /party/shipments).
    Form(
        "accept",
        "Accept a shipment awaiting your acceptance",
        "/v1/acceptances",
        (_UNIT, _SHIPMENT),
        "R1",
    ),
    Form(
        "reject",
        "Reject a shipment awaiting your acceptance",
        "/v1/rejections",
        (_UNIT, _SHIPMENT, Field("reason", "Reason", "text", "shown to the sender")),
        "R1",
    ),
    Form(
        "recall",
        "Recall a shipment you sent",
        "/v1/recalls",
        (_UNIT, _SHIPMENT),
        "R1",
    ),
    Form(
        "settle",
        "Settle a shipment whose acceptance window has passed",
        "/v1/settlements",
        (_SHIPMENT,),
        "R1",
    ),
)


_DIGITS = re.compile(r"[0-9]+")


def find(forms: tuple[Form, ...], key: str) -> Form | None:
    return next((f for f in forms if f.key == key), None)


def _scalar(value: str) -> int | str:
    """Digits become a number (ids, counts), anything else is passed on as typed (keys, ISO)."""
    return int(value) if _DIGITS.fullmatch(value) and len(value) < 40 else value


def _lines(field: str, text: str) -> list[dict[str, str]]:
    lines = []
    for n, raw in enumerate(text.strip().splitlines(), start=1):
        parts = raw.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise FormError(field, f"line {n}: write TOKEN_ID AMOUNT_G, not {raw.strip()!r}")
        lines.append({"token_id": parts[0], "amount": parts[1]})
    return lines


def build_body(form: Form, values: dict[str, str]) -> dict[str, Any]:
    """The JSON body of ``form``; ``FormError`` for what cannot even be shaped into one."""
    body: dict[str, Any] = {}
    for f in form.fields:
        raw = values.get(f.name, "").strip()
        if f.in_path:
            if not raw:
                raise FormError(f.name, "required")
            continue
        if f.kind == "bool":
            body[f.name] = raw in ("on", "true", "1")
            continue
        if not raw:
            if f.required:
                raise FormError(f.name, "required")
            continue
        if f.kind == "lines":
            body[f.name] = _lines(f.name, raw)
        elif f.kind in ("list", "tokens"):
            items = raw.replace(",", " ").split()
            body[f.name] = items if f.kind == "tokens" else [_scalar(i) for i in items]
        elif f.kind in ("ref", "int"):
            body[f.name] = _scalar(raw)
        else:  # text, grams (a decimal string keeps every digit), hash
            body[f.name] = raw
    return body
