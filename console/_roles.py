"""Which forms a party sees and where it lands after signing in, from its roles on chain.

The roles come from the indexer's registry listing of parties (``GET /v1/registry/parties``,
the row of the read key's party, ``/v1/status``); without a read key they are unknown and every
form is offered (the gateway still refuses what the roles do not allow). Each form needs the
role the gateway checks before signing: certified inputs the origin role, the other ledger
writes the member role (a lapse anyone holding credits), certificates and processes the
certification body, the rest of the registry the consortium admin."""

from __future__ import annotations

from typing import Any

from tracenet.console._clients import ApiError, IndexerClient
from tracenet.console._forms import Form
from tracenet.contracts import Role

__all__ = ["landing", "needs", "party_roles", "permitted", "role_names"]

_CERTIFIER_FORMS = {"certificate", "revoke-certificate", "process", "factor"}
_EITHER_FORMS = {"unit-scope"}  # Catalog.setUnitScope: the admin or a certification body
_LEDGER_ROLE = {"input": Role.origin, "lapse": Role.member | Role.origin}


def needs(form: Form, admin_form: bool) -> int:
    """The roles of which any one lets a party use ``form``."""
    if not admin_form:
        return int(_LEDGER_ROLE.get(form.key, Role.member))
    if form.key in _EITHER_FORMS:
        return int(Role.admin | Role.certifier)
    return int(Role.certifier if form.key in _CERTIFIER_FORMS else Role.admin)


def permitted(forms: tuple[Form, ...], roles: int | None, *, admin: bool) -> list[Form]:
    """The forms of ``forms`` the roles allow (all of them while the roles are unknown)."""
    return [f for f in forms if roles is None or roles & needs(f, admin)]


def role_names(roles: int | None) -> str:
    return " ".join(str(r.name) for r in Role if (roles or 0) & r) or "none"


def landing(roles: int | None) -> str:
    """Where a party lands: its balances when it holds credits (member or origin), else the
    page of its role — the registry for the admin, certificates for the certification body,
    the supply audit for an auditor."""
    if roles is None or roles & (Role.member | Role.origin):
        return "/party"
    if roles & Role.admin:
        return "/party/registry/parties"
    if roles & Role.certifier:
        return "/party/registry/certificates"
    if roles & Role.auditor:
        return "/audit"
    return "/party"


async def party_roles(indexer: IndexerClient, party_id: int | None) -> int | None:
    """The party's role mask from the registry listing; ``None`` if it cannot be read."""
    if party_id is None:
        return None
    try:
        found: dict[str, Any] = await indexer.get("/v1/registry/parties", limit=1000)
    except ApiError:
        return None
    for row in found.get("rows") or []:
        if str(row.get("id")) == str(party_id):
            try:
                return int(row.get("roles"))
            except (TypeError, ValueError):
                return None
    return None
