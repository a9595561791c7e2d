"""Tracenet's Solidity contracts: the compile step, the committed artifacts, Python bindings.

Compile with ``tracenet contracts build`` (``check`` verifies the committed artifacts); deploy
the wired ledger with ``deploy_ledger``, record it as a ``Deployment``, ``attach`` to it later.
Reverts decode to their custom error's name and arguments (``decode_error``, ``LedgerRevert``).

The ledger's language: ``contracts.records`` holds a typed record for every event, struct and
view result, and a request builder for every operation and view, generated from the committed
ABIs (``tracenet contracts codegen``); ``decode_log``/``decode_receipt``/``EventDecoder`` turn
logs into those records; ``LedgerHandle.function``/``read`` send and read them with web3.

Every package reaches a node through one JSON-RPC client: ``RpcClient`` / ``AsyncRpcClient``
(batches, retries with backoff, QBFT headers), or ``connect`` for a QBFT-safe ``Web3``.
"""

from __future__ import annotations

from tracenet.contracts import records as records
from tracenet.contracts._abi import Artifact, artifact_names, load_artifact
from tracenet.contracts._artifacts import Build, check_build, compile_contracts, write_build
from tracenet.contracts._compiler import Compiler, select_compiler
from tracenet.contracts._decoding import (
    LEDGER_CONTRACTS,
    DecodedError,
    DecodedEvent,
    as_ledger_revert,
    decode_error,
    decode_events,
    decode_exception,
)
from tracenet.contracts._deploy import (
    Deployment,
    LedgerHandle,
    Sender,
    attach,
    deploy_ledger,
    transact,
    transit_address,
)
from tracenet.contracts._events import (
    EVENT_TYPES,
    EventDecoder,
    decode_log,
    decode_logs,
    decode_receipt,
)
from tracenet.contracts._record import (
    Call,
    EventRecord,
    Field,
    Operation,
    Query,
    Record,
    StructRecord,
)
from tracenet.contracts._rpc import AsyncRpcClient, BlockHeader, RpcClient, connect
from tracenet.contracts._tokens import (
    month_index,
    period_at,
    period_bounds,
    split_token_id,
    token_id,
)
from tracenet.contracts._vocab import (
    MAX_ACCEPTANCE_WINDOW_S,
    MAX_CLASS_SUPPLY_G,
    MAX_QUANTITY_G,
    PERIOD_INDEX_PREFIX,
    PERIOD_MONTHS,
    TRANSIT_UNIT,
    AcceptanceMode,
    Attribution,
    CertificateStatus,
    Custody,
    LapseReason,
    Model,
    RawMaterial,
    Role,
    RollingOperation,
    SettleMode,
    TransitState,
    certificate_state,
    parse_period_label,
    parse_period_ref,
    period_label,
)

__all__ = [
    "EVENT_TYPES",
    "LEDGER_CONTRACTS",
    "MAX_ACCEPTANCE_WINDOW_S",
    "MAX_CLASS_SUPPLY_G",
    "MAX_QUANTITY_G",
    "PERIOD_INDEX_PREFIX",
    "PERIOD_MONTHS",
    "TRANSIT_UNIT",
    "AcceptanceMode",
    "Artifact",
    "AsyncRpcClient",
    "Attribution",
    "BlockHeader",
    "Build",
    "Call",
    "CertificateStatus",
    "Compiler",
    "Custody",
    "DecodedError",
    "DecodedEvent",
    "Deployment",
    "EventDecoder",
    "EventRecord",
    "Field",
    "LapseReason",
    "LedgerHandle",
    "Model",
    "Operation",
    "Query",
    "RawMaterial",
    "Record",
    "Role",
    "RollingOperation",
    "RpcClient",
    "Sender",
    "SettleMode",
    "StructRecord",
    "TransitState",
    "artifact_names",
    "as_ledger_revert",
    "attach",
    "certificate_state",
    "check_build",
    "compile_contracts",
    "connect",
    "decode_error",
    "decode_events",
    "decode_exception",
    "decode_log",
    "decode_logs",
    "decode_receipt",
    "deploy_ledger",
    "load_artifact",
    "month_index",
    "parse_period_label",
    "parse_period_ref",
    "period_at",
    "period_bounds",
    "period_label",
    "select_compiler",
    "split_token_id",
    "token_id",
    "transact",
    "transit_address",
    "write_build",
]
