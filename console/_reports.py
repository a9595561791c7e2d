"""A party's reports from the indexer: the period statement (R9), per-customer traceability
(R10), footprints (R11) and the reduction check (R12). Each is a GET form; the answer is shown
as tables, whatever fields the indexer adds."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tracenet.console._web import CallerDep, IndexerDep, attempt, render

router = APIRouter()


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    rule: str
    path: str  # ``{unit}``/``{group}``/``{cls}`` filled from the form
    fields: tuple[tuple[str, str, str], ...]  # (query name, label, hint)


REPORTS = (
    Report(
        "statement",
        "Period statement",
        "R9",
        "/v1/units/{unit}/statement",
        (
            ("unit", "Unit (key or id)", "one of your units, e.g. plant or 1"),
            ("class_id", "Class (key or id)", "e.g. rpet-flake or 1"),
            ("period", "Period", "the class's label, e.g. 2027-Q1 (2027: the year)"),
            ("day", "or a day inside it", "ISO date, e.g. 2027-02-15"),
        ),
    ),
    Report(
        "traceability",
        "Traceability per customer",
        "R10",
        "/v1/units/{unit}/traceability",
        (
            ("unit", "Unit (key or id)", ""),
            ("from", "From", "ISO date"),
            ("to", "To", "ISO date"),
        ),
    ),
    Report(
        "footprint",
        "Footprints of a product group",
        "R11",
        "/v1/product-groups/{group}/footprint",
        (
            ("group", "Product group (key or id)", ""),
            ("from", "From", "ISO date"),
            ("to", "To", "ISO date"),
            ("unit_id", "Unit (key or id)", "optional"),
            ("process_gco2e_per_kg", "Process emissions (g CO2e per kg)", "optional"),
        ),
    ),
    Report(
        "reduction",
        "Reduction check",
        "R12",
        "/v1/classes/{cls}/reduction-check",
        (
            ("cls", "Class (key or id)", ""),
            ("period_a", "Earlier period", "label, e.g. 2027-Q1 (2027: the year)"),
            ("period_b", "Later period", "label, e.g. 2027-Q2"),
            ("unit_id", "Unit (key or id)", "optional"),
        ),
    ),
)

_IN_PATH = {"unit", "group", "cls"}


@router.get("/party/reports", response_class=HTMLResponse, summary="Statement, R10–R12")
async def reports(
    request: Request, caller: CallerDep, indexer: IndexerDep, report: str = ""
) -> Response:
    chosen = next((r for r in REPORTS if r.key == report), None)
    values = {k: v.strip()[:100] for k, v in request.query_params.items()}
    result, error = None, None
    if chosen is not None:
        params = {k: v for k, v in values.items() if k not in _IN_PATH and k != "report"}
        missing = [n for n, _, _ in chosen.fields if n in _IN_PATH and not values.get(n)]
        if not missing:
            path = chosen.path.format(**{k: quote(values.get(k, ""), safe="") for k in _IN_PATH})
            result, error = await attempt(indexer.get(path, **params))
    return render(
        request, "reports.html", reports=REPORTS, chosen=chosen, values=values,
        result=result, error=error, no_key=not caller.indexer_key,
    )  # fmt: skip
