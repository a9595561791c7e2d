"""The one JSON-RPC client of every package: sync (``RpcClient``) and async (``AsyncRpcClient``).

Both speak JSON-RPC 2.0 over HTTP with httpx (keep-alive, no proxies from the environment),
send batches in one round trip, and retry transport failures (connection refused or reset,
connect timeouts, HTTP 429/502/503/504) with exponential backoff before raising ``RpcUnavailable``.
A node's error reply is ``RpcError`` (never retried: the same request gets the same answer).

A URL with ``user:password@`` logs in to Besu's JSON-RPC authentication (``BesuLogin``):
``POST /login`` with the name and password gives a JWT, sent as ``Authorization: Bearer``;
Besu's tokens expire after five minutes, so a token is renewed after four, and once more on a
401. The password never appears in ``url``, in an error or in a log line: the clients keep the
URL without it.

Block headers are read field by field (``BlockHeader``), so QBFT/IBFT headers, whose
``extraData`` carries validators and seals far beyond the 32 bytes web3's default formatter
accepts, read like any other. ``connect`` gives a ``Web3`` for code that wants web3's contract
objects, with the proof-of-authority middleware that makes web3 accept those headers too.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import requests
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from tracenet.contracts.errors import RpcError, RpcLoginRefused, RpcUnavailable

__all__ = [
    "AsyncRpcClient",
    "BesuLogin",
    "BlockHeader",
    "RpcClient",
    "connect",
    "split_credentials",
]

#: Besu's JWTs from /login expire 300 s after they are made; renew a minute before.
TOKEN_LIFETIME_SECONDS = 240.0


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without its ``user:password@`` part, and that pair (``None`` without one)."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    bare = urlunsplit(parts._replace(netloc=netloc))
    return bare, (unquote(parts.username), unquote(parts.password or ""))


class BesuLogin(httpx.Auth):
    """Besu's username/password JSON-RPC authentication (besu-docs,
    ``public-networks/how-to/use-besu-api/authenticate.md``) for httpx, sync and async alike.

    The token is fetched from ``<url>/login`` before the first call, renewed once it is
    :data:`TOKEN_LIFETIME_SECONDS` old, and once more when a call still gets 401. A refused
    login is :class:`RpcLoginRefused`, never retried."""

    requires_response_body = True

    def __init__(
        self, url: str, user: str, password: str, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.url = url
        self.login_url = url.rstrip("/") + "/login"
        self.user = user
        self._password = password
        self._clock = clock
        self._token: str | None = None
        self._made = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BesuLogin({self.url!r}, user={self.user!r})"

    def login_request(self) -> httpx.Request:
        return httpx.Request(
            "POST", self.login_url, json={"username": self.user, "password": self._password}
        )

    def accept(self, response: httpx.Response | requests.Response) -> str:
        """Keep the token of a /login reply; :class:`RpcLoginRefused` for any other reply."""
        token = None
        if response.status_code == 200:
            try:
                token = response.json().get("token")
            except (ValueError, AttributeError):
                token = None
        if not isinstance(token, str) or not token:
            raise RpcLoginRefused(self.url, self.user, response.status_code)
        with self._lock:
            self._token, self._made = token, self._clock()
        return token

    def current(self) -> str | None:
        """The token while it is fresh, else ``None`` (time to log in again)."""
        with self._lock:
            if self._token is None or self._clock() - self._made >= TOKEN_LIFETIME_SECONDS:
                return None
            return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.current()
        if token is None:
            token = self.accept((yield self.login_request()))
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:  # expired early, or the node restarted with a new key
            token = self.accept((yield self.login_request()))
            request.headers["Authorization"] = f"Bearer {token}"
            yield request


class _RequestsBesuLogin(requests.auth.AuthBase):
    """The same login for web3's ``HTTPProvider`` (requests); the token from httpx."""

    def __init__(self, login: BesuLogin, timeout: float) -> None:
        self.login = login
        self.timeout = timeout

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.login.current()
        if token is None:
            login = self.login.login_request()
            try:
                reply = httpx.post(
                    str(login.url),
                    content=login.content,
                    headers={"content-type": "application/json"},
                    timeout=self.timeout,
                    trust_env=False,
                )
            except httpx.HTTPError as exc:
                raise RpcUnavailable(self.login.url, f"login failed: {exc}") from exc
            token = self.login.accept(reply)
        request.headers["Authorization"] = f"Bearer {token}"
        return request


