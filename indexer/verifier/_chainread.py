"""Reading a ledger's whole record over JSON-RPC: every event, and the views that go with them.

Only web3 and the ``contracts.Deployment`` record are used — no database. Logs of the three
contracts are fetched with ``eth_getLogs`` from the deployment block in adaptive block ranges:
at most ``max_range`` blocks per request (Besu's default cap is 1,000), halved when the node
refuses a range, grown back after each success. Logs are decoded with the committed ABIs.

The result, a ``ChainRecord``, is plain data: the verifier's checks run over it and nothing else,
so a test can tamper with any part of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

import contracts
from indexer.errors import ChainReadError, IndexerError
from indexer.lineage._lineage import (
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
)

__all__ = [
    "DEFAULT_MAX_RANGE",
    "CertificateInfo",
    "ChainRecord",
    "ClassInfo",
    "DeploymentMismatch",
    "FactorInfo",
    "PartyInfo",
    "ProcessInfo",
    "UnitInfo",
    "read_chain",
    "read_logs",
]

#: Blocks per eth_getLogs request unless told otherwise (Besu's default limit).
DEFAULT_MAX_RANGE = 1_000


class DeploymentMismatch(IndexerError):
    """The deployment record does not fit the chain: another chain id, no code at an address,
    or contracts that are not the ledger's. Not retryable. (To move into ``indexer.errors``.)"""

    code = "IDX205"


@dataclass(frozen=True)
class PartyInfo:
    party_id: int
    name: str
    identifier: bytes
    roles: int


@dataclass(frozen=True)
class UnitInfo:
    unit_id: int
    party_id: int
    boundary_id: int
    name: str
    location: str


@dataclass(frozen=True)
class CertificateInfo:
    certificate_id: int
    holder_party_id: int
    scheme_id: int
    certifier_party_id: int
    number: str
    valid_from: int
    valid_until: int  # valid in [valid_from, valid_until)
    audited_volume: int
    class_ids: tuple[int, ...]
    unit_ids: tuple[int, ...]
    revoked: bool  # the view, now
    revoked_at: EventRef | None  # the CertificateRevoked event


@dataclass(frozen=True)
class ClassInfo:
    class_id: int
    name: str
    characteristic: str
    scheme_id: int
    product_group_id: int
    model: int  # 0 mass balance, 1 segregated, 2 book and claim
    attribution: int  # 0 credit method, 1 rolling average
    period_months: int
    window_periods: int
    cap_at_stock: bool
    raw_material: int  # 0 circular, 1 bio-circular, 2 bio, 3 renewable-energy-derived
    waste: bool
    sustainable_factor: int  # gCO2e per kg
    conventional_factor: int


@dataclass(frozen=True)
class FactorInfo:
    version: int
    yield_bps: int
    effective_from: int
    evidence_hash: bytes


@dataclass(frozen=True)
class ProcessInfo:
    process_id: int
    unit_id: int
    input_class_id: int
    output_class_id: int
    name: str
    factors: tuple[FactorInfo, ...]  # by version


@dataclass(frozen=True)
class ChainRecord:
    """A ledger's record as read from the chain: events in chain order, and named views."""

    chain_id: int
    addresses: Mapping[str, str]
    head_block: int
    events: tuple[LedgerEvent, ...]
    parties: Mapping[int, PartyInfo]
    units: Mapping[int, UnitInfo]
    schemes: Mapping[int, tuple[str, int]]  # id -> (name, max period months)
    product_groups: Mapping[int, tuple[str, int]]  # id -> (name, max share bps)
    classes: Mapping[int, ClassInfo]
    processes: Mapping[int, ProcessInfo]
    certificates: Mapping[int, CertificateInfo]
    counts: tuple[int, int, int, int]  # the ledger's inputs, shipments, conversions, claims
    claimed: Mapping[int, int]  # class id -> grams claimed, by the ledger's counters
    wiring: Mapping[str, str]  # what the contracts say about each other (consortium.ledger…)


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
    raw.sort(key=lambda log: (log["blockNumber"], log["logIndex"]))
    times: dict[int, int] = {}
    registry: dict[str, list[tuple[EventRef, dict[str, Any]]]] = {}
    events: list[LedgerEvent] = []
    for log in raw:
        decoded = contracts.decode_events({"logs": [log]}, addresses=deployment.addresses)
        if not decoded:
            continue
        number = int(log["blockNumber"])
        if number not in times:
            times[number] = int(w3.eth.get_block(number)["timestamp"])
        ref = EventRef(
            number,
            int(log["logIndex"]),
            HexBytes(log["transactionHash"]).to_0x_hex(),
            times[number],
        )
        name, args = decoded[0].event, decoded[0].args
        builder = _LEDGER.get(name)
        if decoded[0].contract == "Ledger" and builder is not None:
            events.append(builder(ref, args))
        else:
            registry.setdefault(name, []).append((ref, args))
    try:
        return _views(handle, head, tuple(events), registry)
    except OSError as exc:
        raise ChainReadError(f"reading the views failed: {exc}", field="rpc_url") from exc
    except Exception as exc:  # a view that reverts or answers nonsense
        raise DeploymentMismatch(
            f"the contracts at the recorded addresses are not one ledger: {exc!r}",
            field="deployment",
        ) from exc


def _lines(ids: list[int], amounts: list[int]) -> tuple[tuple[int, int], ...]:
    return tuple(zip(ids, amounts, strict=False))


