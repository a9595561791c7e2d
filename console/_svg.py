"""Pictures drawn on the server as inline SVG: no drawing library, nothing fetched by the page.

Every text is escaped; every shape has a <title> so a screen reader and a hover both tell it."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["bar_chart", "provenance_graph"]

_FILL = {
    "input": "#cdebd3",
    "shipment": "#d6e4f8",
    "conversion": "#eadcf5",
    "claim": "#f8dfc4",
    "transfer": "#f3f0c9",
}
_W, _H, _GX, _GY = 160, 52, 64, 16  # a box fits "conversion:12", a gap "5,400,000 g"


def _levels(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, int]:
    parents: dict[str, list[str]] = {}
    for e in edges:
        parents.setdefault(str(e["target"]), []).append(str(e["source"]))
    level: dict[str, int] = {}

    def depth(key: str, seen: frozenset[str]) -> int:
        if key not in level:
            ups = [p for p in parents.get(key, []) if p not in seen]
            level[key] = 1 + max((depth(p, seen | {key}) for p in ups), default=-1)
        return level[key]

    for n in nodes:
        depth(str(n["key"]), frozenset())
    return level


def _label(n: dict[str, Any]) -> str:
    if n.get("certificate_number"):
        return f"cert {n['certificate_number']}"
    if n.get("yield_bps") is not None:
        return f"yield {int(n['yield_bps']) / 100:g} %"
    if n.get("block_number") is not None:
        return f"block {n['block_number']}"
    return ""


def provenance_graph(prov: dict[str, Any]) -> str:
    """Origins on the left, the claim or shipment on the right; edges carry grams."""
    nodes, edges = list(prov.get("nodes") or []), list(prov.get("edges") or [])
    if not nodes:
        return ""
    level = _levels(nodes, edges)
    columns: dict[int, list[dict[str, Any]]] = {}
    for n in nodes:
        columns.setdefault(level[str(n["key"])], []).append(n)
    pos = {
        str(n["key"]): (10 + c * (_W + _GX), 10 + i * (_H + _GY))
        for c, ns in columns.items()
        for i, n in enumerate(ns)
    }
    width = 20 + (max(columns) + 1) * (_W + _GX) - _GX
    height = 20 + max(len(ns) for ns in columns.values()) * (_H + _GY) - _GY
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="graph" '
        'aria-label="Provenance graph: certified inputs on the left, the target on the right">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#667"/></marker>'
        "</defs>",
    ]
    for e in edges:
        if str(e["source"]) not in pos or str(e["target"]) not in pos:
            continue
        (x1, y1), (x2, y2) = pos[str(e["source"])], pos[str(e["target"])]
        a, b = (x1 + _W, y1 + _H // 2), (x2, y2 + _H // 2)
        out.append(
            f"<g><title>{escape(str(e['source']))} → {escape(str(e['target']))}: "
            f"{int(e['amount_g']):,} g</title>"
            f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" '
            'stroke="#667" stroke-width="1.5" marker-end="url(#arrow)"/>'
            f'<text x="{(a[0] + b[0]) // 2}" y="{min(a[1], b[1]) - 6}" text-anchor="middle" '
            f'class="edge">{int(e["amount_g"]):,} g</text></g>'
        )
    for n in nodes:
        x, y = pos[str(n["key"])]
        kind = str(n.get("kind", ""))
        out.append(
            f"<g><title>{escape(str(n['key']))}: {int(n.get('amount_g', 0)):,} g</title>"
            f'<rect x="{x}" y="{y}" width="{_W}" height="{_H}" rx="6" '
            f'fill="{_FILL.get(kind, "#eee")}" stroke="#445"/>'
            f'<text x="{x + 8}" y="{y + 18}" class="node">{escape(str(n["key"]))}</text>'
            f'<text x="{x + 8}" y="{y + 34}">{int(n.get("amount_g", 0)):,} g</text>'
            f'<text x="{x + 8}" y="{y + 47}" class="small">{escape(_label(n))}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    title: str, bars: list[tuple[str, int]], *, colours: tuple[str, ...] = ("#3b6ea8",)
) -> str:
    """Horizontal bars, one per label, scaled to the largest value; values in grams."""
    if not bars:
        return ""
    top = max((abs(v) for _, v in bars), default=0) or 1
    label_w, bar_w, row = 150, 320, 26
    height = 30 + row * len(bars)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {label_w + bar_w + 150} {height}" '
        f'role="img" class="chart" aria-label="{escape(title)}">',
        f'<text x="0" y="16" class="title">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(bars):
        y = 26 + i * row
        w = max(1, abs(value) * bar_w // top) if value else 0
        colour = colours[i % len(colours)]
        out.append(
            f"<g><title>{escape(label)}: {value:,} g</title>"
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 8}" fill="{colour}"/>'
            f'<text x="{label_w + w + 6}" y="{y + 15}">{value:,} g</text></g>'
        )
    out.append("</svg>")
    return "".join(out)
