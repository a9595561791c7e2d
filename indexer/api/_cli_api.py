"""``tracenet indexer serve|keys|audit|verify-report``: the read API's commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracenet.indexer._settings import IndexerSettings
from tracenet.indexer.api._api_models import Audit
from tracenet.indexer.api._export import audit_csv
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.api._reports_class import supply_audit
from tracenet.indexer.api._signing import sign_report, verify_report
from tracenet.indexer.errors import IndexerError
from tracenet.indexer.mirror._store import create_schema, make_engine

__all__ = ["register_api"]

Common = Callable[[argparse.ArgumentParser], None]


def register_api(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: Common
) -> None:
    serve = commands.add_parser("serve", help="serve the read API (/v1, OpenAPI at /docs)")
    common(serve)
    serve.add_argument("--host", help="listen address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8700)")
    serve.set_defaults(handler=_serve)

    keys = commands.add_parser("keys", help="read keys of the API")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    create = key_commands.add_parser("create", help="create a read key for a party (printed once)")
    common(create)
    create.add_argument("--party", required=True, help="party: registry key, on-chain name or id")
    create.add_argument("--label", default="", help="what the key is for")
    create.set_defaults(handler=_create_key)

    audit = commands.add_parser("audit", help="R13 supply audit of a class and period")
    common(audit)
    audit.add_argument(
        "--class", dest="class_id", required=True, help="class: registry key, name or id"
    )
    audit.add_argument(
        "--period", required=True, help="period label (2031-Q1; 2031 is a year) or index:<n>"
    )
    audit.add_argument("--csv", action="store_true", help="CSV instead of JSON")
    audit.add_argument("--sign", metavar="LABEL", help="sign with this keystore key (EIP-191)")
    audit.add_argument("--passphrase-file", type=Path, help="passphrase of the signing key")
    audit.set_defaults(handler=_audit)

    verify = commands.add_parser(
        "verify-report",
        help="verify a signed report as POST /v1/reports/verify does: its signature, an active "
        "auditor signed it (the chain), its figures recomputed (the mirror: --database-url)",
    )
    common(verify)
    verify.add_argument("file", type=Path)
    verify.add_argument(
        "--signature-only",
        action="store_true",
        help="check the signature alone, not the signer's auditor role nor the figures",
    )
    verify.set_defaults(handler=_verify)


def _settings(args: argparse.Namespace) -> IndexerSettings:
    from tracenet.indexer._cli import settings_from

    return settings_from(args)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from tracenet.contracts import Deployment
    from tracenet.indexer.api._api import create_app
    from tracenet.indexer.api._sd_routes import rpc_source
    from tracenet.indexer.verifier._sd_cli import DeclarationSettings

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    deployment = Deployment.load(settings.deployment) if settings.deployment.exists() else None
    registry = deployment.registry if deployment is not None else {}
    chain = rpc_source(settings.rpc_url, deployment) if deployment is not None else None
    console = DeclarationSettings().console_url
    ledger = _ledger(settings.rpc_url, deployment) if deployment is not None else None
    app = create_app(
        engine, registry, chain=chain, ledger=ledger, console_url=console, settings=settings
    )
    uvicorn.run(app, host=args.host or settings.api_host, port=args.port or settings.api_port)
    return 0


def _ledger(rpc_url: str, deployment: Any) -> Callable[[], Any]:
    """The contracts bound to the node, attached on first use (the node may start later)."""
    from tracenet.contracts import attach, connect

    bound: list[Any] = []

    def ledger() -> Any:
        if not bound:
            bound.append(attach(connect(rpc_url), deployment))
        return bound[0]

    return ledger


def _resolve(conn: Any, settings: IndexerSettings, kind: str, ref: str, field: str) -> int:
    """A registry key (the deployment record's, when there is one), on-chain name or id."""
    from tracenet.contracts import Deployment
    from tracenet.indexer.api._api_deps import resolve_ref

    path = settings.deployment
    registry = Deployment.load(path).registry if path.exists() else {}
    if ref.isascii() and ref.isdigit() and len(ref) <= 9 and kind == "parties":
        return int(ref)  # create_key says what to do when the mirror has not caught up
    return resolve_ref(conn, registry, kind, ref, field)


def _create_key(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    create_schema(engine)
    try:
        with engine.begin() as conn:
            party = _resolve(conn, settings, "parties", args.party, "party")
            secret = create_key(conn, party, args.label)
    except IndexerError as exc:
        print(f"indexer: {exc.code} {exc.message}", file=sys.stderr)
        return 2
    print(secret)
    return 0


def _audit(args: argparse.Namespace) -> int:
    from tracenet.indexer.api._api_deps import resolve_period
    from tracenet.indexer.api._reports import class_info

    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            class_id = _resolve(conn, settings, "classes", args.class_id, "class")
            period = resolve_period(class_info(conn, class_id).period_months, args.period)
            # The answer's shape (the route's model): what a signature covers is what the
            # read API answers and what verify recomputes.
            report = Audit.model_validate(
                supply_audit(conn, class_id=class_id, period=period)
            ).model_dump(mode="json", by_alias=True)
    except IndexerError as exc:
        print(f"indexer: {exc.code} {exc.message}", file=sys.stderr)
        return 2
    if args.csv:
        sys.stdout.write(audit_csv(report))
        return 0 if report["reconciles"] else 1
    document: dict[str, object] = report
    if args.sign:
        from tracenet.wallet import DEFAULT_PASSPHRASE_ENV, Keystore, read_passphrase

        passphrase = read_passphrase(env_var=DEFAULT_PASSPHRASE_ENV, file=args.passphrase_file)
        document = sign_report(report, Keystore.from_settings().unlock(args.sign, passphrase))
    print(json.dumps(document, indent=2, sort_keys=True))
    return 0 if report["reconciles"] else 1


def _verify(args: argparse.Namespace) -> int:
    try:
        document = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"invalid: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    if args.signature_only:
        try:
            signer = verify_report(document)
        except IndexerError as exc:
            print(f"invalid: {exc.code} {exc.message}", file=sys.stderr)
            return 1
        print(f"valid signature by {signer} (its auditor role and figures were not checked)")
        return 0
    return _verify_on_chain(args, document)


def _verify_on_chain(args: argparse.Namespace, document: dict[str, Any]) -> int:
    """``verify_signed``, what ``POST /v1/reports/verify`` runs: the signer on chain and the
    figures recomputed from this indexer's mirror (``--database-url``)."""
    from tracenet.contracts import Deployment
    from tracenet.indexer.api._report_routes import verify_signed
    from tracenet.indexer.errors import ChainReadError

    settings = _settings(args)
    try:
        deployment = Deployment.load(settings.deployment)
        handle = _ledger(settings.rpc_url, deployment)()
    except Exception as exc:  # the node or the record: one line, never a traceback
        print(f"indexer: cannot attach to the ledger: {exc}", file=sys.stderr)
        return 2
    names = {i: k for k, i in deployment.registry.get("parties", {}).items()}
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            verdict = verify_signed(conn, document, handle, names)
    except ChainReadError as exc:  # retryable: no verdict
        print(f"indexer: {exc.code} {exc.message}", file=sys.stderr)
        return 2
    except IndexerError as exc:
        print(f"invalid: {exc.code} {exc.error}: {exc.message}", file=sys.stderr)
        return 1
    except Exception as exc:  # the node or the mirror: one line, never a traceback
        print(f"indexer: cannot verify the report: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(
        f"valid: signed by {verdict.signer} for party {verdict.party_id} ({verdict.party}), an "
        f"active auditor at the report's block {verdict.block_number}; its figures are the "
        f"chain's ({', '.join(verdict.compared)} recomputed from the mirror)"
    )
    return 0
