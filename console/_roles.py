"""Which forms a party sees and where it lands after signing in, from its roles on chain.

The roles come from the indexer's registry listing of parties (``GET /v1/registry/parties``,
the row of the read key's party, ``/v1/status``); without a read key they are unknown and every
form the gateway offers is offered (the gateway still refuses what the roles do not allow).
Each form needs the roles the gateway publishes for its route in its OpenAPI
(``x-tracenet-roles``, console/_offered.py); a write any party may make (a lapse, R4) is offered
to the parties that hold credits, members and origins."""

from __future__ import annotations

from typing import Any

from tracenet.console._clients import ApiError, IndexerClient
from tracenet.console._forms import Form
from tracenet.console._offered import Offered
from tracenet.contracts import Role

__all__ = ["landing", "needs", "party_roles", "permitted", "role_names"]

_HOLDERS = Role.member | Role.origin


def needs(form: Form, offered: Offered) -> int:
    """The roles of which any one lets a party use ``form`` (the gateway's, for its route)."""
    return offered.roles.get(form.path, 0) or int(_HOLDERS)


def permitted(forms: tuple[Form, ...], roles: int | None, offered: Offered) -> list[Form]:
    """The forms of ``forms`` whose route the gateway offers and the roles allow (all of those
    while the roles are unknown), in the gateway's order of its ledger writes."""
    order = {path: i for i, path in enumerate(offered.kinds)}
    found = [
        f for f in forms if f.path in offered.roles and (roles is None or roles & needs(f, offered))
    ]
    return sorted(found, key=lambda f: order.get(f.path, len(order)))


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
    """The party's role mask from the registry listing's role names; ``None`` if unreadable."""
    if party_id is None:
        return None
    try:
        found: dict[str, Any] = await indexer.get("/v1/registry/parties", limit=1000)
    except ApiError:
        return None
    for row in found.get("rows") or []:
        if str(row.get("id")) == str(party_id):
            names = row.get("roles")  # by name (issue 18): ["member", "origin"]
            try:
                return sum(int(Role[str(n)]) for n in names) if isinstance(names, list) else None
            except KeyError:  # a role this console does not know
                return None
    return None
