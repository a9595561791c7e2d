"""The key store and signers: round trips, rejections, file hygiene, secrecy, command line."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import pickle
import stat
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils.crypto import keccak
from pydantic import SecretStr

from tracenet import wallet
from tracenet.cli import build_parser, main
from tracenet.wallet import (
    STANDARD_SCRYPT_N,
    DuplicateKeyError,
    InvalidPrivateKeyError,
    KeyfileCorruptError,
    KeyNotFoundError,
    Keystore,
    LocalSigner,
    PassphraseUnavailableError,
    Signer,
    WalletError,
    WalletInputError,
    WalletSettings,
    WrongPassphraseError,
    read_passphrase,
)

PASSPHRASE = "correct horse battery staple"
# A fixed, throwaway key, so that tests can look for it in files, logs and messages.
KEY_HEX = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KEY_ADDRESS = Account.from_key(KEY_HEX).address
FAST_SCRYPT_N = 2**4  # tests only; the default stays STANDARD_SCRYPT_N


@pytest.fixture
def keys(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "wallet", scrypt_n=FAST_SCRYPT_N)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRACENET_WALLET_"):
            monkeypatch.delenv(name)


def _tx(nonce: int = 0) -> dict[str, object]:
    return {"to": KEY_ADDRESS, "value": 1, "gas": 21_000, "gasPrice": 0, "nonce": nonce}


TYPED_DATA = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "chainId", "type": "uint256"},
        ],
        "Transfer": [{"name": "lot", "type": "uint256"}, {"name": "grams", "type": "uint256"}],
    },
    "primaryType": "Transfer",
    "domain": {"name": "Tracenet", "chainId": 7177},
    "message": {"lot": 7, "grams": 1500},
}


# -- round trips ------------------------------------------------------------------------------


def test_create_unlock_and_sign_round_trip(keys: Keystore) -> None:
    info = keys.create(label="acme-mill-1", party="acme", unit="mill", passphrase=PASSPHRASE)
    signer = keys.unlock("acme-mill-1", SecretStr(PASSPHRASE))
    assert isinstance(signer, Signer)
    assert signer.address == info.address == keys.export_address("acme-mill-1")

    signed = signer.sign_transaction(_tx() | {"chainId": 7177})
    assert Account.recover_transaction(signed.raw_transaction) == info.address
    assert signed.hash == keccak(signed.raw_transaction)

    for message in ("lot 7 received", b"\x00\x01binary"):
        signature = signer.sign_message(message)
        signable = (
            encode_defunct(text=message)
            if isinstance(message, str)
            else encode_defunct(primitive=message)
        )
        assert len(signature) == 65
        assert Account.recover_message(signable, signature=signature) == info.address

    typed = signer.sign_typed_data(TYPED_DATA)
    recovered = Account.recover_message(encode_typed_data(full_message=TYPED_DATA), signature=typed)
    assert recovered == info.address


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"value": 10**18, "gasPrice": 10**9, "chainId": 2**40},
        {"data": bytes(range(200)), "nonce": 2**32},
        {"data": "0x"},
        {"to": "0x" + "ab" * 20},  # not checksummed: eth-account refuses it, and so do we
        {"maxFeePerGas": 10**9, "maxPriorityFeePerGas": 1},  # EIP-1559: eth-account signs
    ],
)
def test_legacy_transactions_sign_to_the_bytes_eth_account_gives(extra: dict[str, object]) -> None:
    """The fast path (rlp + libsecp256k1) yields exactly eth-account's raw transaction."""
    tx = _tx(7) | {"chainId": 7177, "data": "0x" + "5a" * 68} | extra
    if "maxFeePerGas" in tx:
        del tx["gasPrice"]
    ours = LocalSigner.from_key(bytes.fromhex(KEY_HEX))
    try:
        expected = Account.from_key(KEY_HEX).sign_transaction(tx)
    except (TypeError, ValueError) as refused:
        with pytest.raises(type(refused)):
            ours.sign_transaction(tx)
        return
    signed = ours.sign_transaction(tx)
    assert signed.raw_transaction == bytes(expected.raw_transaction)
    assert signed.hash == bytes(expected.hash) == keccak(signed.raw_transaction)
    assert Account.recover_transaction(signed.raw_transaction) == KEY_ADDRESS


