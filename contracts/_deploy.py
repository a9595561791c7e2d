"""Deploying the wired ledger, recording where it lives, and attaching to it again.

Wiring: ``Consortium(admin, adminName)``, ``Catalog(consortium)``, ``Ledger(consortium, catalog)``
(which creates its ``Transit``, issue 19), then ``consortium.bindLedger(ledger)`` sent by the admin.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rlp  # type: ignore[import-untyped]
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.types import TxParams, TxReceipt

from tracenet.contracts._abi import load_artifact
from tracenet.contracts._decoding import (
    LEDGER_CONTRACTS,
    DecodedEvent,
    as_ledger_revert,
    decode_events,
)
from tracenet.contracts._events import decode_receipt
from tracenet.contracts._record import Call, EventRecord, Query
from tracenet.contracts.errors import DeploymentError, UnknownRevert

#: Who sends a transaction: an account the node holds the key of, or a local key.
Sender = str | LocalAccount


@dataclass(frozen=True)
class Deployment:
    """Where a ledger lives: chain, first block (indexers start there), addresses by name.

    ``registry`` maps the keys of a bootstrap config to on-chain ids, per kind (``parties``,
    ``units``, ``boundaries``, ``schemes``, ``product_groups``, ``classes``, ``certificates``,
    ``processes``); it is empty for a ledger deployed without one.
    """

    chain_id: int
    block_number: int
    addresses: dict[str, ChecksumAddress] = field(hash=False)
    deployer: ChecksumAddress
    registry: dict[str, dict[str, int]] = field(default_factory=dict, hash=False, compare=False)

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys, indent 2, trailing newline)."""
        data = {
            "addresses": dict(sorted(self.addresses.items())),
            "blockNumber": self.block_number,
            "chainId": self.chain_id,
            "deployer": self.deployer,
        }
        if self.registry:
            data["registry"] = {
                kind: dict(sorted(ids.items())) for kind, ids in self.registry.items()
            }
        return json.dumps(data, sort_keys=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Deployment:
        data = json.loads(text)
        addresses = {n: to_checksum_address(a) for n, a in sorted(data["addresses"].items())}
        if "Ledger" in addresses and "Transit" not in addresses:  # a record from before issue 19
            addresses["Transit"] = transit_address(addresses["Ledger"])
        return cls(
            chain_id=int(data["chainId"]),
            block_number=int(data["blockNumber"]),
            addresses=dict(sorted(addresses.items())),
            deployer=to_checksum_address(data["deployer"]),
            registry={
                k: {n: int(i) for n, i in v.items()} for k, v in data.get("registry", {}).items()
            },
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Deployment:
        return cls.from_json(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class LedgerHandle:
    """The contracts of a deployed ledger, bound to a web3 instance."""

    w3: Web3
    deployment: Deployment
    consortium: Contract
    catalog: Contract
    ledger: Contract
    transit: Contract

    def decode_events(self, receipt: Mapping[str, Any]) -> list[DecodedEvent]:
        """The receipt's logs emitted by this ledger's contracts, decoded."""
        return decode_events(receipt, addresses=self.deployment.addresses)

    def records(self, receipt: Mapping[str, Any]) -> list[EventRecord]:
        """The receipt's logs emitted by this ledger's contracts, as event records."""
        return decode_receipt(receipt, self.deployment.addresses)

    def function(self, call: Call) -> ContractFunction:
        """The web3 function of a request record: ``transact(w3, handle.function(op), sender)``."""
        contract = {
            "Consortium": self.consortium,
            "Catalog": self.catalog,
            "Ledger": self.ledger,
            "Transit": self.transit,
        }
        return contract[call.CONTRACT].functions[call.FUNCTION](*call.args())

    def read(self, query: Query, block: int | str = "latest") -> Any:
        """A view's result as its record (or plain value); ``LedgerRevert`` if it reverts."""
        params: TxParams = {"to": self.deployment.addresses[query.CONTRACT], "data": query.encode()}
        try:
            data = self.w3.eth.call(params, block)  # type: ignore[arg-type]
        except Exception as exc:
            _raise_if_revert(exc, None)
            raise
        return query.decode_result(bytes(data))


def deploy_ledger(w3: Web3, admin: Sender, admin_name: str = "Consortium admin") -> LedgerHandle:
    """Deploy and wire Consortium, Catalog and Ledger, all sent by ``admin``."""
    admin_address = _address(admin)
    receipts = {}
    addresses: dict[str, ChecksumAddress] = {}
    arguments: dict[str, tuple[Any, ...]] = {"Consortium": (admin_address, admin_name)}
    for name in LEDGER_CONTRACTS:
        if name == "Transit":
            addresses[name] = transit_address(addresses["Ledger"])
            continue
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        if name == "Catalog":
            arguments[name] = (addresses["Consortium"],)
        elif name == "Ledger":
            arguments[name] = (addresses["Consortium"], addresses["Catalog"])
        receipts[name] = transact(w3, factory.constructor(*arguments[name]), admin)
        created = receipts[name]["contractAddress"]
        if created is None:
            raise DeploymentError(f"{name}: the receipt names no contract address")
        addresses[name] = to_checksum_address(created)
    deployment = Deployment(
        chain_id=w3.eth.chain_id,
        block_number=receipts["Consortium"]["blockNumber"],
        addresses=addresses,
        deployer=admin_address,
    )
    handle = attach(w3, deployment)
    transact(w3, handle.consortium.functions.bindLedger(addresses["Ledger"]), admin)
    return handle


def attach(w3: Web3, deployment: Deployment) -> LedgerHandle:
    """Bind a recorded deployment to ``w3``; checks the chain id and that code is there."""
    if (chain_id := w3.eth.chain_id) != deployment.chain_id:
        raise DeploymentError(f"deployment is on chain {deployment.chain_id}, node on {chain_id}")
    contracts = {}
    for name in LEDGER_CONTRACTS:
        address = deployment.addresses.get(name)
        if address is None:
            raise DeploymentError(f"deployment has no address for {name}")
        if not w3.eth.get_code(address):
            raise DeploymentError(f"no code at {name} address {address}")
        contracts[name] = w3.eth.contract(address=address, abi=load_artifact(name).abi)
    return LedgerHandle(
        w3=w3,
        deployment=deployment,
        consortium=contracts["Consortium"],
        catalog=contracts["Catalog"],
        ledger=contracts["Ledger"],
        transit=contracts["Transit"],
    )


def transit_address(ledger: str) -> ChecksumAddress:
    """The Ledger's Transit: the contract it creates in its constructor, at its nonce 1."""
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(ledger[2:]), 1]))[12:])


