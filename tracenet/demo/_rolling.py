"""The rolling average percentage (R8) in the story: ReLoop's rHDPE pellets.

Every pellet a unit ships carries the same share: its certified HDPE input over all its HDPE
input (certified and conventional) in the class's window, this quarter and the one before,
computed by the ledger. ReLoop sends its shipment without credit lines and its gateway adds
exactly floor(share × quantity / 10 000) g; a line of another amount is refused
(``RollingShareMismatch``, naming the share). Acme, which receives the pellets, claims the share
of its closures' quantity. The buyer's ``tracenet verify`` recomputes the share from the chain
alone, and the indexer's Sustainability Declaration states the method and the share.

The numbers: in P0 6 t certified and 14 t conventional (30 %); in P1 9 t certified and 6 t
conventional, so the window holds 15 t of 35 t, 4 285 bps: a 10 t shipment carries 4 285 000 g,
not the 4 300 000 g of a rounded 43 %. Acme's own share is then 4 285 bps of the 10 t it
received: 6 t of closures claim 2 571 000 g.
"""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

from tracenet.cli import main
from tracenet.demo._audit import read_indexer, wait_for_mirror
from tracenet.demo._play import Player, doc_hash
from tracenet.demo.errors import SurpriseError

__all__ = ["feed", "ship_and_claim"]

T = 1_000_000  # grams in a tonne
CLASS = "rhdpe-pellet"
GROUP = "hdpe-pellets"
METHOD = "rolling average percentage"


def _inputs(p: Player, period: int, certified: int, conventional: int, ticket: str) -> int:
    """Certified and conventional HDPE at ReLoop in ``period``; the certified input's token."""
    label = p.label(period)
    done = p.step(
        "recycler",
        f"record {certified} t certified rHDPE in {label}",
        "/v1/inputs",
        {
            "unit": "recycler-plant",
            "class": CLASS,
            "amount_g": certified * T,
            "certificate": p.id("certificates", "reloop-plus"),
            "evidence_hash": doc_hash(f"SD ReLoop {label} {ticket}: {certified} t HDPE"),
        },
    )
    p.step(
        "recycler",
        f"record {conventional} t conventional HDPE in {label}",
        "/v1/conventional-inputs",
        {
            "unit": "recycler-plant",
            "product_group": GROUP,
            "quantity_g": conventional * T,
            "document_hash": doc_hash(f"WB ReLoop {label} {ticket}"),
        },
    )
    return int(done.event("InputRecorded")["tokenId"])


def feed(p: Player, p0: int) -> None:
    """P0: the first quarter of the window."""
    p.chapter(f"7. ReLoop's rHDPE pellets use the {METHOD}: {p.label(p0)} inputs")
    certified, conventional = 6, 14
    p.facts["hdpe"] = _inputs(p, p0, certified, conventional, "H001")
    total = certified + conventional
    p.say(
        f"       ReLoop's share in force: {certified} t certified of {total} t input, "
        f"{_pct(certified * 10_000 // total)}; the next quarter's input moves it"
    )


def _pct(bps: int) -> str:
    return f"{bps / 100:.2f} %"


