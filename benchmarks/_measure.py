"""Measuring helpers shared by the benchmarks: percentiles, CPU from /proc, the gateway's own
pipeline timestamps, blocks of the run, and targets with met/missed flags, printed as one
JSON line and a table."""

from __future__ import annotations

import json
import os
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def ratio(value: float, limit: float) -> float:
    return round(value / limit, 3) if limit else float("nan")


def target(value: float, op: str, bound: float) -> dict[str, Any]:
    """A target and whether this run met it (``op`` is ``>=`` or ``<``)."""
    met = value >= bound if op == ">=" else value < bound
    return {"value": value, "target": f"{op} {bound}", "met": bool(met)}


def cpu_seconds(pid: int, *, descendants: bool = True) -> float:
    """User + system CPU of ``pid`` (and its descendants) so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / ticks
    return own + (sum(cpu_seconds(int(c)) for c in children) if descendants else 0.0)


def phases(rows: list[dict[str, Any]]) -> dict[str, float]:
    """p50 of each step of the pipeline, from the gateway's own timestamps (ms)."""

    def t(row: dict[str, Any], name: str) -> float:
        return datetime.fromisoformat(row[name]).timestamp()

    steps = (("stored_to_signed", "created_at", "signed_at"),
             ("signed_to_submitted", "signed_at", "submitted_at"),
             ("submitted_to_final", "submitted_at", "final_at"))  # fmt: skip
    return {
        f"p50_{name}_ms": round(statistics.median((t(r, b) - t(r, a)) * 1000 for r in rows), 1)
        for name, a, b in steps
        if rows and all(r.get(a) and r.get(b) for r in rows)
    }


def block_stats(w3: Any, first: int, last: int) -> dict[str, int]:
    """Transactions and gas per block over the run: is the block gas limit what caps us?"""
    counts, gas = [], []
    for n in range(first, last + 1):
        block = w3.eth.get_block(n)
        counts.append(len(block["transactions"]))
        gas.append(int(block["gasUsed"]))
    return {
        "blocks": len(counts),
        "max_txs_per_block": max(counts, default=0),
        "max_gas_per_block": max(gas, default=0),
        "block_gas_limit": int(w3.eth.get_block(last)["gasLimit"]),
    }


def print_result(result: dict[str, Any]) -> None:
    """A benchmark's result: one JSON line, then a row per figure and per target (met or not)."""
    print(json.dumps(result))
    for k, v in result.items():
        if k != "targets":
            print(f"{k:<34} {v}")
    for name, t in result["targets"].items():
        print(f"target {name:<27} {t['value']} {t['target']}: {'met' if t['met'] else 'MISSED'}")
