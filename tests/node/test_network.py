"""``tracenet network init``: QBFT extraData codec, generated files, validation and the CLI.

Nothing here starts Besu or Docker (no engine in CI): the files are checked for what Besu and
compose will read from them, and against each other.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rlp
import yaml
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from tracenet.node._network import (
    MIN_ORGANISATIONS,
    NetworkError,
    NetworkLayout,
    NetworkOutputExistsError,
    NetworkSpec,
    NetworkSpecError,
    Organisation,
    QbftExtraDataError,
    TooFewOrganisationsError,
    find_build_context,
    generate_network,
)
from tracenet.node._network_cli import register_network
from tracenet.node._network_qbft import (
    QBFT_MIX_HASH,
    QbftExtraData,
    QbftVote,
    decode_qbft_extra_data,
    encode_qbft_extra_data,
)

ORGS = ("acme", "bolt", "cora", "dune")
ACCOUNT = "0x627306090abaB3A6e1400e9345bC60c78a8BEf57"  # public address, no key involved

# Published QBFT genesis extraData vectors, produced by Besu's encoder:
# Besu docs, private-networks/how-to/configure/consensus/qbft.md, "Block header validator
# selection" genesis.
BESU_DOCS_VECTOR = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854"
    "9464a702e6263b7297a96638cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a03185"
    "94aefdb9a738c9f433e5b6b212a6d62f6370c2f69294c7eeb9a4e00ce683cf93039b212648e01c6c6b78"
    "c080c0"
)
BESU_DOCS_VALIDATORS = (
    "64a702e6263b7297a96638cac6ae65e6541f4169",
    "3923390ad55e90c237593b3b0e401f3b08a03185",
    "aefdb9a738c9f433e5b6b212a6d62f6370c2f692",
    "c7eeb9a4e00ce683cf93039b212648e01c6c6b78",
)
# Same page, "Contract validator selection": no validators in the header.
BESU_DOCS_CONTRACT_VECTOR = (
    "0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0"
)
# ConsenSys quorum-dev-quickstart, files/besu/config/besu/QBFTgenesis.json.
QUICKSTART_VECTOR = (
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854"
    "9493917cadbace5dfce132b991732c6cda9bcc5b8a9427a97c9aaf04f18f3014c32e036dd0ac76da5f18"
    "94ce412f988377e31f4d0ff12d74df73b51c42d0ca9498c1334496614aed49d2e81526d089f7264fed9c"
    "c080c0"
)
QUICKSTART_VALIDATORS = (
    "93917cadbace5dfce132b991732c6cda9bcc5b8a",
    "27a97c9aaf04f18f3014c32e036dd0ac76da5f18",
    "ce412f988377e31f4d0ff12d74df73b51c42d0ca",
    "98c1334496614aed49d2e81526d089f7264fed9c",
)


def _orgs(names: tuple[str, ...] = ORGS, **accounts: tuple[str, ...]) -> tuple[Organisation, ...]:
    return tuple(Organisation(name, accounts.get(name, ())) for name in names)


# --- extraData codec -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vector", "validators"),
    [
        (BESU_DOCS_VECTOR, BESU_DOCS_VALIDATORS),
        (BESU_DOCS_CONTRACT_VECTOR, ()),
        (QUICKSTART_VECTOR, QUICKSTART_VALIDATORS),
    ],
    ids=["besu-docs", "besu-docs-contract", "quorum-quickstart"],
)
def test_published_vectors_decode_and_reencode(vector: str, validators: tuple[str, ...]) -> None:
    raw = bytes.fromhex(vector[2:])
    decoded = decode_qbft_extra_data(raw)
    assert [v.hex() for v in decoded.validators] == list(validators)
    assert decoded.vanity == bytes(32)
    assert (decoded.vote, decoded.round, decoded.seals) == (None, 0, ())
    genesis = QbftExtraData.for_genesis([bytes.fromhex(v) for v in validators])
    assert encode_qbft_extra_data(genesis) == raw


def test_genesis_extra_data_ends_with_empty_vote_round_zero_and_no_seals() -> None:
    encoded = encode_qbft_extra_data(QbftExtraData.for_genesis([bytes(20)] * 4))
    assert encoded.endswith(bytes.fromhex("c080c0"))


addresses = st.binary(min_size=20, max_size=20)


@settings(derandomize=True, max_examples=200)
@given(
    validators=st.lists(addresses, max_size=8),
    vote=st.none() | st.builds(QbftVote, recipient=addresses, add=st.booleans()),
    round_=st.integers(min_value=0, max_value=2**31 - 1),
    seals=st.lists(st.binary(min_size=65, max_size=65), max_size=4),
)
def test_extra_data_round_trips(
    validators: list[bytes], vote: QbftVote | None, round_: int, seals: list[bytes]
) -> None:
    data = QbftExtraData(bytes(32), tuple(validators), vote, round_, tuple(seals))
    encoded = encode_qbft_extra_data(data)
    assert decode_qbft_extra_data(encoded) == data
    # the independent reference: the rlp package decodes it to the same structure
    vote_items = [] if vote is None else [vote.recipient, b"\xff" if vote.add else b""]
    round_bytes = round_.to_bytes((round_.bit_length() + 7) // 8, "big")
    assert rlp.decode(encoded) == [bytes(32), validators, vote_items, round_bytes, seals]


def _rlp(items: list[Any]) -> bytes:
    encoded: bytes = rlp.encode(items)
    return encoded


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"\x01\x02", "malformed RLP"),
        (_rlp([bytes(32), [], [], b""]), "5 items"),
        (_rlp([bytes(31), [], [], b"", []]), "vanity"),
        (_rlp([bytes(32), [bytes(19)], [], b"", []]), "20-byte"),
        (_rlp([bytes(32), [], [bytes(20), b"\x01"], b"", []]), "vote type"),
        # IBFT 2.0 style 4-byte round: Besu's strict QBFT decoder refuses it too
        (_rlp([bytes(32), [], [], b"\x00\x00\x00\x00", []]), "leading zeros"),
        (_rlp([bytes(32), [], [], b"\x80\x00\x00\x00", []]), "Java int"),
        (_rlp([bytes(32), [], [], b"", [bytes(64)]]), "65-byte"),
    ],
)
def test_decoder_rejects_malformed_extra_data(raw: bytes, reason: str) -> None:
    with pytest.raises(QbftExtraDataError, match=reason) as caught:
        decode_qbft_extra_data(raw)
    assert caught.value.code == "node.network.invalid_extra_data"
    assert caught.value.retryable is False


def test_encoder_rejects_wrong_sizes() -> None:
    with pytest.raises(QbftExtraDataError, match="20 bytes"):
        encode_qbft_extra_data(QbftExtraData.for_genesis([bytes(21)]))


# --- a generated network ---------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    layout: NetworkLayout
    compose: dict[str, Any]

    @property
    def root(self) -> Path:
        return self.layout.root

    def service(self, name: str) -> dict[str, Any]:
        service: dict[str, Any] = self.compose["services"][name]
        return service


def _spec(**overrides: Any) -> NetworkSpec:
    options: dict[str, Any] = {
        "organisations": _orgs(),
        "build_context": find_build_context(),
    }
    return NetworkSpec(**(options | overrides))


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    spec = _spec(organisations=_orgs(acme=(ACCOUNT,)))
    layout = generate_network(spec, tmp_path_factory.mktemp("gen") / "net")
    return Generated(layout, yaml.safe_load(layout.compose.read_text()))


def test_validators_in_extra_data_are_the_node_key_addresses(net: Generated) -> None:
    genesis = json.loads(net.layout.genesis.read_text())
    decoded = decode_qbft_extra_data(bytes.fromhex(genesis["extraData"][2:]))
    # eth-account derives the address independently of the generator's eth-keys call
    from_keys = [
        Account.from_key((net.root / org / "node" / "key").read_text()).address for org in ORGS
    ]
    assert ["0x" + v.hex() for v in decoded.validators] == [a.lower() for a in from_keys]
    assert [v.address for v in net.layout.validators] == from_keys
    assert decoded == QbftExtraData.for_genesis(decoded.validators)
    assert net.layout.extra_data.hex() == genesis["extraData"][2:]


def test_node_keys_are_private_hex_and_match_their_public_files(net: Generated) -> None:
    for validator in net.layout.validators:
        key_file = net.root / validator.organisation / "node" / "key"
        assert validator.key_file == key_file
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        text = key_file.read_text()
        assert text.startswith("0x") and len(text) == 66
        assert int(text, 16) != 0
        node_dir = key_file.parent
        assert (node_dir / "key.pub").read_text() == "0x" + validator.public_key
        assert (node_dir / "address").read_text() == validator.address
        assert (
            validator.enode == f"enode://{validator.public_key}@besu-{validator.organisation}:30303"
        )
    keys = {(net.root / org / "node" / "key").read_text() for org in ORGS}
    assert len(keys) == len(ORGS)
    assert stat.S_IMODE((net.root / "secrets").stat().st_mode) == 0o700
    for secret in (net.root / "secrets").iterdir():
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_genesis_is_qbft_with_free_gas(net: Generated) -> None:
    genesis = json.loads(net.layout.genesis.read_text())
    config = genesis["config"]
    assert config["chainId"] == 7177
    assert config["zeroBaseFee"] is True
    assert config["qbft"] == {
        "blockperiodseconds": 1,
        "epochlength": 30000,
        "requesttimeoutseconds": 10,
    }
    assert {"berlinBlock": 0, "londonBlock": 0, "shanghaiTime": 0, "cancunTime": 0}.items() <= (
        config.items()
    )
    assert genesis["mixHash"] == QBFT_MIX_HASH
    assert bytes.fromhex(QBFT_MIX_HASH[2:]) == b"ctical byzantine fault tolerance"
    assert genesis["difficulty"] == "0x1"
    assert int(genesis["gasLimit"], 16) == 2**53 - 1
    assert genesis["alloc"] == {ACCOUNT.lower(): {"balance": hex(10**24)}}


def test_permissions_and_static_nodes_list_every_enode(net: Generated) -> None:
    enodes = [v.enode for v in net.layout.validators]
    permissions = tomllib.loads(net.layout.permissions.read_text())
    assert permissions == {"accounts-allowlist": [ACCOUNT.lower()], "nodes-allowlist": enodes}
    assert json.loads(net.layout.static_nodes.read_text()) == enodes


def test_besu_config_paths_are_what_compose_mounts(net: Generated) -> None:
    for validator in net.layout.validators:
        config = tomllib.loads(
            (net.root / validator.organisation / "node" / "config.toml").read_text()
        )
        assert config["rpc-http-api"] == ["ETH", "NET", "QBFT", "WEB3", "TXPOOL"]
        assert config["min-gas-price"] == 0
        assert config["permissions-nodes-config-file-enabled"] is True
        assert config["permissions-accounts-config-file-enabled"] is True
        assert config["discovery-enabled"] is False
        assert validator.service in config["host-allowlist"]
        service = net.service(validator.service)
        mounted = {v["target"] for v in service["volumes"]}
        mounted |= {f"/run/secrets/{s['target']}" for s in service["secrets"]}
        paths = {value for key, value in config.items() if key.endswith(("-file", "-path"))}
        assert paths <= mounted
        assert service["command"] == ["--config-file=/config/config.toml"]


def test_compose_has_every_service_and_only_existing_references(net: Generated) -> None:
    services = net.compose["services"]
    expected = {f"besu-{o}" for o in ORGS} | {f"gateway-{o}" for o in ORGS}
    assert set(services) == expected | {"indexer", "indexer-api", "postgres"}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert (net.root / volume["source"]).exists(), (name, volume["source"])
            else:
                assert volume["source"] in net.compose["volumes"]
        for env_file in service.get("env_file", []):
            assert (net.root / env_file).is_file()
        for secret in service.get("secrets", []):
            source = secret["source"] if isinstance(secret, dict) else secret
            assert (net.root / net.compose["secrets"][source]["file"]).is_file()
        for dependency in service.get("depends_on", {}):
            assert dependency in services
        if "build" in service:
            context = net.root / service["build"]["context"]
            assert (context / service["build"]["dockerfile"]).is_file()
    for name in expected | {"postgres"}:
        assert services[name]["healthcheck"]["test"][0] == "CMD"


def test_compose_wires_services_together(net: Generated) -> None:
    for org in ORGS:
        gateway = net.service(f"gateway-{org}")
        assert gateway["command"] == ["gateway", "serve"]
        # the RPC URL carries the organisation's RPC password: in its env file, not inline
        assert "TRACENET_GATEWAY_RPC_URL" not in gateway["environment"]
        (env_file,) = gateway["env_file"]
        assert env_file == f"./secrets/{org}-gateway.env"
        password = (net.root / "secrets" / f"{org}-rpc-password").read_text()
        url = f"TRACENET_GATEWAY_RPC_URL=http://{org}:{password}@besu-{org}:8545\n"
        assert url in (net.root / env_file).read_text()
        assert gateway["depends_on"] == {f"besu-{org}": {"condition": "service_healthy"}}
        besu = net.service(f"besu-{org}")
        assert besu["image"] == "hyperledger/besu:26.6.0"
        assert "/liveness" in besu["healthcheck"]["test"][-1]
    indexer = net.service("indexer")
    assert indexer["command"] == ["indexer", "run"]
    assert indexer["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert all(k.startswith("TRACENET_INDEXER_") for k in indexer["environment"])
    postgres = net.service("postgres")
    assert postgres["image"] == "postgres:16"
    assert postgres["healthcheck"]["test"][1] == "pg_isready"
    env_file = (net.root / indexer["env_file"][0]).read_text()
    assert "TRACENET_INDEXER_DATABASE_URL=postgresql+psycopg://tracenet:" in env_file
    password = (net.root / "secrets" / "postgres_password").read_text()
    assert "TRACENET_INDEXER_RPC_URL=http://indexer:" in env_file
    assert env_file.rstrip().endswith("@besu-acme:8545") and password in env_file


def test_no_secret_is_inline_in_compose(net: Generated) -> None:
    compose_text = net.layout.compose.read_text()
    password = (net.root / "secrets" / "postgres_password").read_text()
    assert len(password) >= 40
    assert password not in compose_text
    assert password not in net.layout.readme.read_text()
    for org in ORGS:
        key_hex = (net.root / org / "node" / "key").read_text()[2:]
        for path in net.root.rglob("*"):
            if path.is_file() and path.name != "key":
                assert key_hex not in path.read_text(), path


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_generated_gitignore_keeps_secrets_out_of_git(net: Generated, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(net.root, repo / "net")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    secret_paths = ["net/acme/node/key", "net/secrets/postgres_password", "net/.env"]
    public_paths = ["net/genesis.json", "net/acme/node/key.pub", "net/docker-compose.yml"]
    ignored = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", *secret_paths, *public_paths],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert ignored == secret_paths


# --- rules: what must be rejected ------------------------------------------------------------


def test_fewer_than_four_organisations_is_rejected() -> None:
    with pytest.raises(TooFewOrganisationsError) as caught:
        _spec(organisations=_orgs(ORGS[:3]))
    assert (caught.value.count, caught.value.minimum) == (3, MIN_ORGANISATIONS)
    assert caught.value.field == "organisations"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"organisations": _orgs((*ORGS, "acme"))}, "organisations"),
        ({"organisations": _orgs((*ORGS[:3], "Dune"))}, "organisations"),
        ({"organisations": _orgs((*ORGS[:3], "du_ne"))}, "organisations"),
        ({"organisations": _orgs((*ORGS[:3], "4dune"))}, "organisations"),
        ({"organisations": _orgs((*ORGS[:3], "dune-"))}, "organisations"),
        ({"organisations": _orgs((*ORGS[:3], "d" * 33))}, "organisations"),
        ({"organisations": _orgs(acme=("0x1234",))}, "accounts"),
        ({"organisations": _orgs(acme=(ACCOUNT[2:],))}, "accounts"),
        ({"organisations": _orgs(acme=(ACCOUNT.replace("a", "A", 1),))}, "accounts"),
        ({"organisations": _orgs(acme=(ACCOUNT,), bolt=(ACCOUNT.lower(),))}, "accounts"),
        ({"chain_id": 0}, "chain_id"),
        ({"block_period_seconds": 0}, "block_period_seconds"),
        ({"gateway_host_port": 8547}, "gateway_host_port"),
        ({"besu_image": "hyperledger/besu latest"}, "besu_image"),
        ({"build_context": Path("/nonexistent")}, "build_context"),
    ],
    ids=[
        "duplicate-org",
        "uppercase-org",
        "underscore-org",
        "digit-first-org",
        "hyphen-last-org",
        "long-org",
        "short-account",
        "unprefixed-account",
        "bad-checksum",
        "duplicate-account",
        "chain-id-0",
        "block-period-0",
        "ports-overlap",
        "image-with-space",
        "no-dockerfile",
    ],
)
def test_invalid_specs_are_rejected(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(NetworkSpecError) as caught:
        _spec(**overrides)
    assert caught.value.field == field
    assert caught.value.code.startswith("node.network.")


def test_all_lowercase_or_uppercase_accounts_need_no_checksum() -> None:
    upper = "0x" + ACCOUNT[2:].upper()
    spec = _spec(organisations=_orgs(acme=(ACCOUNT.lower(), upper[:-1] + "8")))
    assert len(spec.accounts) == 2


def test_output_directory_must_be_new_or_empty(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    with pytest.raises(NetworkOutputExistsError):
        generate_network(_spec(), tmp_path / "used")
    (tmp_path / "empty").mkdir()
    layout = generate_network(_spec(build_context=None), tmp_path / "empty")
    assert "build" not in yaml.safe_load(layout.compose.read_text())["services"]["indexer"]
    tomllib.loads((layout.root / "acme" / "node" / "config.toml").read_text())


def test_failure_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(n: int) -> bytes:
        raise OSError("no entropy")

    with pytest.raises(OSError, match="no entropy"):
        generate_network(_spec(), tmp_path / "net", entropy=broken)
    assert list(tmp_path.iterdir()) == []


def test_out_of_range_keys_are_drawn_again(tmp_path: Path) -> None:
    draws = iter([bytes(32), b"\xff" * 32] + [os.urandom(32) for _ in ORGS])
    layout = generate_network(_spec(), tmp_path / "net", entropy=lambda n: next(draws))
    assert len(layout.validators) == len(ORGS)
    with pytest.raises(NetworkError, match="invalid secp256k1"):
        generate_network(_spec(), tmp_path / "net2", entropy=lambda n: bytes(n))


def test_without_accounts_account_allowlisting_is_off(tmp_path: Path) -> None:
    layout = generate_network(_spec(), tmp_path / "net")
    config = tomllib.loads((layout.root / "bolt" / "node" / "config.toml").read_text())
    assert config["permissions-accounts-config-file-enabled"] is False
    assert "permissions-accounts-config-file" not in config
    assert tomllib.loads(layout.permissions.read_text())["accounts-allowlist"] == []


# --- command line ----------------------------------------------------------------------------


def _cli() -> Callable[[list[str]], int]:
    parser = argparse.ArgumentParser(prog="tracenet")
    register_network(parser.add_subparsers(dest="command", required=True))

    def run(argv: list[str]) -> int:
        args = parser.parse_args(argv)
        code: int = args.handler(args)
        return code

    return run


def _org_args(names: tuple[str, ...] = ORGS) -> list[str]:
    return [arg for name in names for arg in ("--org", name)]


def test_cli_generates_and_never_prints_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "net"
    argv = [
        "network",
        "init",
        "--out",
        str(out),
        *_org_args(),
        "--account",
        f"bolt={ACCOUNT}",
        "--chain-id",
        "4242",
        "--block-period",
        "2",
        "--no-build",
    ]
    assert _cli()(argv) == 0
    printed = capsys.readouterr()
    for org in ORGS:
        key_hex = (out / org / "node" / "key").read_text()[2:]
        assert key_hex not in printed.out + printed.err
        assert f"@besu-{org}:30303" in printed.out
    genesis = json.loads((out / "genesis.json").read_text())
    assert genesis["config"]["chainId"] == 4242
    assert genesis["config"]["qbft"]["blockperiodseconds"] == 2
    assert ACCOUNT.lower() in genesis["alloc"]


@pytest.mark.parametrize(
    ("extra", "orgs", "message"),
    [
        ([], ORGS[:3], "at least 4 validator operators"),
        (["--member", "dune"], ORGS[:3], "got 3 (members, who run no validator, do not count)"),
        (["--account", f"zeta={ACCOUNT}"], ORGS, "neither an operator nor a member"),
        (["--account", "acme"], ORGS, "ORG=ADDRESS"),
        (["--account", "acme=0xnothex"], ORGS, "not a 0x-prefixed"),
        (["--org", "ACME"], ORGS, "must be 1-32 lowercase"),
    ],
)
def test_cli_rejects_invalid_networks_with_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    orgs: tuple[str, ...],
    message: str,
) -> None:
    out = tmp_path / "net"
    code = _cli()(["network", "init", "--out", str(out), *_org_args(orgs), *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("tracenet network init: error: ")
    assert message in err
    assert not out.exists()


def test_cli_refuses_a_used_directory_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep").write_text("x")
    code = _cli()(["network", "init", "--out", str(tmp_path), *_org_args(), "--no-build"])
    assert code == 1
    assert "not empty" in capsys.readouterr().err


def test_cli_requires_out_and_org() -> None:
    with pytest.raises(SystemExit) as caught:
        _cli()(["network", "init", "--org", "acme"])
    assert caught.value.code == 2
