"""Reading a ledger's whole record over JSON-RPC: every event, and the views that go with them.

Only web3 and the ``contracts.Deployment`` record are used — no database. Logs of the three
contracts are fetched with ``eth_getLogs`` from the deployment block in adaptive block ranges:
at most ``max_range`` blocks per request (Besu's default cap is 1,000), halved when the node
refuses a range, grown back after each success. Logs are decoded with the committed ABIs.

The result, a ``ChainRecord`` (``indexer.verifier._record``, re-exported here), is plain data:
the verifier's checks run over it and nothing else, so a test can tamper with any part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from tracenet import contracts
from tracenet.contracts import Custody
from tracenet.contracts import records as R
from tracenet.indexer.errors import ChainReadError, IndexerError
from tracenet.indexer.lineage._lineage import (
    CertificatesTransferred,
    Claimed,
    Converted,
    EventRef,
    InputRecorded,
    InventoryTransferred,
    Lapsed,
    LedgerEvent,
    PeriodClosed,
    Shipped,
    TransitClosed,
    TransitOpened,
)
from tracenet.indexer.verifier._record import (
    CertificateInfo,
    ChainRecord,
    FactorInfo,
    PartyInfo,
    ProcessInfo,
    UnitInfo,
)

__all__ = [
    "DEFAULT_MAX_RANGE",
    "CertificateInfo",
    "ChainRecord",
    "DeploymentMismatch",
    "FactorInfo",
    "PartyInfo",
    "ProcessInfo",
    "UnitInfo",
    "ViewReader",
    "assemble",
    "read_chain",
    "read_logs",
]

#: Blocks per eth_getLogs request unless told otherwise (Besu's default limit).
DEFAULT_MAX_RANGE = 1_000


class DeploymentMismatch(IndexerError):
    """The deployment record does not fit the chain: another chain id, no code at an address,
    or contracts that are not the ledger's. Not retryable. (To move into ``indexer.errors``.)"""

    code = "IDX205"


def read_logs(
    w3: Web3,
    addresses: Sequence[str],
    from_block: int,
    to_block: int,
    *,
    max_range: int = DEFAULT_MAX_RANGE,
) -> list[Any]:
    """Every log of ``addresses`` in ``[from_block, to_block]``, in adaptive block ranges."""
    logs: list[Any] = []
    step, start = max(1, max_range), from_block
    while start <= to_block:
        end = min(start + step - 1, to_block)
        try:
            chunk = w3.eth.get_logs(
                {"address": list(addresses), "fromBlock": start, "toBlock": end}  # type: ignore[typeddict-item]
            )
        except (OSError, ConnectionError) as exc:
            raise ChainReadError(f"eth_getLogs failed: {exc}", field="rpc_url") from exc
        except Exception as exc:  # a node refusing the range (too many blocks or results)
            if step == 1:
                message = f"eth_getLogs refused block {start}: {exc}"
                raise ChainReadError(message, field="range") from exc
            step = max(1, step // 2)
            continue
        logs.extend(chunk)
        start = end + 1
        step = min(max(1, max_range), step * 2)
    return logs


def read_chain(
    w3: Web3, deployment: contracts.Deployment, *, max_range: int = DEFAULT_MAX_RANGE
) -> ChainRecord:
    """Every event of the deployment up to the head, and the views the verifier needs, read
    at that same head block so that counters and events agree on a live chain."""
    try:
        handle = contracts.attach(w3, deployment)
    except contracts.errors.DeploymentError as exc:
        raise DeploymentMismatch(str(exc), field="deployment") from exc
    head = w3.eth.block_number
    addresses = [deployment.addresses[n] for n in contracts.LEDGER_CONTRACTS]
    raw = read_logs(w3, addresses, deployment.block_number, head, max_range=max_range)
    times: dict[int, int] = {}

    def time_of(number: int) -> int:
        if number not in times:
            times[number] = int(w3.eth.get_block(number)["timestamp"])
        return times[number]

    def read(query: contracts.Query) -> Any:
        return handle.read(query, head)

    return assemble(deployment, head, raw, time_of, read)


#: Answers one view of the ledger at the record's head (``LedgerHandle.read`` on a live chain;
#: an archive answers from its own events).
ViewReader = Callable[[contracts.Query], Any]


def assemble(
    deployment: contracts.Deployment,
    head: int,
    raw: list[Any],
    time_of: Callable[[int], int],
    read: ViewReader,
) -> ChainRecord:
    """The ``ChainRecord`` of ``raw`` logs (as ``eth_getLogs`` answers them) up to ``head``,
    with each block's time from ``time_of`` and the views from ``read``."""
    raw = sorted(raw, key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))
    registry: dict[type[Any], list[tuple[EventRef, Any]]] = {}
    events: list[LedgerEvent] = []
    decoder = contracts.EventDecoder(deployment.addresses)
    for log in raw:
        record = decoder.decode(log)
        if record is None:
            continue
        number = int(log["blockNumber"])
        ref = EventRef(
            number,
            int(log["logIndex"]),
            HexBytes(log["transactionHash"]).to_0x_hex(),
            time_of(number),
        )
        builder = _LEDGER.get(type(record))
        if builder is not None:
            events.append(builder(ref, record))
        else:
            registry.setdefault(type(record), []).append((ref, record))
    try:
        return _views(deployment, read, head, tuple(events), registry)
    except OSError as exc:
        raise ChainReadError(f"reading the views failed: {exc}", field="rpc_url") from exc
    except Exception as exc:  # a view that reverts or answers nonsense
        raise DeploymentMismatch(
            f"the contracts at the recorded addresses are not one ledger: {exc!r}",
            field="deployment",
        ) from exc


