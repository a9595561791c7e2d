"""Routes on a product group or class: footprints (R11), reduction checks (R12), supply
audits (R13, auditors; JSON or CSV)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query
from fastapi.responses import PlainTextResponse

from tracenet.indexer.api import _api_models as models
from tracenet.indexer.api._api_deps import (
    RESPONSES,
    STOPPED,
    CallerDep,
    ConnDep,
    HeadDep,
    PeriodRef,
    Ref,
    Registry,
    day_range,
    resolve_period,
    resolve_ref,
    visible,
)
from tracenet.indexer.api._export import audit_csv
from tracenet.indexer.api._reports import as_of, class_info
from tracenet.indexer.api._reports_class import footprint, reduction_check, supply_audit

__all__ = ["class_routes"]


def class_routes(app: FastAPI, reg: Registry, ref: Any) -> None:
    @app.get(
        "/v1/product-groups/{product_group_id}/footprint",
        summary="R11: lower-, higher-carbon and average footprints (gCO2e per kg)",
        responses=RESPONSES,
    )
    def get_footprint(
        conn: ConnDep,
        caller: CallerDep,
        product_group_id: Ref,
        from_day: Annotated[date, Query(alias="from", description="ISO-8601 date, inclusive")],
        to_day: Annotated[date, Query(alias="to", description="ISO-8601 date, exclusive")],
        unit_id: Annotated[str | None, Query(max_length=200)] = None,
        process_gco2e_per_kg: Annotated[
            int, Query(ge=0, le=10**9, description="process emissions, gCO2e per kg")
        ] = 0,
    ) -> models.Footprint:
        group = resolve_ref(conn, reg, "product_groups", product_group_id, "product_group_id")
        unit = ref(conn, "units", unit_id, "unit_id")
        visible(caller, unit)
        start, end = day_range(from_day, to_day)
        report = footprint(
            conn,
            product_group_id=group,
            start=start,
            end=end,
            unit_id=unit,
            process_gco2e_per_kg=process_gco2e_per_kg,
        )
        return models.Footprint.model_validate({"as_of": as_of(conn), **report})

    @app.get(
        "/v1/classes/{class_id}/reduction-check",
        summary="R12: is a reduction claim from period A to B valid?",
        responses=RESPONSES,
    )
    def get_reduction(
        conn: ConnDep,
        caller: CallerDep,
        class_id: Ref,
        period_a: PeriodRef,
        period_b: PeriodRef,
        unit_id: Annotated[str | None, Query(max_length=200)] = None,
    ) -> models.ReductionCheck:
        klass = resolve_ref(conn, reg, "classes", class_id, "class_id")
        unit = ref(conn, "units", unit_id, "unit_id")
        visible(caller, unit)
        months = class_info(conn, klass).period_months
        a = resolve_period(months, period_a, "period_a")
        b = resolve_period(months, period_b, "period_b")
        report = reduction_check(conn, class_id=klass, period_a=a, period_b=b, unit_id=unit)
        return models.ReductionCheck.model_validate({"as_of": as_of(conn), **report})

    csv: dict[int | str, dict[str, Any]] = {
        200: {"content": {"text/csv": {}}, "description": "JSON, or CSV"}
    }

    @app.get(
        "/v1/classes/{class_id}/audit",
        summary="R13: supply audit of a class and period (auditors; JSON or CSV)",
        responses={**RESPONSES, **csv, **STOPPED},
        response_model=models.Audit,
    )
    def get_audit(
        conn: ConnDep,
        caller: CallerDep,
        _: HeadDep,
        class_id: Ref,
        period: PeriodRef,
        format: Literal["json", "csv"] = "json",
    ) -> Any:
        caller.require_auditor()
        klass = resolve_ref(conn, reg, "classes", class_id, "class_id")
        index = resolve_period(class_info(conn, klass).period_months, period)
        report = supply_audit(conn, class_id=klass, period=index)
        if format == "csv":
            return PlainTextResponse(audit_csv(report), media_type="text/csv")
        return models.Audit.model_validate(report)
