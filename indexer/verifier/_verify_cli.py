"""``tracenet verify claim|shipment <id>`` and ``tracenet declaration shipment <id>``.

Both use only a JSON-RPC endpoint and the deployment record — no indexer database. Exit codes
of ``verify``: 0 the claim or shipment holds, 1 a check fails, there is no such claim or
shipment (one line ``ClaimUnknown (TN-IX-404-05): no claim 99 on this chain``, no checks: the
API's 404) or the deployment record does not fit the chain, 2 usage or connection errors.
``declaration``: 0 issued, 1 no such shipment, a record that does not fit the chain, or a
shipment that gets no declaration (under a custody scheme, a party held no valid certificate
when the scheme required one at dispatch: ``CustodyCertificateMissing``), 2 usage or connection
errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tracenet import contracts
from tracenet.contracts import records as R
from tracenet.indexer._settings import IndexerSettings
from tracenet.indexer.errors import (
    ChainReadError,
    DeclarationRefusedError,
    IndexerError,
    NotFoundError,
)
from tracenet.indexer.lineage._lineage import Lineage
from tracenet.indexer.lineage._provenance import lineage_json
from tracenet.indexer.verifier._chainread import ChainRecord, DeploymentMismatch, read_chain
from tracenet.indexer.verifier._declaration import CONVENTIONAL, declaration, to_markdown
from tracenet.indexer.verifier._verify import Check, Verdict, verify

__all__ = ["register", "render_json", "render_text"]

EXIT_HOLDS, EXIT_FAILS, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify_p = subparsers.add_parser(
        "verify", help="verify a claim or shipment against the chain alone (exit 0 if it holds)"
    )
    kinds = verify_p.add_subparsers(dest="verify_kind", required=True, metavar="KIND")
    for kind in ("claim", "shipment"):
        p = kinds.add_parser(kind, help=f"verify {kind} ID and its lineage")
        p.add_argument("id", type=int, help=f"{kind} id")
        _common(p)
        p.add_argument("--json", action="store_true", help="print the verdict as JSON")
        p.set_defaults(handler=_verify, kind=kind)
    decl = subparsers.add_parser("declaration", help="issue Sustainability Declarations")
    docs = decl.add_subparsers(dest="declaration_kind", required=True, metavar="KIND")
    p = docs.add_parser("shipment", help="the Sustainability Declaration of shipment ID")
    p.add_argument("id", type=int, help="shipment id")
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.set_defaults(handler=_declaration)
    from tracenet.indexer.verifier import (
        _sd_cli,  # the PDF/HTML document and its check (imports this module)
    )

    _sd_cli.register(docs)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rpc-url", help="JSON-RPC endpoint (default TRACENET_INDEXER_RPC_URL)")
    p.add_argument(
        "--deployment", type=Path, metavar="PATH", help="deployment record (JSON) of the ledger"
    )
    p.add_argument(
        "--max-block-range", type=int, metavar="N", help="blocks per eth_getLogs (default 1000)"
    )


def _read(args: argparse.Namespace) -> ChainRecord | int:
    """The chain record, or an exit code after printing why there is none."""
    try:
        settings = IndexerSettings()
    except ValueError as exc:  # pydantic's ValidationError
        return _fail(f"bad TRACENET_INDEXER_* settings: {exc}", EXIT_USAGE)
    url = args.rpc_url or settings.rpc_url
    path = args.deployment or settings.deployment
    try:
        deployment = contracts.Deployment.load(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return _fail(f"cannot read deployment record {path}: {exc}", EXIT_USAGE)
    w3 = contracts.connect(url)  # QBFT headers: the networks `tracenet network init` makes
    try:
        return read_chain(
            w3, deployment, max_range=args.max_block_range or settings.max_block_range
        )
    except DeploymentMismatch as exc:
        return _fail(f"the deployment record does not fit the chain: {exc}", EXIT_FAILS)
    except (ChainReadError, OSError) as exc:
        return _fail(f"cannot read the chain at {url}: {exc}", EXIT_USAGE)


def refused(exc: IndexerError) -> str:
    """One line: the error's name and code, then why (no verdict, or no declaration)."""
    return f"{exc.error} ({exc.code}): {exc.message}"


def _fail(message: str, code: int) -> int:
    print(f"tracenet: error: {message}", file=sys.stderr)
    return code


def _verify(args: argparse.Namespace) -> int:
    record = _read(args)
    if isinstance(record, int):
        return record
    try:
        verdict = verify(record, args.kind, args.id)
    except NotFoundError as exc:  # nothing to verify: one line, no checks
        return _fail(refused(exc), EXIT_FAILS)
    print(json.dumps(render_json(verdict), indent=2) if args.json else render_text(verdict, record))
    return EXIT_HOLDS if verdict.ok else EXIT_FAILS