_Builder = Callable[[EventRef, dict[str, Any]], LedgerEvent]
_LEDGER: dict[str, _Builder] = {
    "InputRecorded": lambda r, a: InputRecorded(
        r, a["inputId"], a["unitId"], a["tokenId"], a["certificateId"], a["amount"],
        a["evidenceHash"],
    ),
    "Shipped": lambda r, a: Shipped(
        r, a["shipmentId"], a["fromUnitId"], a["toUnitId"], a["productGroupId"], a["quantity"],
        a["documentHash"], a["orderRef"], a["product"], _lines(a["tokenIds"], a["amounts"]),
    ),
    "InventoryTransferred": lambda r, a: InventoryTransferred(
        r, a["fromUnitId"], a["toUnitId"], _lines(a["tokenIds"], a["amounts"])
    ),
    "CertificatesTransferred": lambda r, a: CertificatesTransferred(
        r, a["fromUnitId"], a["toUnitId"], a["tradeRef"], _lines(a["tokenIds"], a["amounts"])
    ),
    "Converted": lambda r, a: Converted(
        r, a["conversionId"], a["unitId"], a["processId"], a["factorVersion"], a["yieldBps"],
        _lines(a["inputTokenIds"], a["inputAmounts"]), a["outputTokenId"], a["outputAmount"],
    ),
    "Claimed": lambda r, a: Claimed(
        r, a["claimId"], a["unitId"], a["beneficiary"], a["product"], a["purpose"],
        _lines(a["tokenIds"], a["amounts"]),
    ),
    "Lapsed": lambda r, a: Lapsed(
        r, a["unitId"], a["tokenId"], a["amount"], a["reason"], a["period"]
    ),
    "PeriodClosed": lambda r, a: PeriodClosed(
        r, a["unitId"], a["classId"], a["period"], a["bookStock"], a["physicalStock"], a["lapsed"]
    ),
}  # fmt: skip


def _views(
    handle: contracts.LedgerHandle,
    head: int,
    events: tuple[LedgerEvent, ...],
    registry: dict[str, list[tuple[EventRef, dict[str, Any]]]],
) -> ChainRecord:
    con, cat, led = handle.consortium.functions, handle.catalog.functions, handle.ledger.functions

    def of(name: str) -> list[dict[str, Any]]:
        return [a for _, a in registry.get(name, [])]

    parties = {
        a["partyId"]: PartyInfo(a["partyId"], a["name"], a["identifier"], a["roles"])
        for a in of("PartyRegistered")
    }
    for a in of("PartyRolesChanged"):
        p = parties[a["partyId"]]
        parties[p.party_id] = PartyInfo(p.party_id, p.name, p.identifier, a["roles"])
    units = {
        a["unitId"]: UnitInfo(a["unitId"], a["partyId"], a["boundaryId"], a["name"], a["location"])
        for a in of("UnitRegistered")
    }
    schemes = {a["schemeId"]: (a["name"], a["maxPeriodMonths"]) for a in of("SchemeRegistered")}
    groups = {
        a["productGroupId"]: (a["name"], a["maxShareBps"]) for a in of("ProductGroupRegistered")
    }
    classes = {a["classId"]: ClassInfo(a["classId"], *a["spec"]) for a in of("ClassRegistered")}
    factors: dict[int, list[FactorInfo]] = {}
    for a in of("FactorRegistered"):
        factors.setdefault(a["processId"], []).append(
            FactorInfo(a["version"], a["yieldBps"], a["effectiveFrom"], a["evidenceHash"])
        )
    processes = {
        a["processId"]: ProcessInfo(
            a["processId"], a["unitId"], a["inputClassId"], a["outputClassId"], a["name"],
            tuple(sorted(factors.get(a["processId"], []), key=lambda f: f.version)),
        )
        for a in of("ProcessRegistered")
    }  # fmt: skip
    revoked_at = {a["certificateId"]: ref for ref, a in registry.get("CertificateRevoked", [])}
    certificates = {}
    for a in of("CertificateRegistered"):
        cid = a["certificateId"]
        view = con.certificate(cid).call(block_identifier=head)
        certificates[cid] = CertificateInfo(
            cid, a["holderPartyId"], a["schemeId"], a["certifierPartyId"], a["number"],
            a["validFrom"], a["validUntil"], a["auditedVolume"], tuple(a["classIds"]),
            tuple(a["unitIds"]), bool(view[5]), revoked_at.get(cid),
        )  # fmt: skip
    supply = led.supplyOfBatch(sorted(classes)).call(block_identifier=head) if classes else []
    wiring = {
        "Consortium.ledger": con.ledger().call(block_identifier=head),
        "Ledger.consortium": led.consortium().call(block_identifier=head),
        "Ledger.catalog": led.catalog().call(block_identifier=head),
        "Catalog.consortium": cat.consortium().call(block_identifier=head),
    }
    return ChainRecord(
        chain_id=handle.deployment.chain_id,
        addresses=dict(handle.deployment.addresses),
        head_block=head,
        events=events,
        parties=parties,
        units=units,
        schemes=schemes,
        product_groups=groups,
        classes=classes,
        processes=processes,
        certificates=certificates,
        counts=tuple(led.counts().call(block_identifier=head)),
        claimed={c: int(s[3]) for c, s in zip(sorted(classes), supply, strict=True)},
        wiring={k: Web3.to_checksum_address(v) for k, v in wiring.items()},
    )
