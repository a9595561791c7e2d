"""``POST /v1/declarations/check``: a received Sustainability Declaration PDF set beside the
chain record of the shipment its verify link names, field by field.

What ``tracenet declaration check FILE`` prints (``check_document``, one implementation), for a
buyer's browser: the console's upload form posts the PDF here. Public like the verifier's
verdicts: a document carries nothing that its verify link does not show to anyone. The PDF comes
as a multipart form (file field ``document``) or as the raw body (``application/pdf``), at most
``MAX_DOCUMENT`` bytes (413 ``DocumentTooLarge``, the body read no further); a file that is no
readable SD is 422 ``DocumentUnreadable``, a link to a shipment this chain does not have 404.

The document's verify link names the shipment by its public reference; where a field differs,
the chain's value is withheld (``chain`` null): a forged document must not read the chain's
full declaration, which is its parties' (issue 25). ``tracenet declaration check``, with chain
access, prints both values.

The bytes are bounded, and so is the work: the text is read in a worker process of the app's
``PdfPool`` (``app.state.documents``: at most ``document_workers`` at once, ``document_queue``
waiting, else 503 ``DocumentCheckBusy`` with Retry-After), within a page, object,
decompressed-size, CPU and memory budget (``PdfLimits``); a file over one is 422
``DocumentTooComplex`` naming the limit (``args.limit``, ``args.max``). A client that hangs up
while its document is read has the read abandoned (its worker killed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from tracenet.indexer.api._api_deps import ERROR, REFUSED
from tracenet.indexer.errors import DocumentError, IndexerError, NotFoundError
from tracenet.indexer.verifier._chainread import ChainRecord
from tracenet.indexer.verifier._pdf_pool import PdfPool, PoolBusy
from tracenet.indexer.verifier._pdf_worker import PdfTooComplex, PdfUnreadable
from tracenet.indexer.verifier._sd_check import SdCheck, SdReadError, check_fields, fields_of

__all__ = ["MAX_DOCUMENT", "add_sd_check_route"]

#: The largest SD PDF taken, in bytes (a Tracenet SD is some 10 KB; a scan would be more).
MAX_DOCUMENT = 1_048_576
#: Room for the multipart envelope around the file.
_ENVELOPE = 16_384


class FieldResult(BaseModel):
    label: str = Field(description="the template's label (Quantity, Supplier, …)")
    document: str | None = Field(description="as printed on the document; null: missing")
    chain: str | None = Field(
        description="from the chain record when it equals the document's; null: it differs (the "
        "chain's value is withheld: this route is public, issue 25) or there is no such field"
    )
    ok: bool = Field(description="the document's value is the chain's")


class DeclarationCheck(BaseModel):
    """The document's fields beside the chain's; ``matches`` only if every one is equal."""

    matches: bool
    shipment_id: int = Field(description="the shipment the document's verify link names")
    declaration: str = Field(description="the chain's SD number (SD-7)")
    verify_link: str = Field(description="the verify link printed on the document")
    matched: int
    differ: int
    fields: list[FieldResult]


_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"the SD PDF, at most {MAX_DOCUMENT} bytes",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["document"],
                    "properties": {"document": {"type": "string", "format": "binary"}},
                }
            },
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_DOC: dict[int | str, dict[str, Any]] = {
    413: {**ERROR, "description": "TN-IX-413-01 DocumentTooLarge"},
    422: {**ERROR, "description": "TN-IX-422-05 DocumentUnreadable: no readable SD PDF with a "
          "verify link; TN-IX-422-06 DocumentTooComplex: reading it would pass a page, object, "
          "decompressed-size, CPU or memory limit (args.limit names it); TN-IX-422-00 no file "
          "field 'document'"},
    503: {**ERROR, "description": "TN-IX-503-01 the node did not answer; TN-IX-503-06 "
          "DocumentCheckBusy: every PDF worker is busy and the queue full (Retry-After)"},
}  # fmt: skip
#: What a client that left is answered (nobody reads it): nginx's "client closed request".
_GONE = 499


def _too_large(limit: int) -> DocumentError:
    return DocumentError(
        f"the document is larger than {MAX_DOCUMENT} bytes",
        field="document", error="DocumentTooLarge", args={"max_bytes": limit},
    )  # fmt: skip


async def _bounded(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` (chunked or not)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(MAX_DOCUMENT)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(MAX_DOCUMENT)
    return bytes(body)


async def _document(request: Request) -> bytes:
    """The PDF of a multipart form's ``document`` field, or the raw body."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return await _bounded(request, MAX_DOCUMENT)
    raw = await _bounded(request, MAX_DOCUMENT + _ENVELOPE)

    async def once() -> AsyncGenerator[bytes, None]:
        yield raw

    try:
        form = await MultiPartParser(request.headers, once(), max_files=1, max_fields=8).parse()
    except MultiPartException as exc:
        raise DocumentError(str(exc), field="document", error="FieldInvalid") from exc
    try:
        upload = form.get("document")
        if not isinstance(upload, UploadFile):
            raise DocumentError(
                "send the PDF as the file field 'document'", field="document", error="FieldInvalid"
            )
        data = await upload.read(MAX_DOCUMENT + 1)
    finally:
        await form.close()
    if len(data) > MAX_DOCUMENT:
        raise _too_large(MAX_DOCUMENT)
    return data


