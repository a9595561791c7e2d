"""The benchmarks' world: a small consortium on a real anvil, a key store for a gateway
subprocess, the gateway process itself and the shipment bodies it is sent.

A free port and polling come from ``tests/_support.py`` (the tests own the support code both
share); the integration tests reuse ``setup`` from here (tests/gateway/anvil_setup.py). Setup
transactions are sent by anvil's unlocked dev accounts without waiting one by one (explicit gas,
sequential ids), then awaited together, so a 1 s block time costs a couple of blocks, not one
per transaction.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from web3 import Web3

from tests._support import free_port as free_port
from tests._support import poll as wait_for
from tracenet import contracts
from tracenet.wallet import Keystore

ROLE_CERTIFIER, ROLE_MEMBER, ROLE_ORIGIN = 2, 8, 16
P_CERTIFIER, P_RECYCLER, P_BRAND = 2, 3, 4
U_PLANT, U_BRAND = 1, 2
C_FLAKE = 1
PASSPHRASE = "integration-passphrase"
STOCK = 10**15  # grams of credits the plant holds


@dataclass(frozen=True)
class AnvilWorld:
    deployment_path: Path
    wallet_dir: Path
    token_id: int
    signers: list[str]


def setup(w3: Web3, directory: Path, *, plant_signers: int = 4) -> AnvilWorld:
    admin, certifier, feeder = w3.eth.accounts[:3]
    w3.eth.set_gas_price_strategy(lambda *_: 0)  # legacy zero-price transactions (free gas)
    handle = contracts.deploy_ledger(w3, admin, "Tracenet Consortium")
    c, cat = handle.consortium.functions, handle.catalog.functions
    keys = Keystore(directory / "wallet", scrypt_n=2)
    labels = [f"plant-{i}" for i in range(plant_signers)]
    infos = [
        keys.create(label=x, party="recycler", unit="plant", passphrase=PASSPHRASE) for x in labels
    ]
    now = int(w3.eth.get_block("latest")["timestamp"])
    spec = ("rPET-flake", "recycled content", 1, 1, 0, 0, 3, 4, False, 0, False, 1_000, 3_000)
    plan: list[tuple[Any, str]] = [
        (c.registerParty("Certifier", b"\0" * 32, ROLE_CERTIFIER), admin),
        (c.registerParty("Recycler", b"\0" * 32, ROLE_MEMBER | ROLE_ORIGIN), admin),
        (c.registerParty("Brand", b"\0" * 32, ROLE_MEMBER), admin),
        (c.registerUnit(P_RECYCLER, 0, "Plant", "Somewhere"), admin),
        (c.registerUnit(P_BRAND, 0, "Brand DC", "Elsewhere"), admin),
        (c.authorizeSigner(certifier, P_CERTIFIER, 0), admin),
        (c.authorizeSigner(feeder, P_RECYCLER, U_PLANT), admin),
        *[(c.authorizeSigner(i.address, P_RECYCLER, U_PLANT), admin) for i in infos],
        (cat.registerScheme("ISCC PLUS", 12), admin),
        (cat.registerProductGroup("PET flakes", 10_000), admin),
        (cat.registerClass(spec), admin),
    ]
    _send_all(w3, plan)
    cert = c.registerCertificate(
        P_RECYCLER, 1, "ISCC-1", now - 86_400, now + 365 * 86_400, 0, [C_FLAKE], [U_PLANT]
    )
    _send_all(w3, [(cert, certifier)])
    receipt = _send_all(
        w3, [(handle.ledger.functions.recordInput(C_FLAKE, STOCK, 1, b"\1" * 32), feeder)]
    )
    (event,) = [e for e in handle.decode_events(receipt) if e.event == "InputRecorded"]
    record = json.loads(handle.deployment.to_json())
    record["registry"] = {
        "parties": {"certifier": P_CERTIFIER, "recycler": P_RECYCLER, "brand": P_BRAND},
        "units": {"plant": U_PLANT, "brand-dc": U_BRAND},
        "classes": {"rpet-flake": C_FLAKE},
        "product_groups": {"pet-flakes": 1},
    }
    path = directory / "deployment.json"
    path.write_text(json.dumps(record))
    return AnvilWorld(path, directory / "wallet", int(event.args["tokenId"]), labels)


def _send_all(w3: Web3, plan: list[tuple[Any, str]]) -> Any:
    hashes = [fn.transact({"from": sender, "gas": 3_000_000, "gasPrice": 0}) for fn, sender in plan]
    receipt = None
    for h in hashes:
        receipt = w3.eth.wait_for_transaction_receipt(h, timeout=60, poll_latency=0.05)
        assert receipt["status"] == 1, f"setup transaction failed: {receipt}"
    return receipt


def gateway_env(
    world: AnvilWorld, rpc_url: str, database: Path, port: int, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACENET_")}
    env.update(
        TRACENET_GATEWAY_RPC_URL=rpc_url,
        TRACENET_GATEWAY_DEPLOYMENT=str(world.deployment_path),
        TRACENET_GATEWAY_DATABASE_URL=f"sqlite:///{database}",
        TRACENET_GATEWAY_WALLET_DIR=str(world.wallet_dir),
        TRACENET_GATEWAY_PASSPHRASE_ENV="TN_TEST_PASSPHRASE",
        TN_TEST_PASSPHRASE=PASSPHRASE,
        TRACENET_GATEWAY_PORT=str(port),
        **extra,
    )
    return env


def doc(i: int) -> str:
    return "0x" + hashlib.sha256(f"shipment-{i}".encode()).hexdigest()


def body(i: int, token: int) -> dict[str, Any]:
    """The HTTP body of shipment ``i`` (1 g of credits of ``token`` from the plant to the brand)."""
    return {
        "unit": "plant",
        "to_unit": "brand-dc",
        "product_group": "pet-flakes",
        "quantity": 1000,
        "document_hash": doc(i),
        "order_ref": f"PO-{i}",
        "product": "flakes",
        "lines": [{"token_id": str(token), "amount": 1}],
    }


def ship_args(i: int, token: int) -> tuple[Any, ...]:
    """The same shipment as ``Ledger.ship``'s struct, for the direct clients."""
    return (U_BRAND, 1, 1000, bytes.fromhex(doc(i)[2:]), f"PO-{i}".encode().ljust(32, b"\0"),
            b"flakes".ljust(32, b"\0"), [token], [1])  # fmt: skip


def api_key(env: dict[str, str]) -> str:
    """A write key of the recycler, created by the CLI as an operator would."""
    cmd = [sys.executable, "-m", "tracenet.cli", "gateway", "keys", "create",
           "--party", "recycler", "--scope", "write"]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, check=True)
    return str(json.loads(out.stdout)["api_key"])


class Gateway:
    """``tracenet gateway serve`` as a subprocess in its own session, stopped by its PID."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tracenet.cli", "gateway", "serve"],
                env=self.env, stdout=out, stderr=out, start_new_session=True,
            )  # fmt: skip
        wait_for(self._ready, timeout=60, what="gateway ready")

    def _ready(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
        try:
            return bool(httpx.get(self.url + "/v1/health", timeout=1).json()["pipeline_ready"])
        except (httpx.HTTPError, ValueError, KeyError):
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
