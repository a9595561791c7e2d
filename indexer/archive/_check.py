"""``check_archive``: an archive checked and its books recomputed from its files alone; with a
node, also whether it is the chain's own record.

Offline (no node, no gateway, no indexer): every file's SHA-256 equals the manifest's; the logs
lie in the archived blocks, in order; decoding ``logs.jsonl`` with the ledger's ABI gives
``events.jsonl`` exactly; the books (balances folded from the ledger's events and, separately,
from its ERC-1155 transfers; each class's supply) balance under R13 and equal the views the ledger
answered at the head (``views.json``); every published document's SHA-256 is anchored by an
event; and every claim's verdict is computed by the chain-only verifier over the archive.

With a node (``w3``): every archived block hash is the chain's at that height (the anchors), the
chain's logs up to the archive's head are the archive's, and the ledger's views and balances at
that head equal the recomputed books.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from tracenet import contracts
from tracenet.contracts import records as R
from tracenet.indexer.archive import _format as F
from tracenet.indexer.archive._books import Books, compute_books
from tracenet.indexer.archive._export import ArchiveError, hashes_in, raw_log
from tracenet.indexer.verifier._chainread import DEFAULT_MAX_RANGE, assemble, read_logs
from tracenet.indexer.verifier._verify import Verdict, verify

__all__ = ["ArchiveCheck", "ArchiveReport", "check_archive", "load_manifest"]


@dataclass(frozen=True)
class ArchiveCheck:
    name: str
    ok: bool
    detail: str


@dataclass
class ArchiveReport:
    manifest: dict[str, Any]
    checks: list[ArchiveCheck] = field(default_factory=list)
    books: Books | None = None
    verdicts: dict[int, Verdict] = field(default_factory=dict)
    against_chain: bool = False
    #: class id -> its registered name (``ClassRegistered``)
    class_names: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks) and all(v.ok for v in self.verdicts.values())

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(ArchiveCheck(name, ok, detail))
        return ok


def load_manifest(folder: Path) -> dict[str, Any]:
    path = folder / F.MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ArchiveError(f"{folder}: no archive here ({exc.strerror})", field="archive") from exc
    except ValueError as exc:
        raise ArchiveError(f"{path}: not JSON", field="archive") from exc
    if manifest.get("format") != F.FORMAT or manifest.get("version") != F.VERSION:
        raise ArchiveError(
            f"{path}: not a {F.FORMAT} version {F.VERSION} manifest", field="archive"
        )
    return manifest


def check_archive(
    folder: Path,
    *,
    claims: list[int] | None = None,
    w3: Web3 | None = None,
    max_range: int = DEFAULT_MAX_RANGE,
) -> ArchiveReport:
    """Check the archive in ``folder``; ``claims`` (default: every claim) get a verdict."""
    report = ArchiveReport(load_manifest(folder))
    manifest = report.manifest
    if not _files_intact(folder, manifest, report):
        return report  # nothing else can be trusted
    deployment = contracts.Deployment.from_json(json.dumps(manifest["deployment"]))
    logs = list(F.read_lines(folder / F.LOGS))
    blocks = {b["number"]: b for b in F.read_lines(folder / F.BLOCKS)}
    head = manifest["head"]["number"]
    in_blocks = all(
        log["block_number"] in blocks and blocks[log["block_number"]]["hash"] == log["block_hash"]
        for log in logs
    )
    ordered = logs == sorted(logs, key=lambda x: (x["block_number"], x["log_index"]))
    report.add(
        "logs-anchored",
        in_blocks and ordered and head in blocks and all(n <= head for n in blocks),
        f"{len(logs)} logs in chain order, each in an archived block up to block {head}",
    )
    decoder = contracts.EventDecoder(deployment.addresses)
    records = []
    for log in logs:
        record = decoder.decode(log)
        if record is not None:
            records.append((log, record))
    events = list(F.read_lines(folder / F.EVENTS))
    decoded = [
        {"block_number": log["block_number"], "log_index": log["log_index"],
         "event": rec.NAME, "args": F.jsonable(rec)}
        for log, rec in records
    ]  # fmt: skip
    listed = [{k: e[k] for k in ("block_number", "log_index", "event", "args")} for e in events]
    same = decoded == listed
    report.add(
        "events-decode",
        same,
        f"{len(events)} events are the logs decoded with the ledger's ABI"
        if same
        else f"events.jsonl differs from its logs at event {_first_difference(decoded, listed)}",
    )
    views = json.loads((folder / F.VIEWS).read_text(encoding="utf-8"))
    class_ids = [int(c) for c in views.get("supply", {})]
    books = compute_books((r for _, r in records), class_ids)
    report.books = books
    _books_balance(books, views, report)
    _documents(folder, manifest, {d for _, r in records for d in hashes_in(r)}, report)
    times = {n: b["timestamp"] for n, b in blocks.items()}
    chain = assemble(
        deployment, head, [_as_rpc_log(x) for x in logs], times.__getitem__, _offline(views)
    )
    report.class_names = {c: spec.name for c, spec in chain.classes.items()}
    every = [r.claim_id for _, r in records if isinstance(r, R.Claimed)]
    wanted = claims if claims is not None else every
    unknown = sorted(set(wanted) - set(every))
    if unknown:
        report.add("claims-exist", False, f"no claim {', '.join(map(str, unknown))} in the archive")
    for claim_id in (c for c in wanted if c not in unknown):
        report.verdicts[claim_id] = verify(chain, "claim", claim_id)
    if w3 is not None:
        report.against_chain = True
        _against_chain(w3, deployment, head, blocks, logs, books, views, report, max_range)
    return report


def _files_intact(folder: Path, manifest: dict[str, Any], report: ArchiveReport) -> bool:
    listed: dict[str, str] = manifest.get("files", {})
    present = {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != F.MANIFEST
    }
    missing = sorted(set(listed) - present)
    extra = sorted(present - set(listed))
    changed = sorted(n for n in set(listed) & present if F.file_digest(folder / n) != listed[n])
    required = {F.LOGS, F.EVENTS, F.BLOCKS, F.VIEWS}
    problems = [f"{n} changed since export" for n in changed]
    problems += [f"{n} missing" for n in missing] + [f"{n} not in the manifest" for n in extra]
    problems += [f"{n} not listed" for n in sorted(required - set(listed))]
    return report.add(
        "files-intact",
        not problems,
        "every file's SHA-256 is the manifest's" if not problems else "; ".join(problems),
    )


def _books_balance(books: Books, views: dict[str, Any], report: ArchiveReport) -> None:
    unbalanced = [c for c, s in books.supply.items() if not s.balanced]
    report.add(
        "r13-reconciles",
        not unbalanced,
        f"{len(books.supply)} classes: issued + converted in = held + claimed + lapsed + "
        "converted out"
        + ("" if not unbalanced else f"; not for class {', '.join(map(str, unbalanced))}"),
    )
    report.add(
        "no-negative-balance",
        not books.negative,
        "no unit ever held less than nothing"
        if not books.negative
        else f"{len(books.negative)} (unit, token) balances went below zero",
    )
    report.add(
        "two-folds-agree",
        books.balances_agree(),
        f"{len(books.balances)} holdings: the ledger's events and its ERC-1155 transfers agree",
    )
    recomputed = {str(c): F.jsonable(s) for c, s in books.supply.items()}
    recorded = {c: {k: v for k, v in s.items()} for c, s in views.get("supply", {}).items()}
    report.add(
        "supply-equals-ledger",
        {c: recomputed.get(c) for c in recorded} == recorded,
        "each class's supply equals the ledger's own counters at the head",
    )
    counts = views.get("ledger_counts", {})
    mine = dict(zip(("inputs", "shipments", "conversions", "claims"), books.counts, strict=True))
    report.add("counts-equal-ledger", mine == counts, f"ledger counters {mine}")
    certs = views.get("certificates", {})
    wrong = [
        c
        for c, v in certs.items()
        if v["status"] != books.status.get(int(c), 0)
        or v["used_volume"] != books.used_volume.get(int(c), 0)
    ]
    report.add(
        "certificates-equal-ledger",
        not wrong,
        f"{len(certs)} certificates: statuses and used volumes as the ledger answered"
        if not wrong
        else f"certificates {', '.join(wrong)} differ from the ledger's answer",
    )


def _documents(
    folder: Path, manifest: dict[str, Any], anchors: set[str], report: ArchiveReport
) -> None:
    published = manifest.get("documents", {})
    if not published:
        return
    loose = [d for d in published if d not in anchors]
    report.add(
        "documents-anchored",
        not loose,
        f"{len(published)} published documents, each carried by an event"
        if not loose
        else f"{len(loose)} documents no event carries",
    )


def _as_rpc_log(log: dict[str, Any]) -> dict[str, Any]:
    return {
        "blockNumber": log["block_number"],
        "blockHash": log["block_hash"],
        "logIndex": log["log_index"],
        "transactionHash": log["transaction_hash"],
        "address": log["address"],
        "topics": log["topics"],
        "data": log["data"],
    }


def _offline(views: dict[str, Any]) -> Callable[[contracts.Query], Any]:
    """Answers the views the verifier reads with what the ledger answered at the archive's head
    (``views.json``), never a node; the books were compared with the same answers above."""
    wiring = views.get("wiring", {})

    def read(query: contracts.Query) -> Any:
        if isinstance(query, R.CertificateQuery):
            answer = views.get("certificates", {}).get(str(query.certificate_id), {})
            return _Stated(int(answer.get("status", 0)))
        if isinstance(query, R.SupplyOfBatchQuery):
            supply = views.get("supply", {})
            return tuple(R.Supply(**_ints(supply.get(str(c), {}))) for c in query.class_ids)
        if isinstance(query, R.LedgerCountsQuery):
            return R.LedgerCounts(**_ints(views.get("ledger_counts", {})))
        name = _WIRING.get(type(query))
        if name is not None:
            return wiring.get(name)
        raise ArchiveError(f"the archive cannot answer {type(query).__name__}", field="archive")

    return read


_WIRING: dict[type[Any], str] = {
    R.LedgerQuery: "Consortium.ledger",
    R.LedgerConsortiumQuery: "Ledger.consortium",
    R.CatalogQuery: "Ledger.catalog",
    R.CatalogConsortiumQuery: "Catalog.consortium",
}


def _ints(values: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in values.items()}


@dataclass(frozen=True)
class _Stated:
    status: int


def _first_difference(a: list[Any], b: list[Any]) -> str:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"{i + 1} (block {x.get('block_number')}, log {x.get('log_index')})"
    return f"{min(len(a), len(b)) + 1} (one file is longer: {len(a)} against {len(b)})"


def _against_chain(
    w3: Web3,
    deployment: contracts.Deployment,
    head: int,
    blocks: dict[int, dict[str, Any]],
    logs: list[dict[str, Any]],
    books: Books,
    views: dict[str, Any],
    report: ArchiveReport,
    max_range: int,
) -> None:
    if w3.eth.chain_id != deployment.chain_id or w3.eth.block_number < head:
        report.add(
            "chain-anchors",
            False,
            f"the node is chain {w3.eth.chain_id} at block {w3.eth.block_number}; the archive is "
            f"chain {deployment.chain_id} up to block {head}",
        )
        return
    differ = [
        n
        for n, b in blocks.items()
        if HexBytes(w3.eth.get_block(n)["hash"]).to_0x_hex() != b["hash"]
    ]
    report.add(
        "chain-anchors",
        not differ,
        f"{len(blocks)} archived block hashes are the chain's"
        if not differ
        else f"block {differ[0]} (and {len(differ) - 1} more) differ: another fork or chain",
    )
    addresses = [deployment.addresses[n] for n in contracts.LEDGER_CONTRACTS]
    chain_logs = read_logs(w3, addresses, deployment.block_number, head, max_range=max_range)
    theirs = sorted(map(raw_log, chain_logs), key=lambda x: (x["block_number"], x["log_index"]))
    report.add(
        "chain-logs",
        theirs == logs,
        f"the chain's {len(theirs)} logs up to block {head} are the archive's"
        if theirs == logs
        else f"the chain has {len(theirs)} logs up to block {head}, the archive {len(logs)}, "
        f"first difference at {_first_difference(theirs, logs)}",
    )
    handle = contracts.attach(w3, deployment)
    pairs = sorted(books.balances)
    on_chain = (
        handle.read(
            R.BalanceOfUnitBatchQuery(
                unit_ids=tuple(u for u, _ in pairs), token_ids=tuple(t for _, t in pairs)
            ),
            head,
        )
        if pairs
        else ()
    )
    wrong = [p for p, grams in zip(pairs, on_chain, strict=True) if books.balances[p] != grams]
    report.add(
        "chain-balances",
        not wrong,
        f"{len(pairs)} holdings equal the ledger's balances at block {head}"
        if not wrong
        else f"{len(wrong)} holdings differ from the ledger's, first unit {wrong[0][0]}",
    )
