"""The registry projection: parties, units, signers, certificates and the catalog.

Registry events are few and change rows in place (roles, suspensions, revocations), so they are
applied one by one; on a reorg the registry tables are emptied and replayed from the archive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Table, delete, select, update

from tracenet.contracts import CertificateStatus, EventRecord
from tracenet.contracts import records as R
from tracenet.indexer.mirror._decode import Event
from tracenet.indexer.mirror._project import REGISTRY_EVENTS, hex32
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


def _party(c: Connection, r: R.PartyRegistered) -> None:
    c.execute(
        table(Party).insert(),
        {
            "id": r.party_id,
            "name": r.name,
            "identifier": hex32(r.identifier),
            "roles": int(r.roles),
            "active": True,
        },
    )


def _party_set(
    changes: Callable[[Any], dict[str, Any]],
) -> Callable[[Connection, Any], None]:
    def apply(c: Connection, r: Any) -> None:
        t = table(Party)
        c.execute(update(t).where(t.c.id == r.party_id).values(changes(r)))

    return apply


def _boundary(c: Connection, r: R.BoundaryDeclared) -> None:
    c.execute(
        table(Boundary).insert(),
        {"id": r.boundary_id, "party_id": r.party_id, "name": r.name},
    )


def _unit(c: Connection, r: R.UnitRegistered) -> None:
    c.execute(
        table(Unit).insert(),
        {
            "id": r.unit_id,
            "party_id": r.party_id,
            "boundary_id": r.boundary_id,
            "account": r.account,
            "name": r.name,
            "location": r.location,
        },
    )


def _signer(c: Connection, r: R.SignerAuthorized) -> None:
    t = table(SignerRow)
    c.execute(delete(t).where(t.c.address == r.signer))
    c.execute(
        t.insert(),
        {"address": r.signer, "party_id": r.party_id, "unit_id": r.unit_id, "active": True},
    )


def _signer_revoked(c: Connection, r: R.SignerRevoked) -> None:
    t = table(SignerRow)
    c.execute(update(t).where(t.c.address == r.signer).values(active=False))


def _certificate(c: Connection, r: R.CertificateRegistered) -> None:
    c.execute(
        table(Certificate).insert(),
        {
            "id": r.certificate_id,
            "holder_party_id": r.holder_party_id,
            "certifier_party_id": r.certifier_party_id,
            "scheme_id": r.scheme_id,
            "number": r.number,
            "valid_from": r.valid_from,
            "valid_until": r.valid_until,
            "audited_volume": r.audited_volume,
            "status": CertificateStatus.valid.name,
            "status_since": r.valid_from,
            "status_reason": "",
        },
    )
    scope = [
        {"certificate_id": r.certificate_id, "kind": "class", "ref_id": i} for i in set(r.class_ids)
    ]
    scope += [
        {"certificate_id": r.certificate_id, "kind": "unit", "ref_id": i} for i in set(r.unit_ids)
    ]
    if scope:
        c.execute(table(CertificateScope).insert(), scope)


def _certificate_status(c: Connection, r: R.CertificateStatusChanged) -> None:
    t = table(Certificate)
    stated = {
        "status": CertificateStatus(int(r.status)).name,
        "status_since": r.effective_at,
        "status_reason": r.reason,
    }
    c.execute(update(t).where(t.c.id == r.certificate_id).values(**stated))


def _scheme(c: Connection, r: R.SchemeRegistered) -> None:
    c.execute(
        table(Scheme).insert(),
        {"id": r.scheme_id, "name": r.name, "max_period_months": r.max_period_months},
    )


def _scheme_custody(c: Connection, r: R.SchemeCustodySet) -> None:
    t = table(Scheme)
    c.execute(update(t).where(t.c.id == r.scheme_id).values(custody=int(r.custody)))


def _group(c: Connection, r: R.ProductGroupRegistered) -> None:
    c.execute(
        table(ProductGroup).insert(),
        {"id": r.product_group_id, "name": r.name, "max_share_bps": r.max_share_bps},
    )


def _class(c: Connection, r: R.ClassRegistered) -> None:
    s = r.spec
    c.execute(
        table(CreditClass).insert(),
        {
            "id": r.class_id,
            "name": s.name,
            "characteristic": s.characteristic,
            "scheme_id": s.scheme_id,
            "product_group_id": s.product_group_id,
            "model": int(s.model),
            "attribution": int(s.attribution),
            "period_months": s.period_months,
            "window_periods": s.window_periods,
            "cap_at_stock": s.cap_at_stock,
            "raw_material": int(s.raw_material),
            "waste": s.waste,
            "sustainable_factor": s.sustainable_factor,
            "conventional_factor": s.conventional_factor,
        },
    )


def _process(c: Connection, r: R.ProcessRegistered) -> None:
    c.execute(
        table(Process).insert(),
        {
            "id": r.process_id,
            "unit_id": r.unit_id,
            "input_class_id": r.input_class_id,
            "output_class_id": r.output_class_id,
            "name": r.name,
        },
    )


def _factor(c: Connection, r: R.FactorRegistered) -> None:
    c.execute(
        table(Factor).insert(),
        {
            "process_id": r.process_id,
            "version": r.version,
            "yield_bps": r.yield_bps,
            "effective_from": r.effective_from,
            "evidence_hash": hex32(r.evidence_hash),
        },
    )


#: How each registry event record changes the registry tables.
_APPLY: dict[type[EventRecord], Callable[[Connection, Any], None]] = {
    R.PartyRegistered: _party,
    R.PartyRolesChanged: _party_set(lambda r: {"roles": int(r.roles)}),
    R.PartySuspended: _party_set(lambda r: {"active": False}),
    R.PartyReinstated: _party_set(lambda r: {"active": True}),
    R.BoundaryDeclared: _boundary,
    R.UnitRegistered: _unit,
    R.SignerAuthorized: _signer,
    R.SignerRevoked: _signer_revoked,
    R.CertificateRegistered: _certificate,
    R.CertificateStatusChanged: _certificate_status,
    R.SchemeRegistered: _scheme,
    R.SchemeCustodySet: _scheme_custody,
    R.ProductGroupRegistered: _group,
    R.ClassRegistered: _class,
    R.ProcessRegistered: _process,
    R.FactorRegistered: _factor,
}
assert set(_APPLY) == REGISTRY_EVENTS


def apply_registry(conn: Connection, events: Iterable[Event[EventRecord]]) -> None:
    """Applies registry events in chain order."""
    for e in events:
        _APPLY[type(e.record)](conn, e.record)


def rebuild_registry(conn: Connection) -> None:
    """Empties the registry tables and replays every registry event of the archive."""
    for model in _TABLES:
        conn.execute(delete(table(model)))
    ev = table(EventRow)
    query = (
        select(ev)
        .where(ev.c.name.in_(sorted(k.NAME for k in REGISTRY_EVENTS)), ev.c.contract != "Ledger")
        .order_by(ev.c.block_number, ev.c.log_index)
    )
    for row in conn.execute(query):
        record = Event.of_row(row).record
        _APPLY[type(record)](conn, record)
