"""``tracenet archive export|verify``.

Exit codes: 0 written, or the archive holds (every check and every claim); 1 a check or a claim
fails; 2 usage, an unreadable archive or deployment record, or a node that does not answer.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tracenet import contracts
from tracenet.indexer._settings import IndexerSettings
from tracenet.indexer.archive._check import ArchiveReport, check_archive
from tracenet.indexer.archive._export import ArchiveError, export_archive
from tracenet.indexer.errors import ChainReadError
from tracenet.kit import iso_time

__all__ = ["register"]

EXIT_OK, EXIT_FAILS, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    archive = subparsers.add_parser(
        "archive", help="export the ledger's record to files; verify them with no server"
    )
    commands = archive.add_subparsers(dest="archive_command", required=True, metavar="COMMAND")
    export = commands.add_parser("export", help="write every event of a deployment to a folder")
    export.add_argument("--out", type=Path, required=True, help="a new, empty folder")
    export.add_argument("--rpc-url", help="JSON-RPC endpoint (default TRACENET_INDEXER_RPC_URL)")
    export.add_argument("--deployment", type=Path, metavar="PATH", help="deployment record")
    export.add_argument(
        "--documents",
        type=Path,
        metavar="DIR",
        help="publish these files too (each must be anchored by an event carrying its SHA-256)",
    )
    export.set_defaults(handler=_export)
    check = commands.add_parser(
        "verify", help="recompute the books and every claim's verdict from an archive alone"
    )
    check.add_argument("archive", type=Path, help="the archive's folder")
    check.add_argument(
        "--rpc-url", help="also compare with this node's chain (anchors, logs, balances)"
    )
    check.add_argument(
        "--claim", type=int, action="append", metavar="ID", help="only these claims (repeat)"
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(handler=_verify)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"tracenet: error: {message}", file=sys.stderr)
    return code


def _export(args: argparse.Namespace) -> int:
    try:
        settings = IndexerSettings()
    except ValueError as exc:
        return _fail(f"bad TRACENET_INDEXER_* settings: {exc}")
    url = args.rpc_url or settings.rpc_url
    path = args.deployment or settings.deployment
    try:
        deployment = contracts.Deployment.load(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return _fail(f"cannot read deployment record {path}: {exc}")
    try:
        summary = export_archive(
            contracts.connect(url),
            deployment,
            args.out,
            documents=args.documents,
            max_range=settings.max_block_range,
            say=lambda line: print(line, file=sys.stderr),
        )
    except ArchiveError as exc:
        return _fail(exc.message)
    except (ChainReadError, OSError) as exc:
        return _fail(f"cannot read the chain at {url}: {exc}")
    print(
        f"Archived chain {summary.chain_id} up to block {summary.head_block} "
        f"({iso_time(summary.head_time)}): {summary.events:,} events from {summary.logs:,} logs"
        + (f", {summary.documents} published documents" if summary.documents else "")
        + f", in {summary.out}.\n"
        f"Check it anywhere, with no server: tracenet archive verify {summary.out}"
    )
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    try:
        w3 = contracts.connect(args.rpc_url) if args.rpc_url else None
        report = check_archive(args.archive, claims=args.claim, w3=w3)
    except ArchiveError as exc:
        return _fail(exc.message)
    except (ChainReadError, OSError) as exc:
        return _fail(f"cannot read the chain at {args.rpc_url}: {exc}")
    print(json.dumps(render_json(report), indent=2) if args.json else render_text(report))
    return EXIT_OK if report.ok else EXIT_FAILS


def render_json(report: ArchiveReport) -> dict[str, Any]:
    books = report.books
    return {
        "holds": report.ok,
        "chain_id": report.manifest["chain_id"],
        "head_block": report.manifest["head"]["number"],
        "head_time": report.manifest["head"]["time"],
        "compared_with_chain": report.against_chain,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks],
        "supply_g": {
            str(c): {**vars(s), "balanced": s.balanced}
            for c, s in (books.supply if books else {}).items()
        },
        "claims": {
            str(i): {"holds": v.ok, "failures": [f.detail for f in v.failures]}
            for i, v in report.verdicts.items()
        },
    }


def _tonnes(grams: int) -> str:
    return f"{grams / 1_000_000:,.3f} t"


def render_text(report: ArchiveReport) -> str:
    m = report.manifest
    lines = [
        f"Archive of chain {m['chain_id']} up to block {m['head']['number']} "
        f"({m['head']['time']}), {m['counts']['events']:,} events"
    ]
    for c in report.checks:
        lines.append(f"  {'✓' if c.ok else '✗'} {c.detail}")
    if report.books is not None and report.books.supply:
        lines.append("Credits by class (created = held + claimed + lapsed + converted out):")
        for class_id, s in report.books.supply.items():
            name = report.class_names.get(class_id, f"class {class_id}")
            lines.append(
                f"  {name}: issued {_tonnes(s.issued)}, converted in "
                f"{_tonnes(s.converted_in)} = held {_tonnes(s.held)} + claimed "
                f"{_tonnes(s.claimed)} + lapsed {_tonnes(s.lapsed)} + converted out "
                f"{_tonnes(s.converted_out)} {'✓' if s.balanced else '✗ does not add up'}"
            )
    if report.verdicts:
        held = [i for i, v in report.verdicts.items() if v.ok]
        failed = [i for i, v in report.verdicts.items() if not v.ok]
        lines.append(
            f"Claims: {len(held)} of {len(report.verdicts)} hold"
            + (f"; claim {', '.join(map(str, failed))} does not" if failed else "")
        )
    where = "and matches the chain" if report.against_chain else "from its files alone"
    verdict = "The archive holds" if report.ok else "The archive does NOT hold"
    lines.append(f"{verdict}, {where}.")
    return "\n".join(lines)
