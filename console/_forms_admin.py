"""The consortium admin's and the certification body's forms, and the registry listing shown
beside each (from the indexer's ``GET /v1/registry/{kind}``): who is registered already."""

from __future__ import annotations

from tracenet.console._forms import HASH_HINT, Field, Form

__all__ = ["ADMIN_FORMS", "LISTING_OF"]

ADMIN_FORMS: tuple[Form, ...] = (
    Form(
        "party",
        "Register a party",
        "/v1/admin/parties",
        (
            Field("name", "Name"),
            Field(
                "roles",
                "Roles",
                "int",
                "bit mask: admin 1, certifier 2, auditor 4, member 8, origin 16",
            ),
            Field("identifier", "Identifier hash", "hash", HASH_HINT + " (optional)", False),
        ),
    ),
    Form(
        "roles",
        "Replace a party's roles",
        "/v1/admin/parties/{party}/roles",
        (
            Field("party", "Party", "ref", "key or id", in_path=True),
            Field("roles", "Roles", "int", "bit mask, 0 for none"),
        ),
    ),
    Form(
        "suspend",
        "Suspend a party",
        "/v1/admin/parties/{party}/suspension",
        (Field("party", "Party", "ref", "key or id", in_path=True),),
    ),
    Form(
        "reinstate",
        "Reinstate a party",
        "/v1/admin/parties/{party}/reinstatement",
        (Field("party", "Party", "ref", "key or id", in_path=True),),
    ),
    Form(
        "boundary",
        "Declare a multi-site boundary",
        "/v1/admin/boundaries",
        (
            Field("party", "Party", "ref"),
            Field("name", "Name"),
        ),
    ),
    Form(
        "unit",
        "Register a bookkeeping unit",
        "/v1/admin/units",
        (
            Field("party", "Party", "ref"),
            Field("boundary", "Boundary", "ref", "key or id, 0 for none", False),
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
            Field("party", "Party", "ref"),
            Field("unit", "Unit", "ref", "0 for a party-level signer", False),
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
            Field("scheme", "Scheme", "ref", in_path=True),
            Field(
                "custody",
                "Certified chain of custody",
                hint="none, certified_final_claimant_exempt or certified",
            ),
        ),
    ),
    Form(
        "unit-scope",
        "Put a product group in or out of a unit's scope",
        "/v1/admin/units/{unit}/scope",
        (
            Field("unit", "Unit", "ref", "key or id", in_path=True),
            Field("product_group", "Product group", "ref"),
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
            Field("max_share_bps", "Maximum sustainable share (bps)", "int"),
        ),
    ),
    Form(
        "class",
        "Register a credit class",
        "/v1/admin/classes",
        (
            Field("name", "Name"),
            Field("characteristic", "Characteristic", hint="e.g. recycled content"),
            Field("scheme", "Scheme", "ref"),
            Field("product_group", "Product group", "ref"),
            Field(
                "model", "Chain-of-custody model", hint="mass_balance, segregated or book_and_claim"
            ),
            Field(
                "attribution",
                "Attribution method",
                hint="credit or rolling_average",
                required=False,
            ),
            Field("period_months", "Period (months)", "int", "e.g. 3 for quarters"),
            Field("window_periods", "Allocation window (periods)", "int"),
            Field("cap_at_stock", "Cap the carry-forward at the physical stock", "bool"),
            Field(
                "raw_material",
                "Raw-material category",
                "ref",
                "circular, bio-circular, bio or renewable-energy-derived",
                False,
            ),
            Field("waste", "Waste status", "bool"),
            Field(
                "sustainable_factor_gco2e_per_kg",
                "Emission factor, sustainable (g CO2e per kg)",
                "int",
            ),
            Field(
                "conventional_factor_gco2e_per_kg",
                "Emission factor, conventional (g CO2e per kg)",
                "int",
            ),
        ),
        "R8",
    ),
    Form(
        "certificate",
        "Register a certificate",
        "/v1/certificates",
        (
            Field("holder", "Holder party", "ref"),
            Field("scheme", "Scheme", "ref"),
            Field("number", "Certificate number"),
            Field("valid_from", "Valid from", "int", "ISO date or unix seconds"),
            Field("valid_until", "Valid until", "int", "ISO date or unix seconds"),
            Field("audited_volume_g", "Audited volume (g)", "int", "0 for none", False),
            Field("classes", "Classes", "list", "keys or ids, separated by spaces"),
            Field("units", "Units", "list", "keys or ids, separated by spaces"),
        ),
        "R3",
    ),
    Form(
        "revoke-certificate",
        "Revoke a certificate",
        "/v1/certificates/{certificate}/revocation",
        (Field("certificate", "Certificate", "ref", "its number, key or id", in_path=True),),
        "R3",
    ),
    Form(
        "process",
        "Register a conversion process",
        "/v1/processes",
        (
            Field("unit", "Unit", "ref"),
            Field("input_class", "Input class", "ref"),
            Field("output_class", "Output class", "ref"),
            Field("name", "Name"),
        ),
        "R5",
    ),
    Form(
        "factor",
        "Register a conversion factor",
        "/v1/processes/{process}/factors",
        (
            Field("process", "Process", "ref", in_path=True),
            Field("yield_bps", "Yield (bps)", "int", "10000 = 100 %"),
            Field("effective_from", "Effective from", "int", "ISO date or unix seconds"),
            Field("evidence_hash", "Evidence hash", "hash", HASH_HINT),
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
    "certificate": "certificates", "revoke-certificate": "certificates",
    "process": "processes", "factor": "processes",
}  # fmt: skip
