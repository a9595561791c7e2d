"""The Tracenet indexer: a SQL mirror of the ledger's events, and the reports built on it.

    from indexer import Follower, IndexerSettings, RpcReader, make_engine

    follower = Follower(make_engine(url), RpcReader(rpc_url), deployment, IndexerSettings())
    follower.init()
    follower.run()          # catch up, then follow the head; rolls back reorgs

``tracenet indexer run|check|serve|keys|verify-report`` drives it from the command line.
"""

from indexer._api import create_app
from indexer._chain import ChainReader, Header, RpcReader, Web3Reader
from indexer._check import CheckReport, Difference, check_mirror
from indexer._decode import Event, EventDecoder, RawLog
from indexer._follower import Follower, StepResult
from indexer._settings import IndexerSettings
from indexer._signing import canonical_json, sign_report, verify_report
from indexer._store import make_engine
from indexer.errors import (
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

__all__ = [
    "AccessDeniedError",
    "ChainReadError",
    "ChainReader",
    "CheckReport",
    "ConcurrentWriterError",
    "Difference",
    "Event",
    "EventDecoder",
    "Follower",
    "Header",
    "IndexerError",
    "IndexerSettings",
    "MirrorMismatchError",
    "NotFoundError",
    "RangeTooLargeError",
    "RawLog",
    "ReorgTooDeepError",
    "ReportError",
    "RpcReader",
    "SignatureError",
    "StepResult",
    "ValueOutOfRangeError",
    "Web3Reader",
    "canonical_json",
    "check_mirror",
    "create_app",
    "make_engine",
    "sign_report",
    "verify_report",
]
