"""What the read API's routes share: the connection, the caller (Bearer or X-API-Key), entity
references (registry key, on-chain name or numeric id), period labels and date ranges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine, select

from tracenet.contracts import (
    PERIOD_INDEX_PREFIX,
    parse_period_ref,
    period_bounds,
    period_label,
)
from tracenet.indexer.api import _api_models as models
from tracenet.indexer.api._keys import Caller, resolve_key
from tracenet.indexer.api._periods import day_start
from tracenet.indexer.errors import MirrorStoppedError, NotFoundError, ReportError
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import CreditClass, Party, ProductGroup, Unit

__all__ = [
    "ERROR",
    "LIMITED",
    "REFUSED",
    "RESPONSES",
    "STOPPED",
    "CallerDep",
    "ConnDep",
    "HeadDep",
    "Id64",
    "OptionalCallerDep",
    "PeriodRef",
    "QRef",
    "Ref",
    "Registry",
    "day_range",
    "json_errors",
    "resolve_period",
    "resolve_ref",
    "visible",
]

#: Ids are uint32 on chain: a longer string of digits names nothing.
_MAX_ID = 2**32 - 1
#: Registry kind → (mirror table, the error for an unknown one, its field).
_KINDS: dict[str, tuple[Any, str]] = {
    "units": (Unit, "UnitUnknown"),
    "classes": (CreditClass, "ClassUnknown"),
    "parties": (Party, "PartyUnknown"),
    "product_groups": (ProductGroup, "ProductGroupUnknown"),
}

Registry = dict[str, dict[str, int]]

#: The error body, as an OpenAPI response.
ERROR = {"model": models.ErrorBody}
#: The statuses every route may answer besides 200, each with the error body.
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {**ERROR, "description": "TN-IX-401-01/TN-IX-401-02 missing or unknown API key"},
    403: {**ERROR, "description": "TN-IX-403-nn another party's data, or auditors only"},
    404: {**ERROR, "description": "TN-IX-404-nn no such unit, class, group, shipment or claim"},
    422: {**ERROR, "description": "TN-IX-422-nn a parameter is malformed or out of range"},
}
#: The 429 of every public route (no key), as an OpenAPI response.
LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        **ERROR,
        "description": "TN-IX-429-01 RateLimited: too many requests from this client; retry "
        "after the Retry-After header's seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    }
}
#: The 409 of a shipment that gets no Sustainability Declaration (issue 13).
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {
        **ERROR,
        "description": "TN-IX-409-01 CustodyCertificateMissing: under a custody scheme the "
        "supplier or recipient held no valid certificate at dispatch; no declaration",
    }
}


def json_errors(responses: dict[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """The error responses of a route whose success is no JSON (an HTML page), documented as
    what they are: JSON error bodies (FastAPI would list them under the route's media type)."""
    schema = {"$ref": "#/components/schemas/ErrorBody"}
    return {
        status: {
            "description": doc["description"],
            "content": {"application/json": {"schema": schema}},
        }
        if doc.get("model") is models.ErrorBody
        else doc
        for status, doc in responses.items()
    }


#: The 503 of a route that needs the head while the follower is stopped (issue 26).
STOPPED: dict[int | str, dict[str, Any]] = {
    503: {
        **ERROR,
        "description": "TN-IX-503-05 MirrorStopped: the follower stopped (a reorg below the "
        "window…): this route answers the chain's present state, which the mirror may no longer "
        "hold; `args` name the stop's code, error and block",
    }
}
Ref = Annotated[str, Path(description="registry key, on-chain name or numeric id", max_length=200)]
QRef = Annotated[
    str, Query(description="registry key, on-chain name or numeric id", max_length=200)
]
Id64 = Annotated[int, Path(ge=0, le=2**63 - 1)]
PeriodRef = Annotated[
    str,
    Query(
        description="period label of the class: `2031` (a year), `2031-H1`, `2031-T2`, "
        "`2031-Q1`, `2031-B3`, `2031-03` (a month); or a period index as `index:244`",
        max_length=64,
    ),
]


def visible(caller: Caller, unit_id: int | None) -> None:
    """The caller may read ``unit_id`` (when one is given)."""
    if unit_id is not None:
        caller.require_unit(unit_id)


def _conn(request: Request) -> Iterator[Connection]:
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(_conn)]


