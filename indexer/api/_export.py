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
        "unitId",
        "created",
        "convertedIn",
        "received",
        "sent",
        "claimed",
        "lapsed",
        "convertedOut",
        "conversionLoss",
        "held",
        "reconciles",
    ]
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            "# classId",
            report["classId"],
            "period",
            report["period"],
            "blockNumber",
            report["asOf"]["blockNumber"],
            "blockHash",
            report["asOf"]["blockHash"],
        ]
    )
    w.writerow(fields)
    for u in report["units"]:
        w.writerow([u[f] for f in fields])
    w.writerow(["total", *[report["total"].get(f, "") for f in fields[1:-1]], report["reconciles"]])
    return out.getvalue()
