"""A party's pages: sign in with its gateway API key, balances, live requests, shipments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from tracenet.console._balances import balance_rows, vintage_chart
from tracenet.console._clients import ApiError, GatewayClient, IndexerClient
from tracenet.console._names import unit_names
from tracenet.console._roles import landing, party_roles
from tracenet.console._session import COOKIE, Session, Sessions
from tracenet.console._web import CallerDep, GatewayDep, IndexerDep, attempt, render, settings_of

router = APIRouter()


@router.get("/signin", response_class=HTMLResponse, summary="Sign in with an API key")
async def signin_page(request: Request) -> Response:
    return render(request, "signin.html", gateways=sorted(settings_of(request).gateways))


@router.post("/signin", summary="Check the keys and open a session")
async def signin(
    request: Request,
    party: Annotated[str, Form()] = "",
    gateway_key: Annotated[str, Form()] = "",
    indexer_key: Annotated[str, Form()] = "",
) -> Response:
    s = settings_of(request)
    errors: dict[str, str] = {}
    url = s.gateways.get(party)
    if url is None:
        errors["party"] = "choose one of the parties this console knows"
    if not gateway_key.strip():
        errors["gateway_key"] = "required: the API key your gateway administrator gave you"
    session = Session(party, url or "", gateway_key.strip(), indexer_key.strip() or None)
    if not errors:
        errors |= await _check_keys(session, s.indexer_url, s.timeout)
    if errors:
        return render(
            request, "signin.html", status=401 if "party" not in errors else 422,
            gateways=sorted(s.gateways), errors=errors, chosen=party,
        )  # fmt: skip
    sessions: Sessions = request.app.state.sessions
    response = RedirectResponse(landing(session.roles), status_code=303)
    response.set_cookie(
        COOKIE, sessions.open(session), httponly=True, samesite="strict",
        secure=s.secure_cookies, max_age=s.session_minutes * 60, path="/",
    )  # fmt: skip
    return response


async def _check_keys(session: Session, indexer_url: str, timeout: float) -> dict[str, str]:
    errors: dict[str, str] = {}
    gateway = GatewayClient(session.gateway_url, session.gateway_key, timeout=timeout)
    try:
        await gateway.requests(limit=1)
    except ApiError as exc:
        errors["gateway_key"] = f"{exc.error}: {exc.message}"
    finally:
        await gateway.aclose()
    if session.indexer_key:
        indexer = IndexerClient(indexer_url, session.indexer_key, timeout=timeout)
        try:
            status = await indexer.get("/v1/status")
            session.party_id = status.get("party_id")
            session.auditor = bool(status.get("auditor"))
            session.roles = await party_roles(indexer, session.party_id)
        except ApiError as exc:
            errors["indexer_key"] = f"{exc.error}: {exc.message}"
        finally:
            await indexer.aclose()
    return errors


@router.post("/signout", summary="End the session")
async def signout(request: Request) -> Response:
    sessions: Sessions = request.app.state.sessions
    sessions.close(request.cookies.get(COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/party", response_class=HTMLResponse, summary="Balances and recent requests")
async def dashboard(
    request: Request, caller: CallerDep, gateway: GatewayDep, indexer: IndexerDep
) -> Response:
    requests, requests_error = await attempt(gateway.requests(limit=20))
    rows: list[dict[str, Any]] | None = []
    balances_error: ApiError | None = None
    units: dict[int, str] = {}
    if caller.indexer_key:
        rows, balances_error = await attempt(balance_rows(gateway, indexer))
        units = await unit_names(indexer) if rows else {}
    return render(
        request, "party.html", requests=requests or [], requests_error=requests_error,
        balances=rows or [], balances_error=balances_error, chart=vintage_chart(rows or []),
        units=units,
    )  # fmt: skip


@router.get("/party/requests", response_class=HTMLResponse, summary="The party's requests")
async def requests_page(request: Request, caller: CallerDep, gateway: GatewayDep) -> Response:
    rows, error = await attempt(gateway.requests(limit=200))
    return render(request, "requests.html", requests=rows or [], error=error)


@router.get("/party/requests/{request_id}", response_class=HTMLResponse, summary="One request")
async def request_page(
    request: Request, request_id: str, caller: CallerDep, gateway: GatewayDep
) -> Response:
    row, error = await attempt(gateway.get(f"/v1/requests/{request_id[:64]}"))
    return render(
        request, "request.html", row=row, error=error, status=error.status if error else 200
    )


@router.get("/party/requests/{request_id}/status", summary="One request as JSON (for the page)")
async def request_status(request_id: str, caller: CallerDep, gateway: GatewayDep) -> Any:
    return await gateway.get(f"/v1/requests/{request_id[:64]}")


@router.get("/party/events", summary="The gateway's request events, passed through (SSE)")
async def events(request: Request, caller: CallerDep, after: int | None = None) -> Response:
    timeout = settings_of(request).timeout

    async def stream() -> AsyncIterator[bytes]:
        client = GatewayClient(caller.gateway_url, caller.gateway_key, timeout=timeout)
        try:
            async for chunk in client.events(after):
                yield chunk
        except ApiError as exc:
            yield f"event: error\ndata: {exc.message}\n\n".encode()
        finally:
            await client.aclose()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.get("/party/shipments", response_class=HTMLResponse, summary="Shipments in and out")
async def shipments(
    request: Request, caller: CallerDep, gateway: GatewayDep, indexer: IndexerDep
) -> Response:
    """From the indexer (every shipment of the party's units, with its credits) when signed in
    with a read key; else the outgoing ones this party's gateway recorded."""
    if caller.indexer_key:
        found, error = await attempt(indexer.get("/v1/shipments", limit=200))
        rows = (found or {}).get("shipments") or []
        return render(
            request, "shipments.html", indexed=True, error=error,
            incoming=[r for r in rows if r.get("direction") == "in"],
            outgoing=[r for r in rows if r.get("direction") == "out"],
            # Issue 19: the recipient's inbox and the sender's pending list (one click each).
            inbox=[r for r in rows if r.get("direction") == "in" and _pending(r)],
            awaiting=[r for r in rows if r.get("direction") == "out" and _pending(r)],
            truncated=bool((found or {}).get("truncated")),
            units=await unit_names(indexer) if rows else {},
        )  # fmt: skip
    requests, error = await attempt(gateway.requests(limit=1000))
    out = [s for r in requests or [] for s in _shipped(r)]
    return render(request, "shipments.html", indexed=False, shipments=out, error=error)


def _pending(row: dict[str, Any]) -> bool:
    return ((row.get("acceptance") or {}).get("state")) == "pending"


def _shipped(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The shipments a confirmed ``ship`` request recorded, from its decoded events."""
    if row.get("operation") != "ship" or row.get("status") != "confirmed":
        return []
    found = []
    for e in (row.get("outcome") or {}).get("events") or []:
        name = e.get("event") or e.get("name")
        args = e.get("args") or {}
        if name == "Shipped":
            found.append({"request": row, "args": args, "id": args.get("shipmentId")})
    return found
