"""The write forms: one per gateway route a party (or an admin, a certification body) uses.

Which of them a party sees comes from the gateway: the writes its OpenAPI offers and the roles
it publishes for each (console/_offered.py). A POST builds the JSON body, sends it with the
session's key and shows the answer: accepted (then followed live), or the gateway's error beside
the field it names."""

from __future__ import annotations

from typing import Any, Literal, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tracenet.console._clients import ApiError, GatewayClient, IndexerClient
from tracenet.console._forms import PARTY_FORMS, Form, FormError, build_body, find
from tracenet.console._forms_admin import ADMIN_FORMS, LISTING_OF
from tracenet.console._names import named_rows
from tracenet.console._offered import Offered, OfferedCache
from tracenet.console._roles import needs, permitted, role_names
from tracenet.console._session import Session
from tracenet.console._web import CallerDep, GatewayDep, IndexerDep, attempt, render

router = APIRouter()

RegistryKind = Literal[
    "parties", "boundaries", "units", "signers", "certificates", "classes", "schemes",
    "product-groups", "processes",
]  # fmt: skip
REGISTRY_KINDS: tuple[str, ...] = get_args(RegistryKind)

# The body's JSON name of a field where the form's differs (pydantic aliases).
_ALIASES = {"credit_class": "class"}


async def offered(request: Request, gateway: GatewayClient) -> Offered:
    """The writes the caller's gateway offers (its OpenAPI, cached); ``ApiError`` when unread."""
    cache: OfferedCache = request.app.state.offered
    return await cache.of(gateway)


@router.get("/party/operations", response_class=HTMLResponse, summary="The party's write forms")
async def operations(request: Request, caller: CallerDep, gateway: GatewayDep) -> Response:
    writes = await offered(request, gateway)
    return render(
        request, "operations.html", roles=role_names(caller.roles) if caller.roles else None,
        forms=permitted(PARTY_FORMS, caller.roles, writes),
        admin=permitted(ADMIN_FORMS, caller.roles, writes),
    )  # fmt: skip


@router.get("/party/registry/{kind}", response_class=HTMLResponse, summary="The registry")
async def registry(
    request: Request, kind: RegistryKind, caller: CallerDep, gateway: GatewayDep,
    indexer: IndexerDep,
) -> Response:  # fmt: skip
    """What the consortium has registered, one kind at a time, with the forms that add to it
    that the party's roles allow: the admin's and the certification body's landing page."""
    found, error = (None, None)
    if caller.indexer_key:
        found, error = await attempt(indexer.get(f"/v1/registry/{kind}", limit=1000))
    writes_offered, _ = await attempt(offered(request, gateway))  # none while it is unread
    allowed = permitted(ADMIN_FORMS, caller.roles, writes_offered) if writes_offered else []
    writes = [f for f in allowed if LISTING_OF.get(f.key) == kind]
    return render(
        request, "registry.html", kind=kind, kinds=REGISTRY_KINDS, writes=writes, error=error,
        rows=named_rows((found or {}).get("rows") or []) if found else None,
    )  # fmt: skip


@router.get("/party/operations/{key}", response_class=HTMLResponse, summary="One write form")
async def form_page(
    request: Request, key: str, caller: CallerDep, gateway: GatewayDep, indexer: IndexerDep
) -> Response:
    writes = await offered(request, gateway)
    form = _form(key, writes)
    if form is None:
        return render(request, "notfound.html", status=404, what=f"operation {key[:40]}")
    if not _allowed(form, caller, writes):
        return _not_yours(request, form, caller, writes)
    listing = await _listing(form, caller, indexer)
    return render(request, "form.html", form=form, values={}, errors={}, **listing)


@router.post("/party/operations/{key}", response_class=HTMLResponse, summary="Submit a write")
async def submit(
    request: Request, key: str, caller: CallerDep, gateway: GatewayDep, indexer: IndexerDep
) -> Response:
    writes = await offered(request, gateway)
    form = _form(key, writes)
    if form is None:
        return render(request, "notfound.html", status=404, what=f"operation {key[:40]}")
    if not _allowed(form, caller, writes):
        return _not_yours(request, form, caller, writes)
    values = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    listing = await _listing(form, caller, indexer)
    try:
        body = build_body(form, values)
    except FormError as exc:
        return _again(request, form, values, {exc.field: exc.message}, None, 422, listing)
    try:
        accepted = await gateway.post(form.route(values), body)
    except ApiError as exc:
        return _again(request, form, values, *_place(form, exc), exc.status, listing)
    return render(
        request, "form.html", form=form, values={}, errors={}, accepted=accepted, **listing
    )


async def _listing(form: Form, caller: Session, indexer: IndexerClient) -> dict[str, Any]:
    """What is registered already, beside an admin's form (the indexer's registry list)."""
    kind = LISTING_OF.get(form.key)
    if kind is None or not caller.indexer_key:
        return {"listing_kind": kind}
    found, error = await attempt(indexer.get(f"/v1/registry/{kind}"))
    rows = named_rows((found or {}).get("rows") or [])
    return {"listing_kind": kind, "listing": rows, "listing_error": error}


def _form(key: str, writes: Offered) -> Form | None:
    """The form ``key`` if the gateway offers its route."""
    form = find(PARTY_FORMS, key) or find(ADMIN_FORMS, key)
    return form if form is not None and form.path in writes.roles else None


def _allowed(form: Form, caller: Session, writes: Offered) -> bool:
    return bool(permitted((form,), caller.roles, writes))


def _not_yours(request: Request, form: Form, caller: Session, writes: Offered) -> Response:
    """A form of a role the party does not hold: said before, not refused by the gateway after."""
    role = role_names(needs(form, writes)).replace(" ", " or ")
    error = ApiError(
        403, "TN-CO-403-01", "AccessRoleMissing",
        f"“{form.title}” needs the {role} role; {caller.party} holds "
        f"{role_names(caller.roles)}. The gateway would refuse it.",
    )  # fmt: skip
    return render(request, "error.html", status=403, error=error)


def _place(form: Form, exc: ApiError) -> tuple[dict[str, str], ApiError | None]:
    """The error beside its field when the form has it, else at the top of the form."""
    names = {f.name for f in form.fields}
    head = (exc.field or "").split(".")[0]
    head = _ALIASES.get(head, head)
    if head in names:
        return {head: f"{exc.error}: {exc.message}"}, exc
    return {}, exc


def _again(
    request: Request,
    form: Form,
    values: dict[str, Any],
    errors: dict[str, str],
    error: ApiError | None,
    status: int,
    listing: dict[str, Any],
) -> Response:
    return render(
        request, "form.html", status=status, form=form, values=values, errors=errors,
        error=error, **listing,
    )  # fmt: skip
