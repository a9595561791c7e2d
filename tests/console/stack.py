"""A real network for the browser tests: anvil, the small consortium of
``tests/gateway/anvil_setup.py`` plus an auditor, the recycler's gateway, the indexer (follower
and API) and the console, each a subprocess on a free port, stopped by its pid."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from web3 import Web3

from tests.gateway.anvil_setup import (
    P_BRAND,
    P_CERTIFIER,
    PASSPHRASE,
    AnvilWorld,
    gateway_env,
    setup,
    wait_for,
)
from tracenet import contracts
from tracenet.wallet import Keystore, LocalSigner

ROLE_AUDITOR = 4
P_ADMIN = 1  # the consortium itself: the deployment registers it with the admin role
P_AUDITOR = 5  # after certifier 2, recycler 3, brand 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proc:
    """A ``tracenet …`` subprocess in its own session, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tracenet.cli", *argv],
                env=env, stdout=out, stderr=out, start_new_session=True,
            )  # fmt: skip

    def alive(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
        return True

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def _up(url: str, proc: Proc, ok: Callable[[httpx.Response], bool]) -> bool:
    proc.alive()
    try:
        return ok(httpx.get(url, timeout=2, trust_env=False))
    except httpx.HTTPError:
        return False


def run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tracenet.cli", *argv], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@dataclass
class Stack:
    world: AnvilWorld
    w3: Web3
    gateway_url: str
    console_url: str
    indexer_url: str
    gateway_key: str
    indexer_key: str  # the recycler's read key
    auditor_key: str  # an auditor's read key
    auditor_account: LocalSigner  # its key is in the gateway's wallet too
    auditor_gateway_key: str  # the auditor's API key of the (shared) gateway
    brand_gateway_key: str  # the brand's read-scope key of that gateway (it holds no brand key)
    brand_indexer_key: str  # the brand's read key: it receives shipments
    certifier_gateway_key: str  # the certification body's read-scope key of that gateway
    certifier_indexer_key: str  # its read key
    admin_gateway_key: str = ""  # the consortium admin's write key of that gateway
    admin_indexer_key: str = ""  # its read key
    procs: list[Proc] = field(default_factory=list)

    def gateway(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.gateway_key}"}
        return httpx.Client(base_url=self.gateway_url, headers=headers, trust_env=False)

    def write(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One write through the gateway, waited for until it is final."""
        with self.gateway() as gw:
            answer = gw.post(path, json=body)
            assert answer.status_code == 202, answer.text
            rid = answer.json()["id"]

            def final() -> dict[str, Any] | None:
                row: dict[str, Any] = gw.get(f"/v1/requests/{rid}").json()
                return row if row["status"] in ("confirmed", "rejected") else None

            row = wait_for(final, timeout=180, what=f"request {rid} final")
        assert row["status"] == "confirmed", row
        return dict(row)

    def indexed(self, path: str, key: str) -> Any:
        """An indexer read, polled until the mirror has it."""
        headers = {"X-API-Key": key, "Authorization": f"Bearer {key}"}

        def read() -> Any:
            r = httpx.get(self.indexer_url + path, headers=headers, trust_env=False, timeout=10)
            return r.json() if r.status_code == 200 else None

        return wait_for(read, timeout=180, what=f"indexer {path}")


def start(rpc_url: str, tmp: Path) -> Stack:
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    world = setup(w3, tmp, plant_signers=1)
    # The auditor's key is kept where the auditor's gateway signs: one gateway serves both here.
    wallet = Keystore(world.wallet_dir, scrypt_n=2)
    wallet.create(label="auditor", party="auditor", passphrase=PASSPHRASE)
    auditor = wallet.unlock("auditor", PASSPHRASE)
    # …and the consortium admin's, so the admin registers parties through the console (issue 21)
    wallet.create(label="admin", party="consortium", passphrase=PASSPHRASE)
    admin_key = wallet.unlock("admin", PASSPHRASE)
    admin = w3.eth.accounts[0]
    _register_auditor(w3, world.deployment_path, admin, auditor.address, admin_key.address)
    procs: list[Proc] = []
    try:
        return _serve(w3, world, rpc_url, tmp, auditor, procs)
    except BaseException:
        for p in reversed(procs):
            p.stop()
        raise


def _register_auditor(
    w3: Web3, deployment: Path, admin: str, address: str, admin_address: str
) -> None:
    c = contracts.attach(w3, contracts.Deployment.load(deployment)).consortium.functions
    for call in (
        c.registerParty("Auditor", b"\0" * 32, ROLE_AUDITOR),
        c.authorizeSigner(address, P_AUDITOR, 0),
        c.authorizeSigner(admin_address, P_ADMIN, 0),
    ):
        h = call.transact({"from": admin, "gas": 3_000_000, "gasPrice": 0})
        assert w3.eth.wait_for_transaction_receipt(h, timeout=60)["status"] == 1


def _serve(
    w3: Web3, world: AnvilWorld, rpc_url: str, tmp: Path, auditor: LocalSigner, procs: list[Proc]
) -> Stack:
    gw_port, ix_port, co_port = free_port(), free_port(), free_port()
    gw_env = gateway_env(world, rpc_url, tmp / "gw.db", gw_port)
    gateway_key, auditor_gateway_key, brand_gateway_key, certifier_gateway_key, admin_gw_key = (
        json.loads(run(["gateway", "keys", "create", "--party", p, "--scope", scope], gw_env))[
            "api_key"
        ]
        for p, scope in (
            ("recycler", "write"),
            (str(P_AUDITOR), "write"),
            (str(P_BRAND), "read"),
            (str(P_CERTIFIER), "read"),
            (str(P_ADMIN), "write"),
        )
    )
    gw = Proc("gateway", ["gateway", "serve"], gw_env, tmp / "gateway.log")
    procs.append(gw)
    ix_env = {k: v for k, v in os.environ.items() if not k.startswith("TRACENET_")}
    ix_env |= {
        "TRACENET_INDEXER_RPC_URL": rpc_url,
        "TRACENET_INDEXER_DEPLOYMENT": str(world.deployment_path),
        "TRACENET_INDEXER_DATABASE_URL": f"sqlite:///{tmp / 'indexer.db'}",
        "TRACENET_INDEXER_POLL_INTERVAL": "0.1",
        # one browser clicks through every page: far above a buyer's rate (issue 26)
        "TRACENET_INDEXER_PUBLIC_RATE_PER_MINUTE": "6000",
        "TRACENET_INDEXER_PUBLIC_BURST": "1000",
        "TRACENET_INDEXER_DOCUMENT_RATE_PER_MINUTE": "600",
        "TRACENET_INDEXER_DOCUMENT_BURST": "100",
    }
    procs.append(Proc("indexer", ["indexer", "run"], ix_env, tmp / "indexer-run.log"))
    ix_url, gw_url = f"http://127.0.0.1:{ix_port}", f"http://127.0.0.1:{gw_port}"

    def keys() -> tuple[str, ...] | None:
        procs[1].alive()  # the follower: its log says why it stopped
        try:
            return tuple(
                run(["indexer", "keys", "create", "--party", str(p)], ix_env)
                for p in (3, P_AUDITOR, P_BRAND, P_CERTIFIER, P_ADMIN)
            )
        except AssertionError:  # the mirror has not seen the parties yet
            return None

    recycler_key, auditor_key, brand_key, certifier_key, admin_ix_key = wait_for(
        keys, timeout=240, what="indexer keys"
    )
    # The API starts once the follower has migrated the mirror (two migrators would race).
    ix = Proc("indexer-api", ["indexer", "serve", "--port", str(ix_port)], ix_env,
              tmp / "indexer-api.log")  # fmt: skip
    procs.append(ix)
    co_env = {k: v for k, v in ix_env.items() if not k.startswith("TRACENET_")}
    co_env |= {
        "TRACENET_CONSOLE_PORT": str(co_port),
        "TRACENET_CONSOLE_INDEXER_URL": ix_url,
        "TRACENET_CONSOLE_INDEXER_KEY": auditor_key,
        "TRACENET_CONSOLE_PUBLIC_RATE_PER_MINUTE": "6000",
        "TRACENET_CONSOLE_PUBLIC_BURST": "1000",
        "TRACENET_CONSOLE_DOCUMENT_RATE_PER_MINUTE": "600",
        "TRACENET_CONSOLE_DOCUMENT_BURST": "100",
        "TRACENET_CONSOLE_GATEWAYS": json.dumps(
            {
                "recycler": gw_url,
                "auditor": gw_url,
                "brand": gw_url,
                "certifier": gw_url,
                "admin": gw_url,
            }
        ),
    }
    co = Proc("console", ["console", "serve"], co_env, tmp / "console.log")
    procs.append(co)
    co_url = f"http://127.0.0.1:{co_port}"
    wait_for(lambda: _up(gw_url + "/v1/health", gw, lambda r: r.json().get("pipeline_ready")),
             timeout=240, what="gateway")  # fmt: skip
    wait_for(lambda: _up(ix_url + "/docs", ix, lambda r: r.status_code == 200), timeout=180,
             what="indexer API")  # fmt: skip
    wait_for(lambda: _up(co_url + "/", co, lambda r: r.status_code == 200), timeout=180,
             what="console")  # fmt: skip
    return Stack(
        world=world, w3=w3, gateway_url=gw_url, console_url=co_url, indexer_url=ix_url,
        gateway_key=gateway_key, indexer_key=recycler_key, auditor_key=auditor_key,
        auditor_account=auditor, auditor_gateway_key=auditor_gateway_key,
        brand_gateway_key=brand_gateway_key, brand_indexer_key=brand_key,
        certifier_gateway_key=certifier_gateway_key, certifier_indexer_key=certifier_key,
        admin_gateway_key=admin_gw_key, admin_indexer_key=admin_ix_key, procs=procs,
    )  # fmt: skip


def stop(stack: Stack) -> None:
    for p in reversed(stack.procs):
        p.stop()
