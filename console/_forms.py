"""One form per write route of the gateway: its fields, their labels, and the JSON body built
from what a person typed. The gateway checks everything; a form only shapes the body.

Which routes exist and who may use them is the gateway's to say (its OpenAPI, read by
console/_offered.py); here are only the person-facing fields. Every ledger write of the
gateway's catalog has a form here (tests/console/test_offered.py fails otherwise)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tracenet.console._choices import Choices
from tracenet.console.errors import ConsoleError
from tracenet.contracts import MAX_QUANTITY_G, Role
from tracenet.kit import quantity

__all__ = [
    "HASH_HINT", "IDENTIFIER_KINDS", "PARTY_FORMS", "Built", "Field", "Form", "FormError",
    "build", "build_body", "find", "identifier_hash",
]  # fmt: skip


@dataclass(frozen=True)
class Field:
    """``kind``: text, ref (an entity of the registry listing ``entity``, picked by name; its
    id or registry key typed works too), refs (several, ticked), int, grams (a quantity with
    its unit), percent (to basis points), document (a file hashed here; its hash typed works
    too), roles (ticked), identifier (with its kind), list, bool, lines (credits picked from
    what the unit holds), tokens, choice (one of ``options``), date (ISO, a date picker)."""

    name: str
    label: str
    kind: str = "text"
    hint: str = ""
    required: bool = True
    in_path: bool = False
    entity: str = ""  # the registry listing of a ref/refs field (units, classes…)
    options: tuple[tuple[str, str], ...] = ()  # a choice's (value sent, what a person reads)


@dataclass(frozen=True)
class Form:
    key: str
    title: str
    path: str  # gateway route; ``{name}`` parts come from fields with in_path
    fields: tuple[Field, ...]
    rule: str = ""

    def route(self, values: Mapping[str, Any]) -> str:
        return self.path.format(**{f.name: values.get(f.name, "") for f in self.fields})

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def entities(self) -> set[str]:
        return {f.entity for f in self.fields if f.entity}

    @property
    def has_lines(self) -> bool:
        return any(f.kind == "lines" for f in self.fields)

    @property
    def has_files(self) -> bool:
        return any(f.kind == "document" for f in self.fields)


class FormError(ConsoleError, ValueError):
    """Every field at fault at once: ``errors`` maps each to a sentence; ``field`` and
    ``message`` are the first of them."""

    field: str  # always the form field at fault

    def __init__(self, field: str, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.errors = errors or {field: message}


_UNIT = Field(
    "unit", "Acting unit", "ref", "one of your party's units, by name (or its id)", entity="units"
)
_LINES = Field(
    "lines",
    "Credits",
    "lines",
    "the amount of each holding to use, e.g. 3 t; “all” takes all of it",
)
HASH_HINT = "choose the file: its SHA-256 fingerprint is sent, not the file"

_CLASS = Field("class", "Credit class", "ref", "by name, e.g. rPET flake", entity="classes")
_GROUP = Field("product_group", "Product group", "ref", "by name", entity="product-groups")
_TO_UNIT = Field("to_unit", "Recipient unit", "ref", "the customer's unit, by name", entity="units")
_TEXT32 = "up to 32 characters"
_SHIPMENT = Field("shipment", "Shipment", "int", "its number, as on its SD (SD-…-12: 12)")

PARTY_FORMS: tuple[Form, ...] = (
    Form(
        "input",
        "Record a certified input",
        "/v1/inputs",
        (
            _UNIT,
            _CLASS,
            Field("amount", "Amount", "grams", "with its unit: 6 t, 12.5 kg, 250 000 g"),
            Field(
                "certificate",
                "Certificate",
                "ref",
                "its number (ISCC-PLUS-Cert-DE100-00001), covering the class and the unit",
                entity="certificates",
            ),
            Field(
                "evidence_hash",
                "Evidence document (SD or weighbridge ticket)",
                "document",
                HASH_HINT,
            ),
        ),
        "R3",
    ),
    Form(
        "conventional",
        "Record a conventional input",
        "/v1/conventional-inputs",
        (
            _UNIT,
            _GROUP,
            Field("quantity", "Quantity", "grams", "with its unit: 6 t, 12.5 kg"),
            Field("document_hash", "Document", "document", HASH_HINT),
        ),
        "R9",
    ),
    Form(
        "production",
        "Record a production quantity",
        "/v1/productions",
        (
            _UNIT,
            _GROUP,
            Field("quantity", "Quantity", "grams", "with its unit: 6 t, 12.5 kg"),
            Field("document_hash", "Document", "document", HASH_HINT),
        ),
        "R9",
    ),
    Form(
        "ship",
        "Ship credits with a delivery",
        "/v1/shipments",
        (
            _UNIT,
            _TO_UNIT,
            _GROUP,
            Field("quantity", "Physical quantity", "grams", "delivered, with its unit: 6 t"),
            Field("document_hash", "Delivery document", "document", HASH_HINT),
            Field("order_ref", "Order reference", "text", _TEXT32),
            Field("product", "Product", "text", _TEXT32),
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
            Field(
                "to_unit",
                "Receiving site",
                "ref",
                "a site of the same boundary, by name",
                entity="units",
            ),
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
            _TO_UNIT,
            Field("trade_ref", "Trade reference", "text", _TEXT32),
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
            Field("process", "Process", "ref", "by name", entity="processes"),
            Field("factor_version", "Factor version", "int", "the version in effect, from 0"),
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
            Field("beneficiary", "Beneficiary", hint="for whom the credits are retired"),
            Field("product", "Product", "text", _TEXT32),
            Field("purpose", "Purpose", "text", _TEXT32),
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
            Field(
                "class", "Credit class", "ref", "a rolling-average class, by name", entity="classes"
            ),
            Field(
                "quantity",
                "Claimed product quantity",
                "grams",
                "the unit's share in force applies to it: 30 % of 1 t claims 300 kg",
            ),
            Field("beneficiary", "Beneficiary", hint="for whom the credits are retired"),
            Field("product", "Product", "text", _TEXT32),
            Field("purpose", "Purpose", "text", _TEXT32),
        ),
        "R8",
    ),
    Form(
        "lapse",
        "Lapse credits past their window",
        "/v1/lapses",
        (
            Field("unit", "Unit holding them", "ref", "any party's unit, by name", entity="units"),
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
            _CLASS,
            Field(
                "physical_stock", "Physical stock declared", "grams", "with its unit; 0 t for none"
            ),
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

#: Fields whose quantity may be zero.
_ZERO_ALLOWED = {"physical_stock"}
_DIGITS = re.compile(r"[0-9]+")
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
_ALL = {"all", "max", "everything"}


def find(forms: tuple[Form, ...], key: str) -> Form | None:
    return next((f for f in forms if f.key == key), None)


def _scalar(value: str) -> int | str:
    """Digits become a number (ids, counts), anything else is passed on as typed (keys, ISO)."""
    return int(value) if _DIGITS.fullmatch(value) and len(value) < 40 else value


def _sentence(text: str) -> str:
    """A message ending as a sentence; its first word kept as written (rPET, a key)."""
    text = text.strip()
    return text if not text or text.endswith((".", "?", "!")) else text + "."


def _grams(field: Field, raw: str) -> int:
    try:
        return quantity.parse_grams(
            raw, field=field.name, max_g=MAX_QUANTITY_G, allow_zero=field.name in _ZERO_ALLOWED
        )
    except quantity.QuantityError as exc:
        raise FormError(field.name, _sentence(exc.message)) from None


def _ref(field: Field, raw: str, choices: Choices | None, own_only: bool = False) -> int | str:
    """The id of the entity named ``raw`` (its display name, as offered; any case), an id as
    typed, or else ``raw`` itself: a registry key, which the gateway resolves."""
    if _DIGITS.fullmatch(raw):
        return _scalar(raw)
    offered = choices.of(field.entity) if choices is not None and field.entity else None
    if not offered:
        return raw
    same = [c for c in offered if c.name.casefold() == raw.casefold()]
    if own_only and any(c.own for c in same):
        same = [c for c in same if c.own]
    if len(same) == 1:
        return same[0].ident
    if len(same) > 1:
        which = ", ".join(c.detail for c in same)
        raise FormError(
            field.name,
            f"“{raw}” names {len(same)} entries ({which}): type the number of the one you mean",
        )
    return raw


def _roles(field: Field, picked: list[str]) -> list[str]:
    known = {str(r.name) for r in Role}
    unknown = [p for p in picked if p not in known]
    if unknown:
        raise FormError(field.name, f"“{unknown[0]}” is not a role; tick any of {', '.join(known)}")
    return [p for p in picked if p]


def _document(field: Field, raw: str) -> str:
    if not _HEX32.fullmatch(raw):
        raise FormError(
            field.name,
            "Choose the document's file (or, under “All fields”, type its SHA-256 hash: 0x "
            "and 64 hex digits).",
        )
    return raw.lower()


def _percent(field: Field, raw: str) -> int:
    """``30 %``, ``30``, ``12.5%`` to basis points, exactly."""
    text = raw.strip().removesuffix("%").strip()
    try:
        bps = Decimal(text) * 100
    except InvalidOperation:
        raise FormError(field.name, f"“{raw}” is not a share like 30 % or 12.5 %.") from None
    if bps != bps.to_integral_value() or not 0 <= bps <= 10_000:
        raise FormError(field.name, f"“{raw}” must be between 0 % and 100 %, at most two decimals.")
    return int(bps)


def _typed_lines(field: Field, text: str) -> list[dict[str, Any]]:
    """Lines typed as ``TOKEN_ID QUANTITY`` (``18446744078004518912 6 t``; bare grams too)."""
    lines: list[dict[str, Any]] = []
    for n, raw in enumerate(text.strip().splitlines(), start=1):
        parts = raw.replace(",", " ").split(maxsplit=1)
        if not parts:
            continue
        if len(parts) != 2 or not _DIGITS.fullmatch(parts[0]):
            raise FormError(
                field.name,
                f"Line {n}: write the token id and the amount (18446744078004518912 3 t), "
                f"not “{raw.strip()}”.",
            )
        amount = parts[1].strip()
        try:
            grams = int(amount) if _DIGITS.fullmatch(amount) else _grams(field, amount)
        except FormError as exc:
            raise FormError(field.name, f"Line {n}: {exc.message}") from None
        lines.append({"token_id": parts[0], "amount": grams})
    return lines


def _picked_lines(
    field: Field, values: Mapping[str, Any], choices: Choices | None, unit: int | str | None
) -> list[dict[str, Any]]:
    """The lines picked from the holdings: an amount typed beside a holding (or “all”)."""
    held = {h.token_id: h for h in (choices.holdings or [])} if choices is not None else {}
    lines: list[dict[str, Any]] = []
    problems: list[str] = []
    for key, typed in values.items():
        if not key.startswith("line-") or not isinstance(typed, str) or not typed.strip():
            continue
        token = key.removeprefix("line-")
        holding = held.get(token)
        what = f"{holding.class_name} {holding.vintage}" if holding else f"token {token}"
        if typed.strip().lower() in _ALL:
            if holding is None:
                problems.append(f"{what}: the amount held is not known here; type it")
                continue
            grams = holding.amount_g
        else:
            try:
                grams = _grams(field, typed)
            except FormError as exc:
                problems.append(f"{what}: {exc.message}")
                continue
        if holding is not None:
            if isinstance(unit, int) and holding.unit != unit:
                problems.append(f"{what} is held by {holding.unit_name}, not the acting unit")
            elif holding.lapsed:
                problems.append(f"{what} has lapsed: retire it with “Lapse credits”")
            elif grams > holding.amount_g:
                problems.append(
                    f"{what}: {quantity.format_grams(grams)} is more than the "
                    f"{quantity.format_grams(holding.amount_g)} held"
                )
        lines.append({"token_id": token, "amount": grams})
    if problems:
        raise FormError(field.name, " ".join(_sentence(p) for p in problems))
    return lines


@dataclass(frozen=True)
class Built:
    path: str  # the gateway route, its ``{name}`` parts resolved
    body: dict[str, Any]


def build(form: Form, values: Mapping[str, Any], choices: Choices | None = None) -> Built:
    """The route and JSON body of ``form``; ``FormError`` with every field that cannot even be
    shaped into one (each a sentence), not just the first."""
    body: dict[str, Any] = {}
    path_values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    acting: int | str | None = None
    for f in form.fields:
        value = values.get(f.name, "")
        raw = value.strip() if isinstance(value, str) else ""
        try:
            if f.kind == "bool":
                body[f.name] = raw in ("on", "true", "1")
                continue
            if f.kind in ("roles", "refs"):
                picked = value if isinstance(value, list) else raw.replace(",", " ").split()
                picked = [str(p).strip() for p in picked if str(p).strip()]
                if not picked and f.required and f.kind == "refs":
                    raise FormError(f.name, "Tick at least one.")
                if f.kind == "roles":
                    body[f.name] = _roles(f, picked)
                else:
                    body[f.name] = [_ref(f, p, choices) for p in picked]
                continue
            if f.kind == "lines":
                lines = _picked_lines(f, values, choices, acting)
                if raw:
                    lines += _typed_lines(f, raw)
                if lines:
                    body[f.name] = lines
                elif f.required:
                    raise FormError(f.name, "Type an amount beside at least one holding.")
                continue
            if not raw:
                if f.required and f.kind == "document":
                    _document(f, raw)  # says how: choose the file, or type its hash
                if f.required:
                    raise FormError(f.name, f"{f.label} is required.")
                continue
            if f.kind == "ref":
                resolved = _ref(f, raw, choices, own_only=f.name == "unit")
                if f.name == "unit":
                    acting = resolved
                if f.in_path:
                    path_values[f.name] = resolved
                    continue
                body[f.name] = resolved
            elif f.in_path:
                path_values[f.name] = raw
            elif f.kind == "grams":
                body[f.name] = _grams(f, raw)
            elif f.kind == "percent":
                body[f.name] = _percent(f, raw)
            elif f.kind == "document":
                body[f.name] = _document(f, raw)
            elif f.kind == "identifier":
                body[f.name] = identifier_hash(f, str(values.get(f.name + "_kind", "")), raw)
            elif f.kind in ("list", "tokens"):
                items = raw.replace(",", " ").split()
                body[f.name] = items if f.kind == "tokens" else [_scalar(i) for i in items]
            elif f.kind == "int":
                body[f.name] = _scalar(raw)
            elif f.kind == "choice":
                if raw not in {value for value, _ in f.options}:
                    raise FormError(f.name, f"Choose one of the {f.label.lower()} offered.")
                body[f.name] = raw
            else:  # text, hash
                body[f.name] = raw
        except FormError as exc:
            errors[f.name] = exc.message
    if errors:
        first = next(iter(errors))
        raise FormError(first, errors[first], errors)
    return Built(form.route(path_values), body)


def build_body(
    form: Form, values: Mapping[str, Any], choices: Choices | None = None
) -> dict[str, Any]:
    """The JSON body of ``form`` (``build``'s)."""
    return build(form, values, choices).body


#: The kinds of identifier a party is registered with, and the rule each is checked by.
IDENTIFIER_KINDS = {
    "lei": "LEI (20 characters, ISO 17442)",
    "vat": "VAT number (country code and number)",
    "gln": "GLN (13 digits, GS1)",
    "registry": "Company registry number",
    "hash": "A hash already made (0x and 64 hex digits)",
}


def _lei_ok(lei: str) -> bool:
    digits = "".join(str(int(ch, 36)) for ch in lei)
    return int(digits) % 97 == 1


def _gln_ok(gln: str) -> bool:
    """GS1's check digit: the data digits weighted 3, 1, 3… from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(gln[:-1])))
    return (10 - total % 10) % 10 == int(gln[-1])


def identifier_hash(field: Field, kind: str, raw: str) -> str:
    """The on-chain identifier of a party: ``0x`` + SHA-256 of ``KIND:VALUE`` (``LEI:5299…``),
    the value checked by its kind's rule and normalised (upper case, no spaces), so the same
    LEI always gives the same hash; a hash typed as such is taken as is."""
    kind = kind.strip().lower() or "lei"
    value = re.sub(r"[\s.-]", "", raw).upper()
    if kind == "hash":
        return _document(field, raw)
    if kind == "lei":
        if not re.fullmatch(r"[A-Z0-9]{18}[0-9]{2}", value) or not _lei_ok(value):
            raise FormError(
                field.name,
                f"“{raw}” is not an LEI: 20 characters whose last two "
                "check digits match (ISO 17442).",
            )
    elif kind == "gln":
        if not re.fullmatch(r"[0-9]{13}", value) or not _gln_ok(value):
            raise FormError(
                field.name, f"“{raw}” is not a GLN: 13 digits with a valid GS1 check digit."
            )
    elif kind == "vat":
        if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{2,13}", value):
            raise FormError(
                field.name,
                f"“{raw}” is not a VAT number: a country code and 2 "
                "to 13 letters or digits (DE123456789).",
            )
    elif kind != "registry":
        raise FormError(field.name, "Choose the kind of identifier.")
    elif not value:
        raise FormError(field.name, "Type the registry number.")
    return "0x" + hashlib.sha256(f"{kind.upper()}:{value}".encode()).hexdigest()
