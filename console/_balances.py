"""A party's balances per class and vintage, with the day each vintage lapses.

Amounts come from the indexer (every unit of the party, no unit list needed); the allocation
window of each class from the gateway's on-chain balance view (first and current vintage still
inside it); the period length from the indexer's statement of the class."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from tracenet.console._clients import ApiError, GatewayClient, IndexerClient
from tracenet.console._svg import bar_chart
from tracenet.contracts import PERIOD_INDEX_PREFIX, period_bounds, period_label

__all__ = ["balance_rows", "vintage_chart"]


async def balance_rows(gateway: GatewayClient, indexer: IndexerClient) -> list[dict[str, Any]]:
    answer = await indexer.get("/v1/balances")
    held = answer.get("balances", []) if isinstance(answer, dict) else answer
    windows: dict[tuple[int, int], tuple[int, int]] = {}
    for unit in sorted({int(r["unit_id"]) for r in held}):
        try:
            onchain = await gateway.get(f"/v1/balances/{unit}")
        except ApiError:
            continue
        for w in onchain.get("windows", []):
            windows[(unit, int(w["credit_class"]))] = (
                int(w["first_vintage_index"]), int(w["current_vintage_index"])
            )  # fmt: skip
    months: dict[int, tuple[int, str]] = {}
    rows = []
    for r in held:
        unit, cls, vintage = int(r["unit_id"]), int(r["class_id"]), int(r["vintage_index"])
        if cls not in months:
            months[cls] = await _class_months(indexer, unit, cls, vintage)
        period_months, name = months[cls]
        row = {
            "unit": unit, "class": cls, "class_name": name, "vintage": vintage,
            "batch": r.get("batch", 0), "token_id": r["token_id"],
            "amount": int(r["amount_g"]), "label": str(r.get("vintage") or vintage), "lapses": "",
        }  # fmt: skip
        if period_months:
            row["label"] = period_label(period_months, vintage)
            window = windows.get((unit, cls))
            if window is not None:
                length = window[1] - window[0] + 1
                start, _ = period_bounds(period_months, vintage + length)
                row["lapses"] = datetime.fromtimestamp(start, UTC).date().isoformat()
        rows.append(row)
    return rows


async def _class_months(
    indexer: IndexerClient, unit: int, cls: int, vintage: int
) -> tuple[int, str]:
    try:
        s = await indexer.get(
            f"/v1/units/{unit}/statement", class_id=cls, period=f"{PERIOD_INDEX_PREFIX}{vintage}"
        )
    except ApiError:
        return 0, ""
    return int(s.get("period_months") or 0), str(s.get("class_name", ""))


def vintage_chart(rows: list[dict[str, Any]]) -> str:
    """Credits held per class and vintage, one bar each."""
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[f"{r['class_name'] or r['class']} {r['label']}"] += int(r["amount"])
    return bar_chart("Credits held by class and vintage", sorted(totals.items()))
