"""The Sustainability Declaration as a document: a PDF and a printable HTML page per shipment.

Both are drawn from ONE ordered list of labelled fields (``sd_fields``), itself computed from
the declaration that ``indexer.verifier._declaration.declaration`` builds from the chain
record alone: the field set of the ISCC SD template (supplier and recipient with addresses and
certificate numbers, dispatch date and address, contract or order reference, product and group,
quantity and unit, sustainable share, class and scheme, raw-material category, waste status,
chain-of-custody model and attribution method, extent of input compensation, emission factors,
conversion factors applied upstream, multi-site transfer indication), the transaction that
records it, and a QR code of the public verify link ``{console_url}/verify/shipment/{ref}``
(the shipment's public reference, ``_public_ref``: never its sequential id, issue 25).
``tracenet declaration check`` reads the same fields back from a PDF
(``indexer.verifier._sd_check``).
"""

from __future__ import annotations

import html
import io
from typing import Any

import segno
from fpdf import FPDF

from tracenet.indexer.verifier._declaration import (
    credits_carried,
    custody_statement,
    emission_factor,
)

__all__ = ["render_html", "render_pdf", "sd_fields", "verify_link"]

#: The label of the verify link among the fields (the check follows it).
VERIFY = "Verify at"


def verify_link(console_url: str, ref: str) -> str:
    """The stable public verify page of a shipment in the console, by its public reference."""
    return f"{console_url.rstrip('/')}/verify/shipment/{ref}"


def _pct(bps: int) -> str:
    return f"{bps // 100}.{bps % 100:02d} %"


def _joined(values: list[str]) -> str:
    return "; ".join(values) if values else "none"


def _classes(d: dict[str, Any], key: str) -> str:
    return _joined(sorted({str(c[key]) for c in d["classes"]}))


def _party_fields(role: str, p: dict[str, Any], exempt: bool = False) -> list[tuple[str, str]]:
    certificates = _joined(list(p.get("certificates") or []))
    if certificates == "none" and exempt:
        certificates = "none (final claimant, exempt)"
    return [
        (f"{role}", f"{p.get('name')}"),
        (f"{role} site", f"{p.get('unit')} (unit {p.get('unit_id')})"),
        (f"{role} address", f"{p.get('address')}"),
        (f"{role} certificates", certificates),
    ]


def _upstream(d: dict[str, Any]) -> str:
    return _joined(
        [
            f"{c['process']} at {c['site']} v{c['factor_version']} {_pct(c['yield_bps'])}"
            for c in d["conversion_factors_upstream"]
        ]
    )


def sd_fields(d: dict[str, Any], console_url: str) -> list[tuple[str, str]]:
    """The declaration's fields, in the template's order, as (label, text) pairs."""
    same_entity = d["supplier"].get("party_id") == d["recipient"].get("party_id")
    factors = [
        f"{c['name']}: {c['emission_factor_sustainable_gco2e_per_kg']} sustainable, "
        f"{c['emission_factor_conventional_gco2e_per_kg']} conventional gCO2e/kg"
        for c in d["classes"]
    ]
    tx = d["transaction"]
    return [
        ("Declaration", d["declaration"]),
        ("Shipment", str(d["shipment_id"])),
        *_party_fields("Supplier", d["supplier"]),
        *_party_fields("Recipient", d["recipient"], bool(d.get("recipient_final_claimant"))),
        ("Chain of custody certification", custody_statement(d)),
        ("Dispatch date", d["dispatch_date"]),
        ("Dispatch address", str(d["dispatch_address"])),
        ("Contract or order reference", d["order_reference"]),
        ("Product", d["product"]),
        ("Product group", f"{d['product_group']['name']} (id {d['product_group']['id']})"),
        ("Quantity", f"{d['quantity_g']} g"),
        ("Credits carried", credits_carried(d, grams=False)),
        ("Sustainable share", _pct(d["sustainable_share_bps"])),
        ("Maximum share of the group", _pct(d["product_group"]["max_share_bps"])),
        ("Credit class", _classes(d, "name")),
        ("Scheme", _classes(d, "scheme")),
        ("Sustainability characteristic", _classes(d, "characteristic")),
        ("Raw material category", _classes(d, "raw_material")),
        (
            "Waste or residue",
            _joined(sorted({"yes" if c["waste"] else "no" for c in d["classes"]})),
        ),
        ("Chain of custody model", _classes(d, "chain_of_custody_model")),
        ("Attribution method", _classes(d, "attribution_method")),
        *[
            (
                "Rolling average percentage",
                f"{r['name']}: {_pct(r['share_bps'])} ({r['window_sustainable_g']} g sustainable "
                f"of {r['window_total_g']} g input in the window; "
                + (
                    "recomputed from the chain)"
                    if r["recomputed_from_chain"]
                    else "NOT RECOMPUTED)"
                ),
            )
            for r in d.get("rolling_average", [])
        ],
        ("Extent of input compensation", f"{_pct(d['sustainable_share_bps'])} of the quantity"),
        ("Emission factors of the class", _joined(factors)),
        ("Emission factor of the delivery", emission_factor(d)),
        ("Conversion factors upstream", _upstream(d)),
        ("Multi-site transfer", "yes (same legal entity)" if same_entity else "no"),
        # Issue 19: where a delivery that needed the recipient's acceptance stands.
        *([("Acceptance", d["acceptance"]["text"])] if d.get("acceptance") else []),
        ("Delivery document hash", d["document_hash"]),
        ("Transaction", str(tx["tx_hash"])),
        ("Block", str(tx["block_number"])),
        ("Chain", str(tx["chain_id"])),
        ("Ledger contract", str(tx["ledger"])),
        (VERIFY, verify_link(console_url, d["public_ref"])),
    ]