def transact(
    w3: Web3,
    call: ContractFunction | ContractConstructor,
    sender: Sender,
    tx: TxParams | None = None,
) -> TxReceipt:
    """Send ``call`` from ``sender``, wait for it; ``LedgerRevert`` (decoded) if it reverts.

    A revert found while estimating gas raises before anything is sent (no ``tx_hash``); one
    mined with status 0 is replayed with ``eth_call`` on the parent block to recover the error.
    """
    params: TxParams = {**(tx or {}), "from": _address(sender)}
    try:
        if isinstance(sender, LocalAccount):
            params.setdefault("nonce", w3.eth.get_transaction_count(sender.address, "pending"))
            signed = sender.sign_transaction(call.build_transaction(params))  # type: ignore[arg-type]
            tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        else:
            tx_hash = call.transact(params)
    except Exception as exc:
        _raise_if_revert(exc, None)
        raise
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] == 0:
        _explain_failure(w3, receipt)
    return receipt


def _explain_failure(w3: Web3, receipt: TxReceipt) -> None:
    tx_hash = HexBytes(receipt["transactionHash"]).to_0x_hex()
    sent = w3.eth.get_transaction(receipt["transactionHash"])
    replay: TxParams = {"from": sent["from"], "data": sent["input"], "value": sent["value"]}
    if sent.get("to"):
        replay["to"] = sent["to"]
    try:
        w3.eth.call(replay, receipt["blockNumber"] - 1)
    except Exception as exc:
        _raise_if_revert(exc, tx_hash)
        raise
    raise UnknownRevert(b"", reason="status 0, but the replay did not revert", tx_hash=tx_hash)


def _raise_if_revert(exc: Exception, tx_hash: str | None) -> None:
    try:
        revert = as_ledger_revert(exc, tx_hash=tx_hash)
    except TypeError:
        return  # not a revert: the caller re-raises the original
    raise revert from exc


def _address(sender: Sender) -> ChecksumAddress:
    return to_checksum_address(sender.address if isinstance(sender, LocalAccount) else sender)
