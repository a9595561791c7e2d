"""``tracenet declaration document ID`` (PDF and HTML) and ``tracenet declaration check FILE``.

``check`` exit codes: 0 every field of the document matches the chain record, 1 a field differs
or is missing (or the shipment is not on this chain, or gets no declaration: under a custody
scheme a party held no valid certificate at dispatch), 2 usage, file or connection errors.
``document`` exits 1 for those last two as well, writing nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from tracenet.indexer.errors import DeclarationRefusedError
from tracenet.indexer.verifier._chainread import ChainRecord
from tracenet.indexer.verifier._declaration import declaration
from tracenet.indexer.verifier._sd_check import SdReadError, check_document
from tracenet.indexer.verifier._sd_document import render_html, render_pdf

__all__ = ["DeclarationSettings", "register"]

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2


class DeclarationSettings(BaseSettings):
    """Where SD documents point; each field reads ``TRACENET_DECLARATION_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TRACENET_DECLARATION_", extra="forbid")

    #: The console whose public page ``/verify/shipment/{ref}`` the QR code links.
    console_url: str = "http://127.0.0.1:8800"


def register(docs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from tracenet.indexer.verifier._verify_cli import _common

    p = docs.add_parser("document", help="the SD of shipment ID as a PDF and a printable HTML page")
    p.add_argument("id", type=int, help="shipment id")
    _common(p)
    p.add_argument("--pdf", type=Path, metavar="PATH", help="write the PDF here")
    p.add_argument("--html", type=Path, metavar="PATH", help="write the HTML page here")
    p.add_argument("--console-url", help="default TRACENET_DECLARATION_CONSOLE_URL")
    p.set_defaults(handler=_document)
    c = docs.add_parser("check", help="compare an SD PDF with the chain record, field by field")
    c.add_argument("file", type=Path, metavar="FILE", help="an SD PDF issued by a Tracenet member")
    _common(c)
    c.set_defaults(handler=_check)


def _document(args: argparse.Namespace) -> int:
    from tracenet.indexer.verifier._verify_cli import _fail, _read, refused

    if args.pdf is None and args.html is None:
        return _fail("say where: --pdf PATH and/or --html PATH", EXIT_USAGE)
    record = _read(args)
    if isinstance(record, int):
        return record
    try:
        d = declaration(record, args.id)
    except LookupError as exc:
        return _fail(str(exc), EXIT_MISMATCH)
    except DeclarationRefusedError as exc:
        return _fail(refused(exc), EXIT_MISMATCH)
    console = args.console_url or DeclarationSettings().console_url
    try:
        if args.pdf is not None:
            args.pdf.write_bytes(render_pdf(d, console))
            print(f"PDF: {args.pdf}")
        if args.html is not None:
            args.html.write_text(render_html(d, console), encoding="utf-8")
            print(f"HTML: {args.html}")
    except OSError as exc:
        return _fail(f"cannot write the document: {exc.strerror}", EXIT_USAGE)
    return EXIT_OK


class _NoChain(Exception):
    """The chain record could not be read; ``code`` is the exit code (the reason is printed)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _check(args: argparse.Namespace) -> int:
    from tracenet.indexer.verifier._verify_cli import _fail, _read, refused

    def chain() -> ChainRecord:
        record = _read(args)
        if isinstance(record, int):
            raise _NoChain(record)
        return record

    try:
        result = check_document(args.file.read_bytes(), chain)
    except OSError as exc:
        return _fail(f"cannot read {args.file}: {exc.strerror}", EXIT_USAGE)
    except SdReadError as exc:
        return _fail(f"{args.file}: {exc}", EXIT_USAGE)
    except _NoChain as exc:
        return exc.code
    except LookupError as exc:
        return _fail(f"{args.file}: {exc}", EXIT_MISMATCH)
    except DeclarationRefusedError as exc:
        return _fail(f"{args.file}: {refused(exc)}", EXIT_MISMATCH)
    for c in result.fields:
        if c.ok:
            print(f"ok        {c.label}: {c.chain}")
        else:
            print(f"MISMATCH  {c.label}: document {c.document!r}, chain {c.chain!r}")
    bad = [c for c in result.fields if not c.ok]
    print(f"shipment {result.shipment_id}: {len(result.fields) - len(bad)} fields match, "
          f"{len(bad)} differ")  # fmt: skip
    return EXIT_OK if result.ok else EXIT_MISMATCH