def latin1(text: str) -> str:
    """What the PDF's core font can print: characters outside Latin-1 become ``?`` (the check
    compares the chain's values through the same function)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(d: dict[str, Any], console_url: str) -> bytes:
    """One A4 page (or more): title, QR code of the verify link, every field labelled."""
    link = verify_link(console_url, d["public_ref"])
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"Sustainability Declaration {d['declaration']}"))
    pdf.set_creator("Tracenet")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, "Sustainability Declaration", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, "Issued from the shipment's on-chain record.", new_x="LMARGIN", new_y="NEXT")
    png = io.BytesIO()
    segno.make(link, error="m").save(png, kind="png", scale=6, border=4)
    pdf.image(png, x=165, y=8, w=35, h=35, link=link)
    pdf.set_y(45)
    for label, value in sd_fields(d, console_url):
        y = pdf.get_y()
        pdf.set_font("Helvetica", "B", 8)
        pdf.multi_cell(55, 4.5, latin1(f"{label}:"), new_x="RIGHT", new_y="TOP")
        pdf.set_font("Helvetica", "", 8)
        pdf.set_xy(65, y)
        pdf.multi_cell(135, 4.5, latin1(value), new_x="LMARGIN", new_y="NEXT",
                       link=link if label == VERIFY else "")  # fmt: skip
        pdf.ln(0.8)
    return bytes(pdf.output())


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.4rem;margin:0 0 .25rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-bottom:1px solid #ddd}
th{width:16rem;font-weight:600}
td{overflow-wrap:anywhere}
.qr{float:right;margin:0 0 1rem 1rem}
@media print{body{margin:0;font-size:11px}a{color:inherit;text-decoration:none}}
"""


def render_html(d: dict[str, Any], console_url: str) -> str:
    """A printable page: labelled fields in a table, the QR code inline (no external asset)."""
    link = verify_link(console_url, d["public_ref"])
    qr = segno.make(link, error="m").svg_inline(scale=4, title=f"QR code: {link}")
    rows = []
    for label, value in sd_fields(d, console_url):
        shown = html.escape(value)
        if label == VERIFY:
            shown = f'<a href="{html.escape(link)}">{shown}</a>'
        rows.append(f"<tr><th scope=row>{html.escape(label)}</th><td>{shown}</td></tr>")
    title = html.escape(f"Sustainability Declaration {d['declaration']}")
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8>"
        f'<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>"
        f'<div class=qr><a href="{html.escape(link)}">{qr}</a></div>'
        f"<h1>Sustainability Declaration</h1>"
        f"<p>Issued from the shipment's on-chain record.</p>"
        f"<table>{''.join(rows)}</table></body></html>\n"
    )