def test_import_keeps_the_address_and_unlocks_by_address(keys: Keystore) -> None:
    info = keys.import_key("0x" + KEY_HEX, label="bolt", party="bolt", passphrase=PASSPHRASE)
    assert info.address == KEY_ADDRESS and info.unit is None
    assert keys.unlock(KEY_ADDRESS.lower(), PASSPHRASE).address == KEY_ADDRESS
    assert keys.get(KEY_ADDRESS).label == "bolt"


def test_several_keys_per_party_and_unit_are_listed_without_a_passphrase(
    keys: Keystore, monkeypatch: pytest.MonkeyPatch
) -> None:
    for label, party, unit in [
        ("acme-mill-2", "acme", "mill"),
        ("acme-mill-1", "acme", "mill"),
        ("acme-port", "acme", "port"),
        ("bolt", "bolt", None),
    ]:
        keys.create(label=label, party=party, unit=unit, passphrase=PASSPHRASE)

    def no_decrypt(*args: object, **kwargs: object) -> None:
        raise AssertionError("list() must not decrypt")

    monkeypatch.setattr(Account, "decrypt", no_decrypt)
    listed = keys.list()
    assert [i.label for i in listed] == ["acme-mill-1", "acme-mill-2", "acme-port", "bolt"]
    assert len({i.address for i in listed}) == 4
    assert all(i.created_at.utcoffset() is not None for i in listed)
    assert listed[0].to_json()["party"] == "acme"


# -- rejections -------------------------------------------------------------------------------


def test_wrong_passphrase_is_rejected_without_quoting_it(keys: Keystore) -> None:
    keys.import_key(KEY_HEX, label="acme", party="acme", passphrase=PASSPHRASE)
    with pytest.raises(WrongPassphraseError) as caught:
        keys.unlock("acme", "not the passphrase")
    err = caught.value
    assert err.code == "wallet.wrong_passphrase" and err.field == "passphrase"
    assert not err.retryable and err.__cause__ is None and err.__suppress_context__
    for text in (str(err), repr(err)):
        assert "not the passphrase" not in text and PASSPHRASE not in text and KEY_HEX not in text


def test_duplicate_label_or_address_is_rejected(keys: Keystore) -> None:
    keys.import_key(KEY_HEX, label="Acme", party="acme", passphrase=PASSPHRASE)
    with pytest.raises(DuplicateKeyError) as by_label:
        keys.create(label="acme", party="acme", passphrase=PASSPHRASE)
    assert by_label.value.field == "label"
    with pytest.raises(DuplicateKeyError) as by_address:
        keys.import_key(KEY_HEX, label="other", party="bolt", passphrase=PASSPHRASE)
    assert by_address.value.field == "address" and by_address.value.value == KEY_ADDRESS
    assert len(keys.list()) == 1


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("label", {"label": "../escape"}),
        ("label", {"label": ""}),
        ("party", {"party": " acme"}),
        ("unit", {"unit": "line\nbreak"}),
        ("passphrase", {"passphrase": ""}),
    ],
)
def test_invalid_input_is_rejected(keys: Keystore, field: str, kwargs: dict[str, str]) -> None:
    args = {"label": "ok", "party": "acme", "unit": None, "passphrase": PASSPHRASE} | kwargs
    with pytest.raises(WalletInputError) as caught:
        keys.create(**args)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert not keys.directory.exists() or not list(keys.directory.glob("*.json"))


@pytest.mark.parametrize("bad", [KEY_HEX[:-2], KEY_HEX + "00", "zz" + KEY_HEX[2:], "0" * 64])
def test_invalid_private_key_is_rejected_without_quoting_it(keys: Keystore, bad: str) -> None:
    with pytest.raises(InvalidPrivateKeyError) as caught:
        keys.import_key(bad, label="x", party="x", passphrase=PASSPHRASE, source="key.txt")
    assert caught.value.field == "private_key" and "key.txt" in str(caught.value)
    assert bad not in str(caught.value) and caught.value.__cause__ is None


