"""Besu's JSON-RPC username/password authentication, from the client's side (issue 25).

A fake Besu on a free port reads a credentials file made by ``tracenet network``'s own renderer
and behaves as Besu documents (besu-docs ``public-networks/how-to/use-besu-api/authenticate.md``):
``POST /login`` with a name and password checks them against the bcrypt hash and returns a token;
every JSON-RPC call needs ``Authorization: Bearer <token>`` and a permission
``"<api_group>:<method_name>"`` (or ``"<group>:*"``, ``"*:*"``) of that user, else HTTP 401.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import bcrypt
import pytest

from tracenet import contracts
from tracenet.contracts._rpc import BesuLogin, split_credentials
from tracenet.contracts.errors import RpcError, RpcLoginRefused
from tracenet.node._network_rpc import RpcAccount, credentials_toml, hash_password

PASSWORD = "pw-" + "x" * 40


class FakeBesu:
    """Just enough of Besu's JSON-RPC authentication to test a client against."""

    def __init__(self, credentials: str) -> None:
        self.users: dict[str, Any] = tomllib.loads(credentials)["Users"]
        self.tokens: dict[str, str] = {}  # token -> user
        self.logins = 0
        self.calls: list[tuple[str, str]] = []  # (user, method)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path == "/login":
                    self._reply(*fake.login(body))
                    return
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                self._reply(*fake.call(fake.tokens.get(token), body))

            def _reply(self, status: int, reply: Any) -> None:
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, user: str, password: str = PASSWORD) -> str:
        return f"http://{user}:{password}@127.0.0.1:{self.port}"

    def login(self, body: dict[str, str]) -> tuple[int, Any]:
        self.logins += 1
        user = self.users.get(body.get("username", ""))
        password = body.get("password", "").encode()
        if user is None or not bcrypt.checkpw(password, user["password"].encode()):
            return 401, "Unauthorized"
        token = secrets.token_hex(16)
        self.tokens[token] = body["username"]
        return 200, {"token": token}

    def call(self, user: str | None, body: Any) -> tuple[int, Any]:
        def one(call: dict[str, Any]) -> dict[str, Any]:
            group, _, name = call["method"].partition("_")
            granted = self.users[user]["permissions"] if user else []
            if not {"*:*", f"{group}:*", f"{group}:{name}"} & set(granted):
                error = {"code": -40100, "message": "Unauthorized"}
                return {"jsonrpc": "2.0", "id": call["id"], "error": error}
            self.calls.append((str(user), call["method"]))
            return {"jsonrpc": "2.0", "id": call["id"], "result": "0x1b"}

        if isinstance(body, list):
            return 200, [one(c) for c in body]
        reply = one(body)
        return (401 if "error" in reply else 200), reply

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def besu() -> Iterator[FakeBesu]:
    account = RpcAccount("mill", hash_password(PASSWORD))
    node = FakeBesu(credentials_toml(operator="owner", own=None, indexer=None, members=[account]))
    yield node
    node.close()


def test_a_member_logs_in_once_and_calls_what_its_gateway_needs(besu: FakeBesu) -> None:
    with contracts.RpcClient(besu.url("mill"), retries=0) as client:
        assert client.chain_id() == 27
        assert client.block_number() == 27
        assert client.batch([("eth_chainId", []), ("eth_sendRawTransaction", ["0x"])]) == [
            "0x1b",
            "0x1b",
        ]
        assert PASSWORD not in client.url
    assert besu.logins == 1
    assert ("mill", "eth_sendRawTransaction") in besu.calls


def test_eth_get_logs_is_refused_to_a_member(besu: FakeBesu) -> None:
    with contracts.RpcClient(besu.url("mill"), retries=0) as client:
        (reply,) = client.batch([("eth_getLogs", [{"fromBlock": "0x0"}])])
        assert isinstance(reply, RpcError) and reply.code == -40100
        assert client.batch([("eth_blockNumber", [])]) == ["0x1b"]
    assert ("mill", "eth_getLogs") not in besu.calls


def test_an_expired_token_is_renewed_on_401(besu: FakeBesu) -> None:
    async def run() -> None:
        client = contracts.AsyncRpcClient(besu.url("mill"), retries=0)
        try:
            assert await client.chain_id() == 27
            besu.tokens.clear()  # Besu restarted, or the five minutes passed
            assert await client.block_number() == 27
        finally:
            await client.aclose()

    asyncio.run(run())
    assert besu.logins == 2


def test_a_token_is_renewed_before_besus_five_minutes(besu: FakeBesu) -> None:
    now = [1000.0]
    url, credentials = split_credentials(besu.url("mill"))
    assert credentials == ("mill", PASSWORD)
    login = BesuLogin(url, *credentials, clock=lambda: now[0])
    with contracts.RpcClient(url, retries=0) as client:
        client._client.auth = login
        client.chain_id()
        now[0] += 239
        client.chain_id()
        assert besu.logins == 1
        now[0] += 2  # 241 s: renewed before Besu's 300 s run out
        client.chain_id()
    assert besu.logins == 2


def test_a_wrong_password_is_refused_once_and_never_printed(besu: FakeBesu) -> None:
    client = contracts.RpcClient(besu.url("mill", "wrong-password"), retries=3)
    with client, pytest.raises(RpcLoginRefused) as caught:
        client.chain_id()
    assert besu.logins == 1  # not retried: the same password fails the same way
    assert caught.value.retryable is False and caught.value.user == "mill"
    assert "wrong-password" not in str(caught.value)
    assert "login as 'mill' refused (HTTP 401)" in str(caught.value)


def test_web3_logs_in_too(besu: FakeBesu) -> None:
    w3 = contracts.connect(besu.url("mill"))
    assert w3.eth.chain_id == 27
    assert PASSWORD not in str(w3.provider)
    assert besu.logins == 1


def test_a_url_without_credentials_is_left_alone() -> None:
    assert split_credentials("http://127.0.0.1:8545") == ("http://127.0.0.1:8545", None)
    assert split_credentials("http://a%40b:p%3Aq@node:8545/x") == (
        "http://node:8545/x",
        ("a@b", "p:q"),
    )