def _lines(ids: Sequence[int], amounts: Sequence[int]) -> tuple[tuple[int, int], ...]:
    return tuple(zip(ids, amounts, strict=False))


_Builder = Callable[[EventRef, Any], LedgerEvent]
_LEDGER: dict[type[Any], _Builder] = {
    R.InputRecorded: lambda r, e: InputRecorded(
        r, e.input_id, e.unit_id, e.token_id, e.certificate_id, e.amount, e.evidence_hash
    ),
    R.Shipped: lambda r, e: Shipped(
        r, e.shipment_id, e.from_unit_id, e.to_unit_id, e.product_group_id, e.quantity,
        e.document_hash, e.order_ref, e.product, _lines(e.token_ids, e.amounts),
    ),
    R.InventoryTransferred: lambda r, e: InventoryTransferred(
        r, e.from_unit_id, e.to_unit_id, _lines(e.token_ids, e.amounts)
    ),
    R.CertificatesTransferred: lambda r, e: CertificatesTransferred(
        r, e.from_unit_id, e.to_unit_id, e.trade_ref, _lines(e.token_ids, e.amounts)
    ),
    R.Converted: lambda r, e: Converted(
        r, e.conversion_id, e.unit_id, e.process_id, e.factor_version, e.yield_bps,
        _lines(e.input_token_ids, e.input_amounts), e.output_token_id, e.output_amount,
    ),
    R.Claimed: lambda r, e: Claimed(
        r, e.claim_id, e.unit_id, e.beneficiary, e.product, e.purpose,
        _lines(e.token_ids, e.amounts),
    ),
    R.Lapsed: lambda r, e: Lapsed(r, e.unit_id, e.token_id, e.amount, int(e.reason), e.period),
    R.PeriodClosed: lambda r, e: PeriodClosed(
        r, e.unit_id, e.class_id, e.period, e.book_stock, e.physical_stock, e.lapsed
    ),
    R.TransitOpened: lambda r, e: TransitOpened(
        r, e.shipment_id, e.from_unit_id, e.to_unit_id, e.deadline, int(e.settle)
    ),
    R.TransitClosed: lambda r, e: TransitClosed(
        r, e.shipment_id, e.unit_id, int(e.state), e.reason, _lines(e.token_ids, e.amounts)
    ),
}  # fmt: skip