def test_unknown_label_and_corrupt_file(keys: Keystore) -> None:
    with pytest.raises(KeyNotFoundError):
        keys.export_address("nobody")
    keys.create(label="acme", party="acme", passphrase=PASSPHRASE)
    (keys.directory / "junk.json").write_text("{not json")
    with pytest.raises(KeyfileCorruptError) as caught:
        keys.list()
    assert caught.value.path == keys.directory / "junk.json"


# -- files ------------------------------------------------------------------------------------


def test_key_file_is_encrypted_private_and_self_describing(keys: Keystore) -> None:
    info = keys.import_key(KEY_HEX, label="acme", party="acme", unit="mill", passphrase=PASSPHRASE)
    text = info.path.read_text()
    assert KEY_HEX not in text.lower() and PASSPHRASE not in text
    content = json.loads(text)
    assert content["version"] == 3 and content["crypto"]["kdf"] == "scrypt"
    assert content["crypto"]["kdfparams"]["n"] == FAST_SCRYPT_N
    assert content["tracenet"] == {
        "label": "acme",
        "party": "acme",
        "unit": "mill",
        "created_at": info.created_at.isoformat(),
    }
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.directory.stat().st_mode) == 0o700
    assert sorted(p.name for p in keys.directory.iterdir()) == [".lock", "acme.json"]


def test_existing_directory_is_tightened_to_0700(keys: Keystore) -> None:
    keys.directory.mkdir(mode=0o755)
    keys.directory.chmod(0o755)
    keys.create(label="acme", party="acme", passphrase=PASSPHRASE)
    assert stat.S_IMODE(keys.directory.stat().st_mode) == 0o700


def test_production_work_factor_is_the_standard_one(tmp_path: Path) -> None:
    assert STANDARD_SCRYPT_N == 2**18
    assert Keystore(tmp_path).scrypt_n == WalletSettings().scrypt_n == STANDARD_SCRYPT_N
    with pytest.raises(ValueError, match="power of two"):
        WalletSettings(scrypt_n=1000)


# -- secrecy ----------------------------------------------------------------------------------