def _declaration(args: argparse.Namespace) -> int:
    record = _read(args)
    if isinstance(record, int):
        return record
    try:
        doc = declaration(record, args.id)
    except LookupError as exc:
        return _fail(str(exc), EXIT_FAILS)
    except DeclarationRefusedError as exc:
        return _fail(refused(exc), EXIT_FAILS)
    print(json.dumps(doc, indent=2) if args.json else to_markdown(doc))
    return EXIT_HOLDS


# ---- rendering --------------------------------------------------------------------------------


def _check_json(c: Check) -> dict[str, Any]:
    return {
        "code": c.code,
        "rule": c.rule,
        "subject": c.subject,
        "ok": c.ok,
        "warning": c.warning,
        "detail": c.detail,
    }


def render_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "kind": verdict.kind,
        "id": verdict.target_id,
        "holds": verdict.ok,
        "failed": len(verdict.failures),
        "warnings": len(verdict.warnings),
        "checks": [_check_json(c) for c in verdict.checks],
        "lineage": {
            "target": {
                "kind": verdict.kind,
                "id": verdict.target_id,
                "amount_g": verdict.lineage.target.grams,
            },
            **lineage_json(verdict.lineage),
        },
    }


def _describe(key: str, record: ChainRecord, lineage: Lineage) -> str:
    node = lineage.node(key)
    g = f"{node.grams:,} g".replace(",", " ")
    if node.event is None:
        return f"{key} {g}"
    ref, e = node.event

    def unit(unit_id: int) -> str:
        u = record.units.get(unit_id)
        return u.name if u else f"unit {unit_id}"

    if isinstance(e, R.InputRecorded):
        cert = record.certificates.get(e.certificate_id)
        number = cert.number if cert else f"certificate {e.certificate_id}"
        return f"{key} {g} at {unit(e.unit_id)}, {number}, evidence 0x{e.evidence_hash.hex()[:12]}…"
    if isinstance(e, R.Shipped):
        moved = f"{key} {g} {unit(e.from_unit_id)} → {unit(e.to_unit_id)}"
        if not e.token_ids:  # nothing upstream to walk
            moved += f", {CONVENTIONAL}"
        return f"{moved}, tx {ref.tx_hash[:12]}…"
    if isinstance(e, R.Converted):
        proc = record.processes.get(e.process_id)
        name = proc.name if proc else f"process {e.process_id}"
        return f"{key} {g} {name} v{e.factor_version} yield {e.yield_bps / 100:.2f} %"
    if isinstance(e, R.Claimed):
        return f"{key} {g} at {unit(e.unit_id)} for {e.beneficiary}"
    return f"{key} {g}"


def render_text(verdict: Verdict, record: ChainRecord) -> str:
    """The verdict as a tree: the target, its checks, then its sources, back to the inputs."""
    word = "HOLDS" if verdict.ok else "FAILS"
    warned = len(verdict.warnings)
    out = [
        f"{verdict.kind} {verdict.target_id}: {word} — {len(verdict.checks)} checks, "
        f"{len(verdict.failures)} failed" + (f", {warned} warning(s)" if warned else "")
    ]
    by_subject: dict[str, list[Check]] = {}
    for c in verdict.checks:
        by_subject.setdefault(c.subject, []).append(c)

    def checks(subject: str, indent: str) -> None:
        for c in by_subject.get(subject, []):
            mark = "✗" if not c.ok else "!" if c.warning else "✓"
            out.append(f"{indent}{mark} {c.code} ({c.rule}): {c.detail}")

    checks("ledger", "  ")
    lineage = verdict.lineage
    sources: dict[str, list[str]] = {}
    for e in lineage.edges:
        if e.source not in sources.setdefault(e.target, []):
            sources[e.target].append(e.source)
    shown: set[str] = set()

    def walk(key: str, depth: int) -> None:
        pad = "  " + "   " * depth
        arrow = "← " if depth else ""
        if key in shown:
            out.append(f"{pad}{arrow}{key} (see above)")
            return
        shown.add(key)
        out.append(f"{pad}{arrow}{_describe(key, record, lineage)}")
        checks(key, pad + "   ")
        for src in sources.get(key, []):
            walk(src, depth + 1)

    walk(lineage.target.key, 0)
    if lineage.origins:
        origins = (f"input {o.input.input_id} {o.grams} g" for o in lineage.origins)
        out.append("  origins: " + ", ".join(origins))
    return "\n".join(out)
