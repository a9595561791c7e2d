"""HTTP clients of a party's gateway and of the indexer: the console's only way to the ledger.

Both services answer errors with one body ``{code, error, field, message, args}``; a call that
fails becomes ``ApiError`` carrying it, so a page can show the message beside its field. A
service that cannot be reached is ``ApiError`` too (status 503, code ``TN-CO-503-01``).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any, Self

import httpx

from tracenet.console.errors import ConsoleError

__all__ = ["ApiError", "GatewayClient", "IndexerClient"]


class ApiError(ConsoleError):
    """An error answer of a service, in the services' common error body."""

    def __init__(
        self,
        status: int,
        code: str,
        error: str,
        message: str,
        field: str | None = None,
        error_args: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.error = error
        self.message = message
        self.field = field
        self.error_args = error_args

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.code} {self.error}{where}: {self.message}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {"message": response.text[:300] or response.reason_phrase}
        detail = body.get("detail")
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            # A plain FastAPI validation answer (a service not on the common body yet).
            loc = [str(p) for p in detail[0].get("loc", ()) if p not in ("body", "query", "path")]
            body = {"field": ".".join(loc) or None, "message": detail[0].get("msg", "invalid")}
        return cls(
            status=response.status_code,
            code=str(body.get("code") or f"HTTP-{response.status_code}"),
            error=str(body.get("error") or _ERROR_BY_STATUS.get(response.status_code, "Error")),
            message=str(body.get("message") or detail or response.reason_phrase),
            field=body.get("field") or None,
            error_args=body.get("args") or body.get("details") or None,
        )

    @classmethod
    def unreachable(cls, service: str, exc: Exception) -> ApiError:
        return cls(503, "TN-CO-503-01", "ServiceUnavailable", f"{service}: {type(exc).__name__}")


_ERROR_BY_STATUS = {401: "ApiKeyInvalid", 403: "AccessDenied", 404: "NotFound"}


class _Client:
    service = "service"

    def __init__(self, base_url: str, key: str | None, *, timeout: float) -> None:
        headers = {"Accept": "application/json"}
        if key:
            # Bearer is the convention; the indexer accepted only X-API-Key at first.
            headers |= {"Authorization": f"Bearer {key}", "X-API-Key": key}
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, trust_env=False
        )
        self.forwarded: dict[str, str] = {}

    async def aclose(self) -> None:
        await self.http.aclose()

    def on_behalf_of(self, client: str) -> Self:
        """The same client (connections shared: close only the original) telling the service
        whom it asks for (``X-Forwarded-For``), so the service limits that client's requests,
        not the console's."""
        view = copy.copy(self)
        view.forwarded = {"X-Forwarded-For": client}
        return view

    def with_key(self, key: str) -> Self:
        """The same client (connections shared: close only the original) calling with ``key``:
        a signed-in party's view of the public routes (issue 25)."""
        view = copy.copy(self)
        view.forwarded = {**self.forwarded, "Authorization": f"Bearer {key}", "X-API-Key": key}
        return view

    async def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        if self.forwarded:
            kw["headers"] = {**self.forwarded, **(kw.get("headers") or {})}
        try:
            response = await self.http.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise ApiError.unreachable(self.service, exc) from exc
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    async def get(self, path: str, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None and v != ""}
        return (await self.request("GET", path, params=query)).json()

    async def post(self, path: str, body: Any) -> Any:
        return (await self.request("POST", path, json=body)).json()


class GatewayClient(_Client):
    """One party's gateway, called with that party's API key."""

    service = "gateway"

    async def requests(self, limit: int = 50) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await self.get("/v1/requests", limit=limit)
        return rows

    async def events(self, after: int | None) -> AsyncIterator[bytes]:
        """The gateway's server-sent events of the party's requests, passed on as they come."""
        params = {} if after is None else {"after": after}
        try:
            async with self.http.stream(
                "GET",
                "/v1/requests/events",
                params=params,
                headers={"Accept": "text/event-stream"},
                timeout=httpx.Timeout(self.http.timeout.connect, read=None),
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise ApiError.from_response(response)
                async for chunk in response.aiter_raw():
                    yield chunk
        except httpx.HTTPError as exc:
            raise ApiError.unreachable(self.service, exc) from exc


class IndexerClient(_Client):
    """The indexer's read API, called with one party's read key."""

    service = "indexer"

    async def post_file(
        self,
        path: str,
        field: str,
        filename: str,
        data: bytes,
        content_type: str = "application/pdf",
    ) -> Any:
        """A file uploaded as the multipart field ``field``; the JSON answer."""
        files = {field: (filename, data, content_type)}
        return (await self.request("POST", path, files=files)).json()

    async def text(self, path: str, **params: Any) -> str:
        return (await self.request("GET", path, params=params)).text