def _head(conn: ConnDep) -> None:
    """A route answering the chain's present state refuses while the follower is stopped."""
    from tracenet.indexer.api._reports import mirror_stop

    stop = mirror_stop(conn)
    if stop is not None:
        raise MirrorStoppedError(
            f"the mirror stopped at block {stop['block']} ({stop['code']} {stop['error']}: "
            f"{stop['message']}); it may hold an abandoned fork, so this route, which answers "
            "the chain's present state, refuses until the mirror is rebuilt "
            "(`tracenet indexer run --reset`)",
            args=stop,
        )


#: Depend on it (``_: HeadDep``) in a route that needs the head (README: which and why).
HeadDep = Annotated[None, Depends(_head)]

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <read key>")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="the read key")


def _caller(
    conn: ConnDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Caller:
    return resolve_key(conn, bearer.credentials if bearer is not None else api_key)


CallerDep = Annotated[Caller, Depends(_caller)]


def _optional_caller(
    conn: ConnDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Caller | None:
    """A public route's caller: None without a key (an unknown key is 401 as anywhere)."""
    secret = bearer.credentials if bearer is not None else api_key
    return resolve_key(conn, secret) if secret else None


#: A public route's caller, if it gave a key (issue 25: the full view for those entitled).
OptionalCallerDep = Annotated[Caller | None, Depends(_optional_caller)]


def resolve_ref(conn: Connection, registry: Registry, kind: str, ref: str, field: str) -> int:
    """The id ``ref`` names: ASCII digits are an id, anything else a registry key (deployment
    record) or the on-chain name; ``NotFoundError`` (404) when nothing has it."""
    model, error = _KINDS[kind]
    t = table(model)
    what = {"parties": "party", "classes": "class"}.get(kind, kind[:-1].replace("_", " "))
    if ref.isascii() and ref.isdigit():
        ident = int(ref) if len(ref) <= 10 else _MAX_ID + 1
        if ident <= _MAX_ID and conn.execute(select(t.c.id).where(t.c.id == ident)).first():
            return ident
        raise NotFoundError(f"no {what} {ref}", field=field, error=error, args={"id": ref})
    found = registry.get(kind, {}).get(ref)
    if found is None:
        found = conn.execute(select(t.c.id).where(t.c.name == ref).order_by(t.c.id)).scalar()
    if found is None:
        raise NotFoundError(f"no {what} named {ref!r}", field=field, error=error, args={"key": ref})
    return int(found)


def resolve_period(period_months: int, ref: str, field: str = "period") -> int:
    """A period of the class by its label (``2031-Q1``; ``2031`` is the year 2031) or by its
    index in the explicit syntax ``index:244`` (``contracts.parse_period_ref``); ``PeriodInvalid``
    (422) when malformed, of another period length, or outside the calendar (1970 … 9999)."""
    example = period_label(period_months, (2027 - 1970) * 12 // period_months)
    try:
        index = parse_period_ref(period_months, ref)
        period_bounds(period_months, index)
    except (ValueError, OverflowError) as exc:
        message = str(exc)
        if message.startswith("year") or "out of range" in message:
            message = f"period {ref!r} is past the year 9999"
        raise ReportError(
            message,
            field=field,
            error="PeriodInvalid",
            args={"period": ref, "example": example, "index": f"{PERIOD_INDEX_PREFIX}<n>"},
        ) from None
    return index


def period_of_day(period_months: int, day: date) -> int:
    """The period containing ``day``; the last periods of 9999 have no end: ``PeriodInvalid``."""
    from tracenet.contracts import period_at

    index = period_at(period_months, day_start(day))
    return resolve_period(period_months, f"{PERIOD_INDEX_PREFIX}{index}", field="day")


def day_range(from_day: date, to_day: date) -> tuple[int, int]:
    """[from, to) in UTC seconds; ``DateRangeReversed`` (422) when ``to`` is before ``from``."""
    if to_day < from_day:
        raise ReportError(
            f"to ({to_day.isoformat()}) is before from ({from_day.isoformat()})",
            field="to",
            error="DateRangeReversed",
            args={"from": from_day.isoformat(), "to": to_day.isoformat()},
        )
    return day_start(from_day), day_start(to_day)
