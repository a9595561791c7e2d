"""The consortium admin's and the certification body's forms, and the registry listing shown
beside each (from the indexer's ``GET /v1/registry/{kind}``): who is registered already."""

from __future__ import annotations

from enum import IntEnum

from tracenet.console._forms import HASH_HINT, Field, Form
from tracenet.contracts import Attribution, Custody, Model, RawMaterial

__all__ = ["ADMIN_FORMS", "LISTING_OF"]


def _party(*, in_path: bool = False) -> Field:
    return Field("party", "Party", "ref", "by name", in_path=in_path, entity="parties")


_GROUP = Field("product_group", "Product group", "ref", "by name", entity="product-groups")


def _options(enum: type[IntEnum], **words: str) -> tuple[tuple[str, str], ...]:
    """An enumeration's members by the name the gateway takes, each in a person's words."""
    return tuple((str(m.name), words.get(str(m.name), str(m.name).replace("_", " "))) for m in enum)


_MODELS = _options(Model)
_ATTRIBUTION = _options(Attribution, rolling_average="rolling average percentage")
_CUSTODY = _options(
    Custody, none="none required", certified_final_claimant_exempt="certified, the final "
    "claimant exempt", certified="certified, every step",
)  # fmt: skip
_RAW = (("", "none given"), *((str(m.name), m.label) for m in RawMaterial))

_CERT_STATUS = (
    ("suspended", "suspended (no inputs, no custody; reinstated later)"),
    ("valid", "valid again (reinstates a suspended certificate)"),
    ("withdrawn", "withdrawn (final)"),
    ("terminated", "terminated (final)"),
)

