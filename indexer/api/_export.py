"""Exports of reports: the supply audit as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

__all__ = ["audit_csv"]


def audit_csv(report: dict[str, Any]) -> str:
    """The audit's per-unit rows and total as CSV, with the block it was computed at."""
    out = io.StringIO()
    fields = [
        "unit_id",
        "created_g",
        "converted_in_g",
        "received_g",
        "sent_g",
        "claimed_g",
        "lapsed_g",
        "converted_out_g",
        "conversion_loss_g",
        "held_g",
        "reconciles",
    ]
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            "# class_id",
            report["class_id"],
            "period",
            report["period"],
            "block_number",
            report["as_of"]["block_number"],
            "block_hash",
            report["as_of"]["block_hash"],
        ]
    )
    w.writerow(fields)
    for u in report["units"]:
        w.writerow([u[f] for f in fields])
    w.writerow(["total", *[report["total"].get(f, "") for f in fields[1:-1]], report["reconciles"]])
    return out.getvalue()
