"""The registry projection: parties, units, signers, certificates and the catalog.

Registry events are few and change rows in place (roles, suspensions, revocations), so they are
applied one by one; on a reorg the registry tables are emptied and replayed from the archive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from tracenet.contracts import CertificateStatus
from tracenet.indexer.mirror._decode import Event
from tracenet.indexer.mirror._project import REGISTRY_EVENTS
from tracenet.indexer.mirror._tables import (
    Boundary,
    Certificate,
    CertificateScope,
    CreditClass,
    Factor,
    Party,
    Process,
    ProductGroup,
    Scheme,
    SignerRow,
    Unit,
)
from tracenet.indexer.mirror._tables_ops import EventRow

__all__ = ["apply_registry", "rebuild_registry"]


def table(model: Any) -> Table:
    """The SQLAlchemy table of a SQLModel class."""
    t: Table = model.__table__
    return t


_TABLES = [
    Party,
    Boundary,
    Unit,
    SignerRow,
    Certificate,
    CertificateScope,
    Scheme,
    ProductGroup,
    CreditClass,
    Process,
    Factor,
]


def _party(c: Connection, a: dict[str, Any]) -> None:
    c.execute(
        table(Party).insert(),
        {
            "id": a["partyId"],
            "name": a["name"],
            "identifier": a["identifier"],
            "roles": a["roles"],
            "active": True,
        },
    )


def _party_set(**values: Any) -> Callable[[Connection, dict[str, Any]], None]:
    def apply(c: Connection, a: dict[str, Any]) -> None:
        changes = {k: (a[v] if isinstance(v, str) else v) for k, v in values.items()}
        c.execute(update(table(Party)).where(table(Party).c.id == a["partyId"]).values(changes))

    return apply


def _boundary(c: Connection, a: dict[str, Any]) -> None:
    c.execute(
        table(Boundary).insert(),
        {"id": a["boundaryId"], "party_id": a["partyId"], "name": a["name"]},
    )


def _unit(c: Connection, a: dict[str, Any]) -> None:
    c.execute(
        table(Unit).insert(),
        {
            "id": a["unitId"],
            "party_id": a["partyId"],
            "boundary_id": a["boundaryId"],
            "account": a["account"],
            "name": a["name"],
            "location": a["location"],
        },
    )


def _signer(c: Connection, a: dict[str, Any]) -> None:
    t = table(SignerRow)
    c.execute(delete(t).where(t.c.address == a["signer"]))
    c.execute(
        t.insert(),
        {"address": a["signer"], "party_id": a["partyId"], "unit_id": a["unitId"], "active": True},
    )


def _signer_revoked(c: Connection, a: dict[str, Any]) -> None:
    t = table(SignerRow)
    c.execute(update(t).where(t.c.address == a["signer"]).values(active=False))


def _certificate(c: Connection, a: dict[str, Any]) -> None:
    c.execute(
        table(Certificate).insert(),
        {
            "id": a["certificateId"],
            "holder_party_id": a["holderPartyId"],
            "certifier_party_id": a["certifierPartyId"],
            "scheme_id": a["schemeId"],
            "number": a["number"],
            "valid_from": a["validFrom"],
            "valid_until": a["validUntil"],
            "audited_volume": a["auditedVolume"],
            "status": CertificateStatus.valid.name,
            "status_since": a["validFrom"],
            "status_reason": "",
        },
    )
    scope = [
        {"certificate_id": a["certificateId"], "kind": "class", "ref_id": i}
        for i in set(a["classIds"])
    ]
    scope += [
        {"certificate_id": a["certificateId"], "kind": "unit", "ref_id": i}
        for i in set(a["unitIds"])
    ]
    if scope:
        c.execute(table(CertificateScope).insert(), scope)


def _certificate_status(c: Connection, a: dict[str, Any]) -> None:
    t = table(Certificate)
    stated = {
        "status": CertificateStatus(int(a["status"])).name,
        "status_since": a["effectiveAt"],
        "status_reason": a["reason"],
    }
    c.execute(update(t).where(t.c.id == a["certificateId"]).values(**stated))


def _scheme(c: Connection, a: dict[str, Any]) -> None:
    c.execute(
        table(Scheme).insert(),
        {"id": a["schemeId"], "name": a["name"], "max_period_months": a["maxPeriodMonths"]},
    )


def _scheme_custody(c: Connection, a: dict[str, Any]) -> None:
    t = table(Scheme)
    c.execute(update(t).where(t.c.id == a["schemeId"]).values(custody=int(a["custody"])))


def _group(c: Connection, a: dict[str, Any]) -> None:
    c.execute(
        table(ProductGroup).insert(),
        {"id": a["productGroupId"], "name": a["name"], "max_share_bps": a["maxShareBps"]},
    )


def _class(c: Connection, a: dict[str, Any]) -> None:
    s = a["spec"]
    c.execute(
        table(CreditClass).insert(),
        {
            "id": a["classId"],
            "name": s["name"],
            "characteristic": s["characteristic"],
            "scheme_id": s["schemeId"],
            "product_group_id": s["productGroupId"],
            "model": s["model"],
            "attribution": s["attribution"],
            "period_months": s["periodMonths"],
            "window_periods": s["windowPeriods"],
            "cap_at_stock": s["capAtStock"],
            "raw_material": s["rawMaterial"],
            "waste": s["waste"],
            "sustainable_factor": s["sustainableFactor"],
            "conventional_factor": s["conventionalFactor"],
        },
    )


def _process(c: Connection, a: dict[str, Any]) -> None:
    c.execute(
        table(Process).insert(),
        {
            "id": a["processId"],
            "unit_id": a["unitId"],
            "input_class_id": a["inputClassId"],
            "output_class_id": a["outputClassId"],
            "name": a["name"],
        },
    )


def _factor(c: Connection, a: dict[str, Any]) -> None:
    c.execute(
        table(Factor).insert(),
        {
            "process_id": a["processId"],
            "version": a["version"],
            "yield_bps": a["yieldBps"],
            "effective_from": a["effectiveFrom"],
            "evidence_hash": a["evidenceHash"],
        },
    )


_APPLY: dict[str, Callable[[Connection, dict[str, Any]], None]] = {
    "PartyRegistered": _party,
    "PartyRolesChanged": _party_set(roles="roles"),
    "PartySuspended": _party_set(active=False),
    "PartyReinstated": _party_set(active=True),
    "BoundaryDeclared": _boundary,
    "UnitRegistered": _unit,
    "SignerAuthorized": _signer,
    "SignerRevoked": _signer_revoked,
    "CertificateRegistered": _certificate,
    "CertificateStatusChanged": _certificate_status,
    "SchemeRegistered": _scheme,
    "SchemeCustodySet": _scheme_custody,
    "ProductGroupRegistered": _group,
    "ClassRegistered": _class,
    "ProcessRegistered": _process,
    "FactorRegistered": _factor,
}
assert set(_APPLY) == REGISTRY_EVENTS


def apply_registry(conn: Connection, events: Iterable[Event]) -> None:
    """Applies registry events in chain order."""
    for e in events:
        _APPLY[e.name](conn, e.args)


def rebuild_registry(conn: Connection) -> None:
    """Empties the registry tables and replays every registry event of the archive."""
    for model in _TABLES:
        conn.execute(delete(table(model)))
    ev = table(EventRow)
    query = (
        select(ev.c.name, ev.c.args)
        .where(ev.c.name.in_(sorted(REGISTRY_EVENTS)), ev.c.contract != "Ledger")
        .order_by(ev.c.block_number, ev.c.log_index)
    )
    for name, args in conn.execute(query):
        _APPLY[name](conn, args)
