"""The Tracenet indexer: a SQL mirror of the ledger's events, and the reports built on it.

    from tracenet.indexer import Follower, IndexerSettings, RpcReader, make_engine

    follower = Follower(make_engine(url), RpcReader(rpc_url), deployment, IndexerSettings())
    follower.init()
    follower.run()          # catch up, then follow the head; rolls back reorgs

``tracenet indexer run|check|serve|keys|verify-report`` drives it from the command line.

A buyer needs none of it to check a claim: ``read_chain`` reads the ledger's events and views
over JSON-RPC alone, ``verify`` checks every rule along a claim's or shipment's lineage, and
``declaration`` issues a shipment's Sustainability Declaration from the chain record
(``tracenet verify claim|shipment ID``, ``tracenet declaration shipment ID``). The mirror's
provenance and ``verify`` share one lineage algorithm (``LineageBook``, pro-rata allocation).
"""

from tracenet.indexer._settings import IndexerSettings
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.api._signing import canonical_json, sign_report, verify_auditor, verify_report
from tracenet.indexer.errors import (
    AccessDeniedError,
    ChainReadError,
    ConcurrentWriterError,
    IndexerError,
    MirrorMismatchError,
    NotFoundError,
    RangeTooLargeError,
    ReorgTooDeepError,
    ReportError,
    SignatureError,
    ValueOutOfRangeError,
)
from tracenet.indexer.lineage._lineage import (
    Lineage,
    LineageBook,
    Origin,
    trace_claim,
    trace_shipment,
)
from tracenet.indexer.mirror._chain import ChainReader, Header, RpcReader, Web3Reader
from tracenet.indexer.mirror._check import CheckReport, Difference, check_mirror
from tracenet.indexer.mirror._decode import Event, EventDecoder, RawLog
from tracenet.indexer.mirror._follower import Follower, StepResult
from tracenet.indexer.mirror._store import make_engine
from tracenet.indexer.verifier._chainread import (
    ChainRecord,
    DeploymentMismatch,
    read_chain,
    read_logs,
)
from tracenet.indexer.verifier._declaration import declaration, to_markdown
from tracenet.indexer.verifier._verify import Check, Verdict, verify

__all__ = [
    "AccessDeniedError",
    "ChainReadError",
    "ChainReader",
    "ChainRecord",
    "Check",
    "CheckReport",
    "ConcurrentWriterError",
    "DeploymentMismatch",
    "Difference",
    "Event",
    "EventDecoder",
    "Follower",
    "Header",
    "IndexerError",
    "IndexerSettings",
    "Lineage",
    "LineageBook",
    "MirrorMismatchError",
    "NotFoundError",
    "Origin",
    "RangeTooLargeError",
    "RawLog",
    "ReorgTooDeepError",
    "ReportError",
    "RpcReader",
    "SignatureError",
    "StepResult",
    "ValueOutOfRangeError",
    "Verdict",
    "Web3Reader",
    "canonical_json",
    "check_mirror",
    "create_app",
    "create_key",
    "declaration",
    "make_engine",
    "read_chain",
    "read_logs",
    "sign_report",
    "to_markdown",
    "trace_claim",
    "trace_shipment",
    "verify",
    "verify_auditor",
    "verify_report",
]