ADMIN_FORMS: tuple[Form, ...] = (
    Form(
        "party",
        "Register a party",
        "/v1/admin/parties",
        (
            Field("name", "Name"),
            Field("roles", "Roles", "roles", "tick every role the party holds"),
            Field(
                "identifier",
                "Identifier",
                "identifier",
                "its LEI, VAT number, GLN or registry number (optional); only its SHA-256 "
                "fingerprint is recorded",
                False,
            ),
        ),
    ),
    Form(
        "roles",
        "Replace a party's roles",
        "/v1/admin/parties/{party}/roles",
        (
            _party(in_path=True),
            Field("roles", "Roles", "roles", "tick every role it keeps; none for none", False),
        ),
    ),
    Form(
        "suspend",
        "Suspend a party",
        "/v1/admin/parties/{party}/suspension",
        (_party(in_path=True),),
    ),
    Form(
        "reinstate",
        "Reinstate a party",
        "/v1/admin/parties/{party}/reinstatement",
        (_party(in_path=True),),
    ),
    Form(
        "boundary",
        "Declare a multi-site boundary",
        "/v1/admin/boundaries",
        (
            _party(),
            Field("name", "Name"),
        ),
    ),
    Form(
        "unit",
        "Register a bookkeeping unit",
        "/v1/admin/units",
        (
            _party(),
            Field(
                "boundary", "Boundary", "ref", "by name; empty for none", False, entity="boundaries"
            ),
            Field("name", "Name"),
            Field("location", "Location", required=False),
        ),
    ),
    Form(
        "signer",
        "Authorise a signer",
        "/v1/admin/signers",
        (
            Field("address", "Address", "text", "0x followed by 40 hex digits"),
            _party(),
            Field(
                "unit",
                "Unit",
                "ref",
                "by name; empty for a party-level signer",
                False,
                entity="units",
            ),
        ),
    ),
    Form(
        "revoke-signer",
        "Revoke a signer",
        "/v1/admin/signers/{address}/revocation",
        (Field("address", "Address", "text", in_path=True),),
    ),
    Form(
        "scheme",
        "Register a scheme",
        "/v1/admin/schemes",
        (
            Field("name", "Name"),
            Field("max_period_months", "Longest period (months)", "int"),
        ),
    ),
    Form(
        "scheme-custody",
        "Set the chain of custody a scheme requires",
        "/v1/admin/schemes/{scheme}/custody",
        (
            Field("scheme", "Scheme", "ref", "by name", in_path=True, entity="schemes"),
            Field("custody", "Certified chain of custody", "choice", options=_CUSTODY),
        ),
    ),
    Form(
        "unit-scope",
        "Put a product group in or out of a unit's scope",
        "/v1/admin/units/{unit}/scope",
        (
            Field("unit", "Unit", "ref", "by name", in_path=True, entity="units"),
            _GROUP,
            Field("in_scope", "In scope (unticked: take it out)", "bool"),
        ),
        "R7",
    ),
    Form(
        "group",
        "Register a product group",
        "/v1/admin/product-groups",
        (
            Field("name", "Name"),
            Field("max_share_bps", "Maximum sustainable share", "percent", "in %, e.g. 100 %"),
        ),
    ),
    Form(
        "class",
        "Register a credit class",
        "/v1/admin/classes",
        (
            Field("name", "Name"),
            Field("characteristic", "Characteristic", hint="e.g. recycled content"),
            Field("scheme", "Scheme", "ref", "by name", entity="schemes"),
            _GROUP,
            Field("model", "Chain-of-custody model", "choice", options=_MODELS),
            Field("attribution", "Attribution method", "choice", options=_ATTRIBUTION),
            Field("period_months", "Period (months)", "int", "e.g. 3 for quarters"),
            Field("window_periods", "Allocation window (periods)", "int"),
            Field("cap_at_stock", "Cap the carry-forward at the physical stock", "bool"),
            Field("raw_material", "Raw-material category", "choice", options=_RAW, required=False),
            Field("waste", "Waste status", "bool"),
            Field("sustainable_factor", "Emission factor, sustainable (g CO2e per kg)", "int"),
            Field("conventional_factor", "Emission factor, conventional (g CO2e per kg)", "int"),
        ),
        "R8",
    ),
    Form(
        "certificate",
        "Register a certificate",
        "/v1/certificates",
        (
            Field("holder", "Holder party", "ref", "by name", entity="parties"),
            Field("scheme", "Scheme", "ref", "by name", entity="schemes"),
            Field("number", "Certificate number"),
            Field("valid_from", "Valid from", "date"),
            Field("valid_until", "Valid until", "date"),
            Field(
                "audited_volume",
                "Audited volume",
                "grams",
                "with its unit, e.g. 5 000 t; empty for none",
                False,
            ),
            Field("classes", "Classes", "refs", "tick the classes it covers", entity="classes"),
            Field("units", "Units", "refs", "tick the units it covers", entity="units"),
        ),
        "R3",
    ),
    Form(
        "certificate-status",
        "Suspend, reinstate, withdraw or terminate a certificate",
        "/v1/certificates/{certificate}/status",
        (
            Field(
                "certificate",
                "Certificate",
                "ref",
                "its number",
                in_path=True,
                entity="certificates",
            ),
            Field("status", "New status", "choice", options=_CERT_STATUS),
            Field("effective_at", "Effective from", "date", "not later than today"),
            Field("reason", "Reason", hint="why, in a sentence"),
        ),
        "R3",
    ),
    Form(
        "process",
        "Register a conversion process",
        "/v1/processes",
        (
            Field("unit", "Unit", "ref", "by name", entity="units"),
            Field("input_class", "Input class", "ref", "by name", entity="classes"),
            Field("output_class", "Output class", "ref", "by name", entity="classes"),
            Field("name", "Name"),
        ),
        "R5",
    ),
    Form(
        "factor",
        "Register a conversion factor",
        "/v1/processes/{process}/factors",
        (
            Field("process", "Process", "ref", "by name", in_path=True, entity="processes"),
            Field("yield_bps", "Yield", "percent", "in %, e.g. 85 %"),
            Field("effective_from", "Effective from", "date"),
            Field("evidence_hash", "Evidence document", "document", HASH_HINT),
        ),
        "R5",
    ),
)

#: The registry listing (``GET /v1/registry/{kind}``) shown beside each form.
LISTING_OF = {
    "party": "parties", "roles": "parties", "suspend": "parties", "reinstate": "parties",
    "signer": "signers", "revoke-signer": "signers", "boundary": "boundaries", "unit": "units",
    "scheme": "schemes", "scheme-custody": "schemes", "group": "product-groups",
    "unit-scope": "units",
    "class": "classes",
    "certificate": "certificates", "certificate-status": "certificates",
    "process": "processes", "factor": "processes",
}  # fmt: skip