def ship_and_claim(p: Player, p1: int) -> None:
    """P1: more input, the shipment at the share (one wrong amount refused), Acme's claim."""
    window = f"{p.label(p1 - 1)}..{p.label(p1)}"
    p.chapter(f"9. {p.label(p1)}: ReLoop ships pellets at its rolling share; Acme claims")
    _inputs(p, p1, 9, 6, "H002")
    pellets: dict[str, Any] = {
        "unit": "recycler-plant",
        "to_unit": "brand-dc",
        "product_group": GROUP,
        "quantity_g": 10 * T,
        "order_ref": "PO-8120",
        "product": "rHDPE pellets",
    }
    wrong = p.step(
        "recycler",
        "ship 10 t pellets with 4,300,000 g (43 %, rounded)",
        "/v1/shipments",
        {
            **pellets,
            "document_hash": doc_hash("DN ReLoop H010"),
            "lines": [{"token_id": str(p.facts["hdpe"]), "amount_g": 43 * T // 10}],
        },
        expect="RollingShareMismatch",
    )
    a = wrong.args
    p.say(
        f"       the share in force is {_pct(int(a['shareBps']))}: {int(a['expected']):,} g "
        f"exactly, not {int(a['given']):,} g"
    )
    done = p.step(
        "recycler",
        "ship 10 t pellets, the gateway adds the share",
        "/v1/shipments",
        {**pellets, "document_hash": doc_hash("DN ReLoop H011")},
    )
    shipment = int(done.event("Shipped")["shipmentId"])
    applied = done.event("RollingShareApplied")
    share = int(applied["shareBps"])
    p.facts["rolling_shipment"] = shipment
    p.say(
        f"       share {_pct(share)} over {window}: {int(applied['windowSustainable']):,} g "
        f"certified of {int(applied['windowTotal']):,} g input; "
        f"{int(applied['amount']):,} g carried by {int(applied['quantity']):,} g of pellets"
    )
    done = p.step(
        "brand",
        "claim the share of 6 t of HDPE closures",
        "/v1/claims",
        {
            "unit": "brand-dc",
            "class": CLASS,
            "quantity_g": 6 * T,
            "beneficiary": "Acme Bottles plc",
            "product": "HDPE closures",
            "purpose": "recycled content",
        },
    )
    claimed = done.event("RollingShareApplied")
    p.say(
        f"       {_pct(int(claimed['shareBps']))} of {int(claimed['quantity']):,} g of closures "
        f"at Acme: {int(claimed['amount']):,} g claimed"
    )
    _verify(p, shipment)
    _declaration(p, shipment, share, done.block or 0)


def _verify(p: Player, shipment: int) -> None:
    """The buyer's check from a terminal, the chain alone: the command as a buyer types it, run
    in this process (a process of its own would spend ~3 s of CPU importing what this one has)."""
    net = p.net
    args = ["verify", "shipment", str(shipment), "--rpc-url", net.rpc_url]
    args += ["--deployment", str(net.deployment.absolute())]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    lines = out.getvalue().strip().splitlines()
    verdict = lines[0] if lines else (err.getvalue().strip() or "no output")
    rolling = [line.strip() for line in lines if re.match(r"\s*✓ rolling-share \(R8\)", line)]
    what = f"tracenet {' '.join(args[:3])}"
    if code != 0 or "HOLDS" not in verdict or len(rolling) != 1:
        raise SurpriseError(f"buyer: {what}", "HOLDS with a rolling-share check", verdict)
    p.say(f"  ok   buyer     {what} (chain only): {verdict}")
    p.say(f"       {rolling[0]}")


def _declaration(p: Player, shipment: int, share: int, block: int) -> None:
    """The SD Acme reads from the indexer: the method and the share, recomputed."""
    net, key = p.net, p.net.indexer_keys["brand"]
    wait_for_mirror(net, key, block)
    ref = read_indexer(net, key, f"/v1/shipments/{shipment}/reference")["public_ref"]
    route = f"/v1/shipments/{ref}/declaration"  # Acme's key: the full view (issue 25)
    sd = read_indexer(net, key, route)
    methods = {c["name"]: c["attribution_method"] for c in sd.get("classes", [])}
    rows = sd.get("rolling_average") or [{}]
    row = rows[0]
    got = (
        f"{sd.get('declaration')}: {row.get('name')} {methods.get(row.get('name'))}, "
        f"share {_pct(int(row.get('share_bps', 0)))}"
        + (", recomputed from the chain" if row.get("recomputed_from_chain") else "")
    )
    ok = (
        len(rows) == 1
        and methods.get(row.get("name")) == METHOD
        and row.get("share_bps") == share
        and row.get("recomputed_from_chain") is True
    )
    if not ok:
        raise SurpriseError(f"brand: GET {route}", f"{METHOD}, share {_pct(share)}", got)
    p.say(f"  ok   brand     GET {net.indexer_url}{route}: {got}")
