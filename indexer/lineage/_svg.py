"""The provenance graph as a hand-written SVG (no drawing library needed)."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["lineage_svg"]


def lineage_svg(prov: dict[str, Any]) -> str:
    """A hand-written SVG: one column per depth (origins left, target right), arrows in grams."""
    parents: dict[str, list[str]] = {}
    for e in prov["edges"]:
        parents.setdefault(e["target"], []).append(e["source"])
    level: dict[str, int] = {}

    def lv(key: str) -> int:
        if key not in level:
            level[key] = 1 + max((lv(p) for p in parents.get(key, [])), default=-1)
        return level[key]

    for n in prov["nodes"]:
        lv(n["key"])
    columns: dict[int, list[dict[str, Any]]] = {}
    for n in prov["nodes"]:
        columns.setdefault(level[n["key"]], []).append(n)
    w, h, gap_x, gap_y = 190, 46, 60, 18
    pos = {
        n["key"]: (20 + c * (w + gap_x), 40 + i * (h + gap_y))
        for c, ns in columns.items()
        for i, n in enumerate(ns)
    }
    width = 40 + (max(columns, default=0) + 1) * (w + gap_x)
    height = 60 + max((len(ns) for ns in columns.values()), default=1) * (h + gap_y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="20" y="20" font-size="13">Provenance of {escape(prov["target"]["kind"])} '
        f"{prov['target']['id']} (pro-rata)</text>",
    ]
    for e in prov["edges"]:
        (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
        parts.append(
            f'<line x1="{x1 + w}" y1="{y1 + h // 2}" x2="{x2}" y2="{y2 + h // 2}" stroke="#888"/>'
        )
        parts.append(
            f'<text x="{(x1 + w + x2) // 2}" y="{(y1 + y2) // 2 + h // 2 - 3}" '
            f'fill="#555">{e["amount_g"]} g</text>'
        )
    for n in prov["nodes"]:
        x, y = pos[n["key"]]
        fill = {
            "input": "#d9f2d9",
            "claim": "#f9e0c7",
            "shipment": "#dce8fa",
            "conversion": "#efe0f7",
        }.get(n["kind"], "#eee")
        parts.append(
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" stroke="#444"/>'
        )
        parts.append(f'<text x="{x + 8}" y="{y + 18}">{escape(n["key"])}</text>')
        detail = n.get("certificate_number") or (
            f"yield {n['yield_bps']} bps" if "yield_bps" in n else ""
        )
        parts.append(
            f'<text x="{x + 8}" y="{y + 36}">{n["amount_g"]} g {escape(str(detail or ""))}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
