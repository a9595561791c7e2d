"""Reading a Sustainability Declaration PDF back and comparing it with the chain, field by field.

Any Tracenet member's SD PDF carries its fields as labelled lines (``Label: value``, a long
value wrapped on the next lines) and the verify link ``…/verify/shipment/{ref}`` (printed, as a
link and in the QR code). ``read_sd`` extracts them (pypdf); ``compare`` sets them beside the
fields the chain record gives for that shipment (``sd_fields``, through the same Latin-1 filter
as the printed page), so a forged, edited or outdated document shows which field differs.
``check_document`` does the three in a row: what ``tracenet declaration check`` prints and the
indexer's ``POST /v1/declarations/check`` answers (which reads the text in a worker process,
``_pdf_pool``, then ``fields_of`` and ``check_fields``). The text is read within the budget of
``PdfLimits`` (``_pdf_worker.extract_text``): a file asking for more work than an SD is
``SdTooComplex``, naming the limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracenet.indexer.errors import DocumentError, NotFoundError
from tracenet.indexer.verifier._chainread import ChainRecord
from tracenet.indexer.verifier._declaration import declaration
from tracenet.indexer.verifier._pdf_worker import (
    PdfLimits,
    PdfTooComplex,
    PdfUnreadable,
    extract_text,
)
from tracenet.indexer.verifier._public_ref import resolve
from tracenet.indexer.verifier._sd_document import VERIFY, latin1, sd_fields

__all__ = [
    "FieldCheck",
    "SdCheck",
    "SdReadError",
    "SdTooComplex",
    "check_document",
    "check_fields",
    "compare",
    "fields_of",
    "read_sd",
    "shipment_of",
]

_LINK = re.compile(r"/verify/shipment/([0-9a-f]{32})$")


class SdReadError(DocumentError, ValueError):
    """The file is no readable SD PDF, or carries no verify link."""


class SdTooComplex(SdReadError):
    """Reading the file would pass one of ``PdfLimits``: ``limit`` names it (``pages``,
    ``contentBytes``, ``cpuSeconds``…), ``maximum`` is its value, ``found`` what the file has
    (when known)."""

    def __init__(self, exc: PdfTooComplex) -> None:
        super().__init__(f"the document asks for more work than an SD: {exc}")
        self.limit = exc.limit
        self.maximum = exc.maximum
        self.found = exc.found


@dataclass(frozen=True)
class FieldCheck:
    label: str
    document: str | None  # None: the document lacks the field
    chain: str | None  # None: the chain record has no such field

    @property
    def ok(self) -> bool:
        return self.document is not None and self.document == self.chain


def _labels() -> list[str]:
    empty = {"name": "", "unit": "", "unit_id": 0, "address": "", "certificates": []}
    d: dict[str, Any] = {
        "declaration": "", "shipment_id": 0, "public_ref": "", "supplier": empty,
        "recipient": empty,
        "dispatch_date": "", "dispatch_address": "", "order_reference": "", "product": "",
        "product_group": {"name": "", "id": 0, "max_share_bps": 0}, "quantity_g": 0,
        "credits_g": 0, "sustainable_share_bps": 0, "classes": [],
        "emission_factor_gco2e_per_kg": 0, "conversion_factors_upstream": [],
        "document_hash": "", "transaction": {"tx_hash": "", "block_number": 0, "chain_id": 0,
                                             "ledger": ""},
        "rolling_average": [{"name": "", "share_bps": 0, "window_sustainable_g": 0,
                             "window_total_g": 0, "recomputed_from_chain": True}],
    }  # fmt: skip
    # longest first: "Supplier site" before "Supplier"
    return sorted((label for label, _ in sd_fields(d, "")), key=len, reverse=True)


def read_sd(data: bytes, limits: PdfLimits = PdfLimits()) -> dict[str, str]:  # noqa: B008
    """The labelled fields of an SD PDF, by label, read in this process within ``limits``."""
    try:
        text = extract_text(data, limits)
    except PdfTooComplex as exc:
        raise SdTooComplex(exc) from exc
    except PdfUnreadable as exc:
        raise SdReadError(str(exc)) from exc
    return fields_of(text)


def fields_of(text: str) -> dict[str, str]:
    """The labelled fields in the text of an SD PDF, by label."""
    labels = _labels()
    fields: dict[str, str] = {}
    current: str | None = None
    for line in (x.strip() for x in text.splitlines()):
        label = next((x for x in labels if line.startswith(x + ":")), None)
        if label is not None:
            current = label
            fields[label] = line[len(label) + 1 :].strip()
        elif current is not None and line:
            fields[current] += " " + line
    if VERIFY not in fields:
        raise SdReadError("no verify link (…/verify/shipment/REF): not a Tracenet SD")
    return fields


def shipment_of(fields: dict[str, str]) -> tuple[str, str]:
    """The shipment's public reference and the console URL of the document's verify link."""
    link = fields[VERIFY]
    match = _LINK.search(link)
    if match is None:
        raise SdReadError(f"{link!r} is not a …/verify/shipment/REF link")
    return match.group(1), link[: match.start()]


def compare(
    fields: dict[str, str], declaration: dict[str, Any], console_url: str
) -> list[FieldCheck]:
    """Every field of the chain's declaration beside the document's, in the template's order."""
    expected = [(label, latin1(value)) for label, value in sd_fields(declaration, console_url)]
    checks = [FieldCheck(label, fields.get(label), value) for label, value in expected]
    known = {label for label, _ in expected}
    checks += [
        FieldCheck(label, value, None) for label, value in fields.items() if label not in known
    ]
    return checks


@dataclass(frozen=True)
class SdCheck:
    """A document set beside the chain record of the shipment its verify link names."""

    shipment_id: int
    declaration: str  # the chain's SD number (SD-7)
    link: str  # the document's verify link, as printed
    fields: list[FieldCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.fields)


def check_document(data: bytes, chain: Callable[[], ChainRecord]) -> SdCheck:
    """An SD PDF compared field by field with the chain record (read only once the document is
    known readable). Raises ``SdReadError`` (no readable SD), ``LookupError`` (no such shipment
    on this chain) or ``DeclarationRefusedError`` (the shipment gets no SD)."""
    return check_fields(read_sd(data), chain)


def check_fields(fields: dict[str, str], chain: Callable[[], ChainRecord]) -> SdCheck:
    """The fields read from an SD PDF compared with the chain record (``check_document``)."""
    ref, console = shipment_of(fields)
    record = chain()
    try:
        _, shipment = resolve(record, ref, "shipment")
    except NotFoundError as exc:  # the link names no shipment of this chain
        raise LookupError(f"no shipment on this chain has the reference {ref}") from exc
    d = declaration(record, shipment)
    checks = compare(fields, d, console)
    return SdCheck(shipment, str(d["declaration"]), fields[VERIFY], checks)