_RETRY_STATUS = frozenset({429, 502, 503, 504})
Call = tuple[str, Sequence[Any]]


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The header fields the ledger's readers use; hashes as lower-case ``0x`` hex."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int
    extra_data: bytes

    @classmethod
    def from_json(cls, block: dict[str, Any]) -> BlockHeader:
        return cls(
            number=int(block["number"], 16),
            hash=block["hash"].lower(),
            parent_hash=block["parentHash"].lower(),
            timestamp=int(block["timestamp"], 16),
            extra_data=bytes.fromhex(str(block.get("extraData") or "0x")[2:]),
        )


def connect(rpc_url: str, *, timeout: float = 30.0) -> Web3:
    """A synchronous ``Web3`` for ``rpc_url`` that reads QBFT block headers (anvil too); with
    ``user:password@`` in the URL it logs in to Besu (see ``BesuLogin``)."""
    url, credentials = split_credentials(rpc_url)
    request_kwargs: dict[str, Any] = {
        "timeout": timeout,
        "proxies": {"http": None, "https": None},
    }
    if credentials is not None:
        request_kwargs["auth"] = _RequestsBesuLogin(BesuLogin(url, *credentials), timeout)
    provider = Web3.HTTPProvider(url, request_kwargs=request_kwargs)
    w3 = Web3(provider)
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, name="qbft_extra_data", layer=0)
    return w3


class _Base:
    def __init__(self, url: str, *, timeout: float, retries: int, backoff: float) -> None:
        #: Without the password, when the URL had one: safe to print.
        self.url, credentials = split_credentials(url)
        self.auth = None if credentials is None else BesuLogin(self.url, *credentials)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._ids = itertools.count(1)

    def _body(self, calls: Sequence[Call]) -> list[dict[str, Any]]:
        return [
            {"jsonrpc": "2.0", "id": next(self._ids), "method": m, "params": list(p)}
            for m, p in calls
        ]

    def _unavailable(self, exc: Exception) -> RpcUnavailable:
        timed_out = isinstance(exc, httpx.TimeoutException)
        reason = "timed out" if timed_out else f"{type(exc).__name__}: {exc}"
        return RpcUnavailable(self.url, reason, timed_out=timed_out)

    def _delay(self, attempt: int) -> float:
        return float(self.backoff * 2**attempt)


def _retryable(exc: Exception) -> bool:
    """A failure to reach the node, not a slow answer: a read timeout is left to the caller
    (the indexer shrinks its log range instead of asking the same again)."""
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in _RETRY_STATUS
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.ReadTimeout)


def _json(response: httpx.Response) -> Any:
    """The reply's JSON. An HTTP error raises, except Besu's 401 for a method the account may
    not call: its body is a JSON-RPC error (``Unauthorized``), the answer to that call."""
    if response.status_code == 401:
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if isinstance(reply, dict) and isinstance(reply.get("error"), dict):
            return reply
    response.raise_for_status()
    return response.json()


def _payload(body: list[dict[str, Any]]) -> Any:
    return body if len(body) > 1 else body[0]


def _replies(body: list[dict[str, Any]], replies: Any) -> Any:
    return replies if len(body) > 1 else [replies]


def _results(body: list[dict[str, Any]], replies: Any, url: str) -> list[Any]:
    """Results in request order; an item is an ``RpcError`` where that call failed."""
    if isinstance(replies, dict) and "error" in replies and len(body) > 0:
        return [RpcError(c["method"], replies["error"]) for c in body]
    if not isinstance(replies, list):
        raise RpcUnavailable(url, "the reply to a batch is not a list")
    by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
    out: list[Any] = []
    for call in body:
        reply = by_id.get(call["id"], {"error": {"code": -32603, "message": "no reply"}})
        error = reply.get("error")
        out.append(RpcError(call["method"], error) if error else reply.get("result"))
    return out


