"""Bindings: deploying and attaching to the ledger, decoding reverts and events."""

from __future__ import annotations

import inspect
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_tester.exceptions import TransactionFailed
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import ContractCustomError

from tracenet import contracts
from tracenet.contracts import (
    DecodedError,
    DecodedEvent,
    Deployment,
    LedgerHandle,
    attach,
    decode_error,
    decode_events,
    decode_exception,
    deploy_ledger,
    load_artifact,
    transact,
)
from tracenet.contracts._config import NODE_MODULES
from tracenet.contracts.errors import (
    ArtifactNotFoundError,
    DeploymentError,
    LedgerRevert,
    UnknownRevert,
)

ZERO32 = bytes(32)
ROLE_MEMBER = 8


def stranger(w3: Web3) -> str:
    return w3.eth.accounts[9]


def test_public_api_is_complete() -> None:
    public = {
        name
        for name, value in vars(contracts).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(contracts.__all__)


def test_artifacts_load_by_name() -> None:
    ledger = load_artifact("Ledger")
    assert ledger.deployable and ledger.source_name == "Ledger.sol"
    assert not load_artifact("ILedger").deployable
    with pytest.raises(ArtifactNotFoundError) as info:
        load_artifact("Nope")
    assert "Ledger" in info.value.available


def test_deploy_wires_the_three_contracts(ledger: LedgerHandle) -> None:
    addresses = ledger.deployment.addresses
    assert ledger.consortium.functions.ledger().call() == addresses["Ledger"]
    assert ledger.catalog.functions.consortium().call() == addresses["Consortium"]
    assert ledger.ledger.functions.catalog().call() == addresses["Catalog"]
    assert ledger.deployment.deployer == ledger.w3.eth.accounts[0]
    assert ledger.deployment.chain_id == ledger.w3.eth.chain_id


def test_deployment_round_trips_through_json(ledger: LedgerHandle, tmp_path: Path) -> None:
    deployment = ledger.deployment
    text = deployment.to_json()
    assert text.endswith("}\n") and Deployment.from_json(text) == deployment
    deployment.save(tmp_path / "deep" / "deployment.json")
    assert Deployment.load(tmp_path / "deep" / "deployment.json") == deployment
    lower = text.replace(deployment.deployer, deployment.deployer.lower())
    assert Deployment.from_json(lower).deployer == deployment.deployer


def test_attach_binds_a_recorded_deployment(w3: Web3, ledger: LedgerHandle) -> None:
    again = attach(w3, Deployment.from_json(ledger.deployment.to_json()))
    assert again.ledger.address == ledger.ledger.address
    assert again.consortium.functions.ledger().call() == ledger.ledger.address
    elsewhere = Deployment(**{**vars(ledger.deployment), "chain_id": 1})
    with pytest.raises(DeploymentError, match="chain 1"):
        attach(w3, elsewhere)
    empty = {**ledger.deployment.addresses, "Ledger": to_checksum_address("0x" + "11" * 20)}
    with pytest.raises(DeploymentError, match="no code"):
        attach(w3, Deployment(**{**vars(ledger.deployment), "addresses": empty}))


def test_a_rejected_transaction_raises_the_decoded_custom_error(ledger: LedgerHandle) -> None:
    w3 = ledger.w3
    register = ledger.consortium.functions.registerParty("Mill", ZERO32, ROLE_MEMBER)
    with pytest.raises(LedgerRevert) as info:
        transact(w3, register, stranger(w3))
    assert (info.value.name, info.value.error_args) == ("SignerUnknown", {"signer": stranger(w3)})
    assert info.value.tx_hash is None and not info.value.retryable


def test_eth_tester_reverts_surface_as_transaction_failed(ledger: LedgerHandle) -> None:
    register = ledger.consortium.functions.registerParty("Mill", ZERO32, ROLE_MEMBER)
    with pytest.raises(TransactionFailed) as info:
        register.call({"from": stranger(ledger.w3)})
    assert str(info.value).startswith("execution reverted: b'")
    assert decode_exception(info.value) == DecodedError(
        "SignerUnknown", {"signer": stranger(ledger.w3)}
    )


def test_a_mined_failure_is_replayed_to_find_its_error(ledger: LedgerHandle) -> None:
    w3 = ledger.w3
    bind_again = ledger.consortium.functions.bindLedger(ledger.ledger.address)
    with pytest.raises(LedgerRevert) as info:
        transact(w3, bind_again, w3.eth.accounts[0], {"gas": 200_000})  # no estimate: mined
    assert info.value.name == "LedgerAlreadyBound"
    assert info.value.error_args == {"ledger": ledger.ledger.address}
    assert info.value.tx_hash is not None
    assert w3.eth.get_transaction_receipt(info.value.tx_hash)["status"] == 0


def test_a_local_key_signs_its_own_transactions(ledger: LedgerHandle) -> None:
    w3, admin = ledger.w3, ledger.w3.eth.accounts[0]
    signer = Account.create()
    w3.eth.send_transaction({"from": admin, "to": signer.address, "value": 10**18})
    register = ledger.consortium.functions.registerParty("Mill", ZERO32, ROLE_MEMBER)
    with pytest.raises(LedgerRevert, match="SignerUnknown"):
        transact(w3, register, signer)
    transact(w3, ledger.consortium.functions.authorizeSigner(signer.address, 1, 0), admin)
    receipt = transact(w3, register, signer)
    assert receipt["from"] == signer.address
    assert [e.event for e in ledger.decode_events(receipt)] == ["PartyRegistered"]


def test_events_decode_by_name(ledger: LedgerHandle) -> None:
    register = ledger.consortium.functions.registerParty("Mill", b"\x01" * 32, ROLE_MEMBER)
    receipt = transact(ledger.w3, register, ledger.w3.eth.accounts[0])
    expected = DecodedEvent(
        "Consortium",
        "PartyRegistered",
        {"partyId": 2, "name": "Mill", "identifier": b"\x01" * 32, "roles": ROLE_MEMBER},
    )
    assert decode_events(receipt) == [expected]
    assert ledger.decode_events(receipt) == [expected]
    contract, event, args = expected
    assert (contract, event, args["partyId"]) == ("Consortium", "PartyRegistered", 2)
    foreign = dict(receipt, logs=[dict(log, address="0x" + "22" * 20) for log in receipt["logs"]])
    assert ledger.decode_events(foreign) == []


def test_standard_errors_and_unknown_data() -> None:
    error = bytes.fromhex("08c379a0") + encode(["string"], ["no"])
    assert decode_error(error) == DecodedError("Error", {"message": "no"})
    assert decode_error("0x4e487b71" + "00" * 31 + "11") == DecodedError("Panic", {"code": 0x11})
    for data in (b"", b"\xde\xad\xbe\xef"):
        with pytest.raises(UnknownRevert) as info:
            decode_error(data)
        assert info.value.data == data and info.value.name == ""
    assert decode_exception(TransactionFailed("execution reverted: no")) == DecodedError(
        "Error", {"message": "no"}
    )
    with pytest.raises(UnknownRevert):
        decode_exception(TransactionFailed("execution reverted: b''"))
    with pytest.raises(TypeError):
        decode_exception(ValueError("not a revert"))


# --- the real node: anvil ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def anvil() -> Iterator[Web3]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    binary = NODE_MODULES / ".bin" / "anvil"
    process = subprocess.Popen(
        [str(binary), "--port", str(port), "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 10}))
        deadline = time.monotonic() + 20
        while not w3.is_connected():
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("anvil did not start")
            time.sleep(0.1)
        yield w3
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.integration
def test_reverts_and_events_on_anvil(anvil: Web3) -> None:
    admin, outsider = anvil.eth.accounts[0], anvil.eth.accounts[9]
    handle = deploy_ledger(anvil, admin)
    assert handle.deployment.chain_id == 31337
    register = handle.consortium.functions.registerParty("Mill", ZERO32, ROLE_MEMBER)
    with pytest.raises(ContractCustomError) as raw:
        register.call({"from": outsider})
    assert decode_exception(raw.value) == DecodedError("SignerUnknown", {"signer": outsider})
    with pytest.raises(LedgerRevert, match="SignerUnknown"):
        transact(anvil, register, outsider)
    bind_again = handle.consortium.functions.bindLedger(handle.ledger.address)
    with pytest.raises(LedgerRevert) as mined:
        transact(anvil, bind_again, admin, {"gas": 200_000})
    assert mined.value.name == "LedgerAlreadyBound" and mined.value.tx_hash is not None
    receipt = transact(anvil, register, admin)
    assert [e.event for e in handle.decode_events(receipt)] == ["PartyRegistered"]
