"""The buyer's check of a received Sustainability Declaration, no sign-in: the uploaded PDF is
sent to the indexer (``POST /v1/declarations/check``, public), which reads its fields and sets
them beside the chain record of the shipment its verify link names — what ``tracenet
declaration check FILE`` prints. The page shows each field matched or not, and the link to
that shipment's verify page on this console (the link printed on a forged document is shown as
text, never followed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from tracenet.console._clients import ApiError
from tracenet.console._web import PublicIndexerDep, attempt, render

router = APIRouter()

#: The largest PDF taken, in bytes: the indexer's own limit.
MAX_DOCUMENT = 1_048_576


@router.get("/verify/document", response_class=HTMLResponse, summary="Check a received SD")
async def document_form(request: Request) -> Response:
    return render(request, "verify_document.html", max_bytes=MAX_DOCUMENT)


@router.post("/verify/document", response_class=HTMLResponse, summary="Check an uploaded SD")
async def check_document(
    request: Request,
    indexer: PublicIndexerDep,
    document: Annotated[UploadFile, File(description="a Sustainability Declaration (PDF)")],
) -> Response:
    raw = await document.read(MAX_DOCUMENT + 1)
    if len(raw) > MAX_DOCUMENT:
        large = ApiError(413, "TN-CO-413-01", "DocumentTooLarge",
                         f"the file is larger than {MAX_DOCUMENT} bytes", "document")  # fmt: skip
        return render(request, "verify_document.html", status=413, error=large,
                      max_bytes=MAX_DOCUMENT)  # fmt: skip
    name = (document.filename or "sd.pdf")[:200]
    result, error = await attempt(
        indexer.post_file("/v1/declarations/check", "document", name, raw)
    )
    status = error.status if error is not None else 200 if result["matches"] else 422
    return render(
        request, "verify_document.html", status=status, result=result, error=error,
        filename=name, max_bytes=MAX_DOCUMENT,
    )  # fmt: skip