def test_secrets_never_reach_logs_reprs_or_errors(
    keys: Keystore, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    keys.import_key(KEY_HEX, label="acme", party="acme", passphrase=SecretStr(PASSPHRASE))
    signer = keys.unlock("acme", PASSPHRASE)
    with pytest.raises(WrongPassphraseError) as wrong:
        keys.unlock("acme", PASSPHRASE + "!")
    shown = [repr(signer), str(signer), repr(keys), repr(keys.get("acme")), repr(wrong.value)]
    shown += [caplog.text, *capsys.readouterr()]
    assert "acme" in caplog.text  # something was logged
    for text in shown:
        assert KEY_HEX not in text.lower() and PASSPHRASE not in text
    assert repr(signer) == f"LocalSigner(address={KEY_ADDRESS!r})"
    with pytest.raises(TypeError):
        pickle.dumps(signer)


def test_local_signer_is_the_only_way_to_the_key() -> None:
    signer = LocalSigner.from_key(bytes.fromhex(KEY_HEX))
    assert not hasattr(signer, "__dict__") and not hasattr(signer, "key")
    assert signer.address == KEY_ADDRESS


# -- passphrase sources -----------------------------------------------------------------------


def test_passphrase_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    file = tmp_path / "pass.txt"
    file.write_text(PASSPHRASE + "\n")
    file.chmod(0o600)
    monkeypatch.setenv("MY_PASS", "from env")
    assert read_passphrase(env_var="MY_PASS", file=file).get_secret_value() == PASSPHRASE
    assert not caplog.records
    file.chmod(0o644)
    assert read_passphrase(env_var="MY_PASS", file=file).get_secret_value() == PASSPHRASE
    assert "readable by other users" in caplog.text and PASSPHRASE not in caplog.text
    assert read_passphrase(env_var="MY_PASS").get_secret_value() == "from env"
    monkeypatch.delenv("MY_PASS")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    with pytest.raises(PassphraseUnavailableError, match=r"\$MY_PASS"):
        read_passphrase(env_var="MY_PASS")
    with pytest.raises(PassphraseUnavailableError) as missing:
        read_passphrase(env_var="MY_PASS", file=tmp_path / "absent")
    assert missing.value.field == "passphrase_file"


# -- command line -----------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRACENET_WALLET_DIR", str(tmp_path / "cli-wallet"))
    monkeypatch.setenv("TRACENET_WALLET_SCRYPT_N", str(FAST_SCRYPT_N))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # never a terminal: no prompts
    return tmp_path / "cli-wallet"


def test_cli_create_list_address_with_env_passphrase(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACENET_WALLET_PASSPHRASE", PASSPHRASE)
    argv = ["wallet", "create", "--label", "acme-mill", "--party", "acme", "--unit", "mill"]
    assert main([*argv, "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert main(["wallet", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [created]
    assert main(["wallet", "address", "acme-mill"]) == 0
    assert capsys.readouterr().out.strip() == created["address"]
    assert Keystore(cli_env).unlock("acme-mill", PASSPHRASE).address == created["address"]

    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and PASSPHRASE not in err
    assert main(["wallet", "address", "nobody"]) == 1
    assert "no key" in capsys.readouterr().err


def test_cli_import_with_key_file_and_passphrase_file(
    cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file, pass_file = tmp_path / "key.txt", tmp_path / "pass.txt"
    key_file.write_text("0x" + KEY_HEX + "\n")
    pass_file.write_text(PASSPHRASE + "\n")
    argv = ["wallet", "import", "--label", "bolt", "--party", "bolt"]
    assert main([*argv, "--key-file", str(key_file), "--passphrase-file", str(pass_file)]) == 0
    out, err = capsys.readouterr()
    assert KEY_ADDRESS in out and KEY_HEX not in out + err and PASSPHRASE not in out + err
    assert Keystore(cli_env).unlock("bolt", PASSPHRASE).address == KEY_ADDRESS


def test_cli_import_from_stdin_and_bad_key(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACENET_WALLET_PASSPHRASE", PASSPHRASE)
    argv = ["wallet", "import", "--label", "cora", "--party", "cora", "--key-file", "-"]
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY_HEX[:-1] + "\n"))
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "standard input" in err and KEY_HEX[:-1] not in err
    monkeypatch.setattr("sys.stdin", io.StringIO(KEY_HEX + "\n"))
    assert main(argv) == 0
    assert KEY_ADDRESS in capsys.readouterr().out


def test_cli_without_a_passphrase_source_fails_clearly(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["wallet", "create", "--label", "a", "--party", "p"]) == 1
    assert "TRACENET_WALLET_PASSPHRASE" in capsys.readouterr().err
    assert main(["wallet", "list"]) == 0  # listing needs no passphrase


def _wallet_parsers() -> dict[str, argparse.ArgumentParser]:
    def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}

    return subparsers(subparsers(build_parser())["wallet"])


def test_cli_takes_no_secret_on_the_command_line(cli_env: Path) -> None:
    parsers = _wallet_parsers()
    assert set(parsers) == {"create", "import", "list", "address"}
    options = {opt for p in parsers.values() for a in p._actions for opt in a.option_strings}
    assert {o for o in options if "pass" in o or "key" in o} == {"--passphrase-file", "--key-file"}
    for argv in (["--passphrase", PASSPHRASE], ["--key", KEY_HEX]):  # no abbreviations either
        with pytest.raises(SystemExit) as exited:
            main(["wallet", "import", "--label", "x", "--party", "x", *argv])
        assert exited.value.code == 2


def test_errors_carry_code_field_and_retryable() -> None:
    classes = [getattr(wallet, n) for n in wallet.__all__ if n.endswith("Error")]
    assert all(issubclass(cls, WalletError) for cls in classes)
    codes = [cls.code for cls in classes]
    assert len(set(codes)) == len(codes) and all(c.startswith("wallet.") for c in codes)
    assert not any(cls.retryable for cls in classes)


def test_public_api_is_complete() -> None:
    public = {n for n in dir(wallet) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(wallet.__all__)
