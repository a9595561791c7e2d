"""The write forms: one per gateway route a party (or an admin, a certification body) uses.

Which of them a party sees comes from the gateway: the writes its OpenAPI offers and the roles
it publishes for each (console/_offered.py). A POST builds the JSON body, sends it with the
session's key and shows the answer: accepted (then followed live), or the gateway's error beside
the field it names."""

from __future__ import annotations

import hashlib
from typing import Any, Literal, get_args

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tracenet.console._choices import Choices, load
from tracenet.console._clients import ApiError, GatewayClient, IndexerClient
from tracenet.console._forms import IDENTIFIER_KINDS, PARTY_FORMS, Form, FormError, build, find
from tracenet.console._forms_admin import ADMIN_FORMS, LISTING_OF
from tracenet.console._names import named_rows
from tracenet.console._offered import Offered, OfferedCache
from tracenet.console._roles import needs, permitted, role_names
from tracenet.console._session import Session
from tracenet.console._web import CallerDep, GatewayDep, IndexerDep, attempt, render
from tracenet.contracts import Role
from tracenet.kit.quantity import format_grams

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
    choices = await load(form.entities, form.has_lines, caller, gateway, indexer)
    return _page(request, form, _defaults(form, choices), {}, None, 200, listing, choices)


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
    values = await _values(request, form)
    listing = await _listing(form, caller, indexer)
    choices = await load(form.entities, form.has_lines, caller, gateway, indexer)
    try:
        built = build(form, values, choices)
    except FormError as exc:
        return _page(request, form, values, exc.errors, None, 422, listing, choices)
    try:
        accepted = await gateway.post(built.path, built.body)
    except ApiError as exc:
        return _page(request, form, values, *_place(form, exc), exc.status, listing, choices)
    again = _defaults(form, choices)
    return _page(request, form, again, {}, None, 200, listing, choices, accepted=accepted)


async def _values(request: Request, form: Form) -> dict[str, Any]:
    """What the person typed, ticked and chose: ticked boxes as lists; a chosen file replaced
    by its SHA-256 (the file itself is not kept), its name kept to show it was read."""
    data = await request.form()
    values: dict[str, Any] = {}
    for f in form.fields:
        if f.kind in ("roles", "refs"):
            values[f.name] = [str(v) for v in data.getlist(f.name) if isinstance(v, str)]
    for key, value in data.multi_items():
        if isinstance(value, str) and key not in values:
            values[key] = value
    for f in form.fields:
        if f.kind != "document":
            continue
        upload = data.get(f.name + "__file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            continue
        digest = hashlib.sha256()
        while chunk := await upload.read(1 << 20):
            digest.update(chunk)
        values[f.name] = "0x" + digest.hexdigest()
        values[f.name + "__name"] = upload.filename[:200]
    return values


def _defaults(form: Form, choices: Choices) -> dict[str, Any]:
    """A fresh form: the acting unit is the party's own when it has exactly one."""
    own = choices.own_units
    unit = form.field("unit")
    if unit is not None and unit.entity == "units" and len(own) == 1 and form.key != "lapse":
        return {"unit": own[0].name}
    return {}


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
    """The gateway's error as a sentence beside its field when the form has it (its code and
    rule name kept with it), else at the top of the form."""
    names = {f.name for f in form.fields}
    head = (exc.field or "").split(".")[0].split("[")[0]
    head = _ALIASES.get(head, head)
    if head in names:
        return {head: f"{_sentence(exc.message)} ({exc.error}, {exc.code})"}, exc
    return {}, exc


def _sentence(text: str) -> str:
    """A message ending as a sentence; its first word kept as written (it may be a key)."""
    text = text.strip()
    return text if not text or text.endswith((".", "?", "!")) else text + "."


def _page(
    request: Request,
    form: Form,
    values: dict[str, Any],
    errors: dict[str, str],
    error: ApiError | None,
    status: int,
    listing: dict[str, Any],
    choices: Choices,
    accepted: Any = None,
) -> Response:
    return render(
        request, "form.html", status=status, form=form, values=values, errors=errors,
        error=error, choices=choices, accepted=accepted, identifier_kinds=IDENTIFIER_KINDS,
        all_roles=[str(r.name) for r in Role], grams=format_grams, **listing,
    )  # fmt: skip
