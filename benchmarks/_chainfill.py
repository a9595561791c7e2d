"""Filling a real node (anvil) with ledger traffic fast: unlocked dev accounts, batched
eth_sendTransaction, blocks mined on demand. Used by the integration tests and the benchmark.

The consortium: a certifier and a line of seven member units U1 → … → U7 (U1 is the origin,
U4 converts flakes to resin). One round: U1 records an input, ships it down the line with 5-line
shipments, U4 converts, U7 claims: every kind of credit movement, and claims eight hops from
their inputs (input → three shipments → conversion → three shipments → claim), drawing on
pools that every round's input feeds.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from eth_abi.abi import encode as abi_encode
from eth_utils.abi import function_signature_to_4byte_selector
from web3 import Web3

from tracenet import contracts
from tracenet.contracts import Deployment

ZERO = b"\0" * 32
FAR = 4_102_444_800  # 2100-01-01
GAS = 600_000
MEMBER, ORIGIN, CERTIFIER = 8, 16, 2
C_FLAKE, C_RESIN = 1, 2
G_FLAKE, G_RESIN = 1, 2
UNITS = 7
_docs = itertools.count(1)
_RUN = uuid.uuid4().hex  # evidence must be new on a chain filled by an earlier process too


def doc() -> bytes:
    return hashlib.sha256(f"fill-{_RUN}-{next(_docs)}".encode()).digest()


@dataclass
class Filler:
    rpc_url: str
    w3: Web3 = field(init=False)
    handle: contracts.LedgerHandle = field(init=False)
    signers: list[str] = field(init=False)
    sent: int = 0

    def __post_init__(self) -> None:
        self.w3 = contracts.connect(self.rpc_url)
        self.w3.eth.set_gas_price_strategy(lambda _w3, _tx: 0)  # legacy, zero-priced transactions
        self.accounts = list(self.w3.eth.accounts)
        self._http = httpx.Client(timeout=60, trust_env=False)
        self._ids = itertools.count(1)
        self._nonces: dict[str, int] = {}
        self._cached: dict[str, Any] = {}

    def close(self) -> None:
        self._http.close()

    def rpc(self, method: str, params: list[Any]) -> Any:
        reply = self._http.post(
            self.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        ).json()
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def _send(self, fn: Any, sender: str) -> None:
        contracts.transact(self.w3, fn, sender, {"gasPrice": 0, "gas": GAS})

    def deploy(self) -> Deployment:
        """Deploys the ledger and registers the line of units; every call mined and checked."""
        admin, certifier = self.accounts[0], self.accounts[1]
        self.signers = self.accounts[2 : 2 + UNITS]
        self.handle = contracts.deploy_ledger(self.w3, admin, "Fill consortium")
        c, cat = self.handle.consortium.functions, self.handle.catalog.functions
        self._send(c.registerParty("Certifier", ZERO, CERTIFIER), admin)
        self._send(c.authorizeSigner(certifier, 2, 0), admin)
        for k in range(UNITS):
            party = 3 + k
            self._send(c.registerParty(f"Member {k + 1}", ZERO, MEMBER | ORIGIN), admin)
            self._send(c.registerUnit(party, 0, f"Unit {k + 1}", "Somewhere"), admin)
            self._send(c.authorizeSigner(self.signers[k], party, k + 1), admin)
        self._send(cat.registerScheme("ISCC PLUS", 12), admin)
        self._send(cat.registerProductGroup("PET flakes", 10_000), admin)
        self._send(cat.registerProductGroup("PET resin", 10_000), admin)
        for name, group in (("rPET-flake", G_FLAKE), ("rPET-resin", G_RESIN)):
            spec = (name, "recycled content", 1, group, 0, 0, 12, 12, False, 0, False, 1000, 3000)
            self._send(cat.registerClass(spec), admin)
        self._send(cat.registerProcess(4, C_FLAKE, C_RESIN, "Flake to resin"), certifier)
        self._send(cat.registerFactor(1, 9_000, 0, doc()), certifier)
        self._send(c.registerCertificate(3, 1, "CERT-1", 0, FAR, 0, [C_FLAKE], [1]), certifier)
        for unit in range(1, UNITS + 1):  # every unit ships or claims both groups (R7 scope)
            self._send(cat.setUnitScope(unit, G_FLAKE, True), admin)
            self._send(cat.setUnitScope(unit, G_RESIN, True), admin)
        return self.handle.deployment

    # ---- traffic -------------------------------------------------------------------------

    def token(self, class_id: int) -> int:
        period = int(self.handle.ledger.functions.currentPeriod(class_id).call())
        return (class_id << 64) | (period << 32)

    def _tx(self, sender: str, data: bytes) -> dict[str, Any]:
        if sender not in self._nonces:
            self._nonces[sender] = self.w3.eth.get_transaction_count(sender, "pending")  # type: ignore[arg-type]
        nonce = self._nonces[sender]
        self._nonces[sender] += 1
        return {
            "from": sender,
            "to": self.handle.ledger.address,
            "data": "0x" + data.hex(),
            "gas": hex(GAS),
            "gasPrice": "0x0",
            "nonce": hex(nonce),
        }

    def round_txs(self, a: int) -> list[dict[str, Any]]:
        """One round of traffic: 12 transactions, 28 events when all succeed.

        Each hop ships a little less than it receives, so every unit builds a buffer and the
        transactions of many rounds can share a block in any order once ``prime`` has run.
        """
        f = self.handle.ledger.functions
        if self._cached.get("a") != a:
            flake, resin = self.token(C_FLAKE), self.token(C_RESIN)
            tenths = [
                (G_FLAKE, flake, 10),
                (G_FLAKE, flake, 9),
                (G_FLAKE, flake, 8),
                (G_RESIN, resin, 6),
                (G_RESIN, resin, 5),
                (G_RESIN, resin, 4),
            ]
            hops = [(g, t, a * n // 10) for g, t, n in tenths]
            s = self.signers
            fixed = []
            for k, (group, token, n) in enumerate(hops):  # U(k+1) ships to U(k+2)
                request = (k + 2, group, 5 * n, doc(), ZERO, ZERO, [token] * 5, [n] * 5)
                fixed.append((s[k], _data(f.ship(request))))
            fixed.append((s[3], _data(f.convert(1, 0, [flake], [a * 35 // 10]))))
            fixed.append((s[6], _data(f.claim([resin], [a // 2], "Acme", ZERO, ZERO))))
            fixed.append((s[0], _data(f.recordProduction(G_FLAKE, 3 * a, doc()))))
            fixed.append((s[0], _data(f.recordConventionalInput(G_FLAKE, a, doc()))))
            fixed.append((s[6], _data(f.claim([resin], [a // 4], "Brand", ZERO, ZERO))))
            self._cached = {"a": a, "fixed": fixed}
        txs = [self.input_tx(10 * a)]
        txs += [self._tx(sender, data) for sender, data in self._cached["fixed"]]
        return txs

    def input_tx(self, amount: int) -> dict[str, Any]:
        """A certified input of ``amount`` grams of flakes at U1, with fresh evidence."""
        data = _RECORD_INPUT + abi_encode(
            ["uint32", "uint256", "uint32", "bytes32"], [C_FLAKE, amount, 1, doc()]
        )
        return self._tx(self.signers[0], data)

    def send_batch(self, txs: list[dict[str, Any]]) -> None:
        body = [
            {
                "jsonrpc": "2.0",
                "id": next(self._ids),
                "method": "eth_sendTransaction",
                "params": [t],
            }
            for t in txs
        ]
        for reply in self._http.post(self.rpc_url, json=body).json():
            if "error" in reply:
                raise RuntimeError(f"eth_sendTransaction: {reply['error']}")
        self.sent += len(txs)

    def prime(self, rounds: int, amount: int) -> None:
        """Rounds mined one transaction per block, in order, so every unit builds a buffer
        (``amount`` ≥ 100 × the fill amount × rounds per block, with two rounds)."""
        for _ in range(rounds):
            for tx in self.round_txs(amount):
                self.send_batch([tx])
                self.rpc("evm_mine", [])

    def fill(self, rounds: int, amount: int, rounds_per_block: int) -> None:
        """Many rounds, ``rounds_per_block`` of them per mined block (automine must be off)."""
        for start in range(0, rounds, rounds_per_block):
            txs = [
                t
                for _ in range(min(rounds_per_block, rounds - start))
                for t in self.round_txs(amount)
            ]
            self.send_batch(txs)
            self.rpc("evm_mine", [])


_RECORD_INPUT = function_signature_to_4byte_selector("recordInput(uint32,uint256,uint32,bytes32)")


def _data(fn: Any) -> bytes:
    return bytes.fromhex(fn._encode_transaction_data()[2:])