def add_sd_check_route(app: FastAPI, record: Callable[[], ChainRecord], responses: Any) -> None:
    """Adds ``POST /v1/declarations/check``; ``record`` reads the chain (its errors mapped)."""

    @app.post(
        "/v1/declarations/check",
        summary="Check a received SD PDF against the chain record, field by field (public)",
        tags=["verification"],
        responses={**responses, **REFUSED, **_DOC},
        openapi_extra=_BODY,
        response_model=DeclarationCheck,
    )
    async def check_declaration(request: Request) -> Any:
        data = await _document(request)
        pool: PdfPool = request.app.state.documents
        text = await _abandoned_if_gone(request, pool.extract(data))
        if text is None:
            return Response(status_code=_GONE)
        try:
            result: SdCheck = await run_in_threadpool(_check, text, record)
        except SdReadError as exc:
            raise DocumentError(str(exc), field="document") from exc
        except LookupError as exc:
            raise NotFoundError(str(exc), field="ref", error="ReferenceUnknown") from exc
        bad = sum(1 for c in result.fields if not c.ok)
        return DeclarationCheck(
            matches=result.ok, shipment_id=result.shipment_id, declaration=result.declaration,
            verify_link=result.link, matched=len(result.fields) - bad, differ=bad,
            fields=[FieldResult(label=c.label, document=c.document,
                                chain=c.chain if c.ok else None, ok=c.ok)
                    for c in result.fields],
        )  # fmt: skip


def _check(text: str, record: Callable[[], ChainRecord]) -> SdCheck:
    return check_fields(fields_of(text), record)


async def _gone(request: Request) -> None:
    """Returns when the client disconnects (the body is read: nothing else can come)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _abandoned_if_gone(request: Request, reading: Any) -> str | None:
    """The document's text, or None when the client left first (the read is then cancelled:
    the pool kills its worker). The pool's refusals become the API's errors."""
    job = asyncio.ensure_future(reading)
    gone = asyncio.ensure_future(_gone(request))
    try:
        await asyncio.wait({job, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        if not job.done():
            job.cancel()
    if not job.done() or job.cancelled():
        await asyncio.gather(job, return_exceptions=True)
        return None
    try:
        text: str = job.result()
    except PdfTooComplex as exc:
        raise DocumentError(
            f"the document asks for more work than an SD: {exc}", field="document",
            error="DocumentTooComplex",
            args={"limit": exc.limit, "max": exc.maximum, "found": exc.found},
        ) from exc  # fmt: skip
    except PdfUnreadable as exc:
        raise DocumentError(str(exc), field="document") from exc
    except PoolBusy as exc:
        raise IndexerError(
            f"every reader of documents is busy: {exc}; retry in a moment",
            field="document", error="DocumentCheckBusy",
        ) from exc  # fmt: skip
    return text
