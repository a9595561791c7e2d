"""The body limits every write meets before anything parses it: size (413) and JSON (415)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracenet.gateway.errors import BodyError

__all__ = ["BodyLimits"]


class BodyLimits:
    """Refuses oversized bodies (413) and non-JSON writes (415) before anything parses them."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await _refuse(send, "BodyTooLarge", f"bodies are limited to {self.max_body} bytes")
            return
        if (ctype and ctype != "application/json") or (not ctype and length not in ("", "0")):
            await _refuse(send, "UnsupportedMediaType", "send application/json")
            return
        # The whole body is read here, chunked or not, before anything parses it: a body over
        # the limit is 413 however it is sent (FastAPI would turn an error raised while it reads
        # into a 400).
        chunks: list[bytes] = []
        received, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body:
                await _refuse(send, "BodyTooLarge", f"bodies are limited to {self.max_body} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A ``receive`` that hands out ``messages``, then waits on ``then`` (a disconnect)."""
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _refuse(send: Send, error: str, message: str) -> None:
    exc = BodyError(message, error=error)
    payload = json.dumps(exc.to_json()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