def _one(results: list[Any]) -> Any:
    (result,) = results
    if isinstance(result, RpcError):
        raise result
    return result


class RpcClient(_Base):
    """A blocking JSON-RPC client (the indexer, the verifier, the CLI, the demo)."""

    def __init__(
        self, url: str, *, timeout: float = 30.0, retries: int = 3, backoff: float = 0.1
    ) -> None:
        super().__init__(url, timeout=timeout, retries=retries, backoff=backoff)
        self._client = httpx.Client(timeout=timeout, trust_env=False, auth=self.auth)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def batch(self, calls: Sequence[Call]) -> list[Any]:
        """Every call in one HTTP request; results in order, ``RpcError`` items where a call
        failed. Raises ``RpcUnavailable`` when the node cannot be reached after the retries."""
        if not calls:
            return []
        body = self._body(calls)
        for attempt in itertools.count():
            try:
                response = self._client.post(self.url, json=_payload(body))
                replies = _json(response)
                break
            except (httpx.HTTPError, ValueError) as exc:
                if attempt >= self.retries or not _retryable(exc):
                    raise self._unavailable(exc) from exc
                time.sleep(self._delay(attempt))
        return _results(body, _replies(body, replies), self.url)

    def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call's result; ``RpcError`` if the node answers with an error."""
        return _one(self.batch([(method, params)]))

    def chain_id(self) -> int:
        return int(self.request("eth_chainId"), 16)

    def block_number(self) -> int:
        return int(self.request("eth_blockNumber"), 16)

    def header(self, block: int | str = "latest") -> BlockHeader | None:
        tag = hex(block) if isinstance(block, int) else block
        found = self.request("eth_getBlockByNumber", [tag, False])
        return None if found is None else BlockHeader.from_json(found)

    def headers(self, numbers: Sequence[int], *, chunk: int = 200) -> dict[int, BlockHeader]:
        """Headers by number, ``chunk`` per batch; numbers above the head are left out."""
        out: dict[int, BlockHeader] = {}
        for start in range(0, len(numbers), chunk):
            calls = [("eth_getBlockByNumber", [hex(n), False]) for n in numbers[start:][:chunk]]
            for found in self.batch(calls):
                if isinstance(found, RpcError):
                    raise found
                if found is not None:
                    header = BlockHeader.from_json(found)
                    out[header.number] = header
        return out

    def call(self, to: str, data: bytes | str, block: int | str = "latest") -> bytes:
        """``eth_call``; a revert is an ``RpcError`` whose ``data`` holds the revert data."""
        payload = data if isinstance(data, str) else "0x" + data.hex()
        tag = hex(block) if isinstance(block, int) else block
        return bytes.fromhex(self.request("eth_call", [{"to": to, "data": payload}, tag])[2:])


class AsyncRpcClient(_Base):
    """The same, for asyncio (the gateway)."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, retries: int = 3, backoff: float = 0.1
    ) -> None:
        super().__init__(url, timeout=timeout, retries=retries, backoff=backoff)
        self._client = httpx.AsyncClient(timeout=timeout, trust_env=False, auth=self.auth)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def batch(self, calls: Sequence[Call]) -> list[Any]:
        """See ``RpcClient.batch``."""
        if not calls:
            return []
        body = self._body(calls)
        for attempt in itertools.count():
            try:
                response = await self._client.post(self.url, json=_payload(body))
                replies = _json(response)
                break
            except (httpx.HTTPError, ValueError) as exc:
                if attempt >= self.retries or not _retryable(exc):
                    raise self._unavailable(exc) from exc
                await asyncio.sleep(self._delay(attempt))
        return _results(body, _replies(body, replies), self.url)

    async def request(self, method: str, params: Sequence[Any] = ()) -> Any:
        return _one(await self.batch([(method, params)]))

    async def chain_id(self) -> int:
        return int(await self.request("eth_chainId"), 16)

    async def block_number(self) -> int:
        return int(await self.request("eth_blockNumber"), 16)

    async def header(self, block: int | str = "latest") -> BlockHeader | None:
        tag = hex(block) if isinstance(block, int) else block
        found = await self.request("eth_getBlockByNumber", [tag, False])
        return None if found is None else BlockHeader.from_json(found)
