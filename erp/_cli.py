"""``tracenet import KIND FILE``: an ERP export (CSV or XLSX) to the ledger through the party's
gateway. Exit codes: 0 every row recorded (now or before), 1 some row invalid or rejected (see
the result file or, with ``--check``, the error report), 2 usage, file or gateway errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tracenet.erp._certificates import check_certificates, import_certificates
from tracenet.erp._client import GatewayClient
from tracenet.erp._columns import KINDS
from tracenet.erp._read import load_mapping, read_table
from tracenet.erp._run import check_rows, prepare, submit_rows, write_report, write_result
from tracenet.erp._settings import ImportSettings
from tracenet.erp.errors import FileError, GatewayUnavailable

__all__ = ["register"]

EXIT_OK, EXIT_ROWS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "import",
        help="record an ERP export (CSV or XLSX) through the party's gateway",
        description="Columns per kind: erp/COLUMNS.md. Gateway and API key: "
        "TRACENET_IMPORT_GATEWAY_URL, TRACENET_IMPORT_API_KEY_FILE (or TRACENET_IMPORT_API_KEY).",
    )
    p.add_argument("kind", choices=sorted(KINDS), metavar="KIND", help=", ".join(KINDS))
    p.add_argument("file", type=Path, metavar="FILE", help="a .csv or .xlsx file")
    p.add_argument("--mapping", type=Path, metavar="YAML", help="documented column: your column")
    p.add_argument(
        "--check", action="store_true", help="validate every row, submit nothing, write a report"
    )
    p.add_argument(
        "--offline", action="store_true", help="with --check: the column rules only, no gateway"
    )
    p.add_argument("--result", type=Path, metavar="PATH", help="default FILE.result.csv")
    p.add_argument("--report", type=Path, metavar="PATH", help="default FILE.errors.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_run)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"tracenet: error: {message}", file=sys.stderr)
    return code


def _api_key(settings: ImportSettings) -> str:
    if settings.api_key_file is not None:
        try:
            return settings.api_key_file.read_text().strip()
        except OSError as exc:
            raise FileError(f"cannot read the API key file: {exc.strerror}") from exc
    if settings.api_key is not None:
        return settings.api_key.get_secret_value()
    raise FileError("no API key: set TRACENET_IMPORT_API_KEY_FILE (or TRACENET_IMPORT_API_KEY)")


def _run(args: argparse.Namespace) -> int:
    try:
        settings = ImportSettings()
    except ValueError as exc:
        return _fail(f"bad TRACENET_IMPORT_* settings: {exc}")
    kind = KINDS[args.kind]
    client: GatewayClient | None = None
    try:
        table = read_table(args.file, kind, load_mapping(args.mapping))
        rows = prepare(kind, table)
        if not (args.check and args.offline):
            client = GatewayClient(settings, _api_key(settings))
        certificates = kind.name == "certificates"
        if args.check:
            check = check_certificates if certificates else check_rows
            check(client, kind, table, rows, args.quiet)
            report = args.report or args.file.with_name(args.file.name + ".errors.csv")
            n = write_report(report, rows)
            bad = sum(1 for r in rows if r.problems)
            print(f"{len(rows)} rows checked, {bad} with {n} problems; report: {report}")
            return EXIT_ROWS if bad else EXIT_OK
        assert client is not None
        submit = import_certificates if certificates else submit_rows
        summary = submit(client, kind, table, rows, args.quiet)
        result = args.result or args.file.with_name(args.file.name + ".result.csv")
        write_result(result, table, rows)
        print("\n".join([*summary.lines(), f"result: {result}"]))
        return EXIT_ROWS if summary.counts.keys() - {"confirmed", "already-done"} else EXIT_OK
    except (FileError, GatewayUnavailable) as exc:
        return _fail(exc.message)
    except KeyboardInterrupt:
        return _fail("interrupted; run the same command again to resume", EXIT_INTERRUPTED)
    finally:
        if client is not None:
            client.close()