def _views(
    deployment: contracts.Deployment,
    read: ViewReader,
    head: int,
    events: tuple[LedgerEvent, ...],
    registry: dict[type[Any], list[tuple[EventRef, Any]]],
) -> ChainRecord:
    def of(kind: type[Any]) -> list[Any]:
        return [e for _, e in registry.get(kind, [])]

    parties = {
        e.party_id: PartyInfo(e.party_id, e.name, e.identifier, int(e.roles))
        for e in of(R.PartyRegistered)
    }
    for e in of(R.PartyRolesChanged):
        p = parties[e.party_id]
        parties[p.party_id] = PartyInfo(p.party_id, p.name, p.identifier, int(e.roles))
    units = {
        e.unit_id: UnitInfo(e.unit_id, e.party_id, e.boundary_id, e.name, e.location)
        for e in of(R.UnitRegistered)
    }
    schemes = {e.scheme_id: (e.name, e.max_period_months) for e in of(R.SchemeRegistered)}
    groups = {e.product_group_id: (e.name, e.max_share_bps) for e in of(R.ProductGroupRegistered)}
    classes = {e.class_id: e.spec for e in of(R.ClassRegistered)}
    factors: dict[int, list[FactorInfo]] = {}
    for e in of(R.FactorRegistered):
        factors.setdefault(e.process_id, []).append(
            FactorInfo(e.version, e.yield_bps, e.effective_from, e.evidence_hash)
        )
    processes = {
        e.process_id: ProcessInfo(
            e.process_id, e.unit_id, e.input_class_id, e.output_class_id, e.name,
            tuple(sorted(factors.get(e.process_id, []), key=lambda f: f.version)),
        )
        for e in of(R.ProcessRegistered)
    }  # fmt: skip
    revoked_at = {e.certificate_id: ref for ref, e in registry.get(R.CertificateRevoked, [])}
    certificates = {}
    for ref, e in registry.get(R.CertificateRegistered, []):
        cid = e.certificate_id
        view = read(R.CertificateQuery(certificate_id=cid))
        certificates[cid] = CertificateInfo(
            cid, e.holder_party_id, e.scheme_id, e.certifier_party_id, e.number,
            e.valid_from, e.valid_until, e.audited_volume, e.class_ids,
            e.unit_ids, view.revoked, revoked_at.get(cid), ref,
        )  # fmt: skip
    custody: dict[int, list[tuple[EventRef, Custody]]] = {}
    for ref, e in registry.get(R.SchemeCustodySet, []):
        custody.setdefault(e.scheme_id, []).append((ref, Custody(e.custody)))
    ids = tuple(sorted(classes))
    supply = read(R.SupplyOfBatchQuery(class_ids=ids)) if classes else ()
    wiring = {
        "Consortium.ledger": read(R.LedgerQuery()),
        "Ledger.consortium": read(R.LedgerConsortiumQuery()),
        "Ledger.catalog": read(R.CatalogQuery()),
        "Catalog.consortium": read(R.CatalogConsortiumQuery()),
    }
    counts = read(R.LedgerCountsQuery())
    return ChainRecord(
        chain_id=deployment.chain_id,
        addresses=dict(deployment.addresses),
        head_block=head,
        events=events,
        parties=parties,
        units=units,
        schemes=schemes,
        product_groups=groups,
        classes=classes,
        processes=processes,
        certificates=certificates,
        scheme_custody={k: tuple(v) for k, v in custody.items()},
        counts=(counts.inputs, counts.shipments, counts.conversions, counts.claims),
        claimed={c: s.claimed for c, s in zip(ids, supply, strict=True)},
        wiring=wiring,
        conventional=tuple(
            (ref, e.unit_id, e.product_group_id, e.quantity)
            for ref, e in registry.get(R.ConventionalInputRecorded, [])
        ),
        rolling=tuple(e for _, e in registry.get(R.RollingShareApplied, [])),
        class_registered_at={e.class_id: ref for ref, e in registry.get(R.ClassRegistered, [])},
    )
