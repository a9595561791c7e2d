"""Validators run by neutral operators; members run gateways only and call an operator's
JSON-RPC with an account limited to what a gateway needs (issue 25).

Nothing here boots Besu: the generated credentials are checked against Besu's documented
format (``[Users.<name>]``, a bcrypt ``password``, ``"<api_group>:<method_name>"``
permissions) and method names (``node/besu_rpc_methods.txt``), and against the JSON-RPC
methods the gateway and the indexer actually call, read from their sources.
"""

from __future__ import annotations

import argparse
import json
import re
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from tracenet.node._network import NetworkSpec, NetworkSpecError, Organisation, generate_network
from tracenet.node._network_cli import register_network
from tracenet.node._network_qbft import decode_qbft_extra_data
from tracenet.node._network_rpc import (
    GATEWAY_METHODS,
    INDEXER_METHODS,
    permission,
    read_rpc_account,
)

ROOT = Path(__file__).resolve().parents[2]
OPERATORS = ("owner", "cert-a", "cert-b", "assoc")
MEMBERS = ("mill", "spinner", "weaver")


def _documented_methods() -> set[str]:
    lines = (ROOT / "node" / "besu_rpc_methods.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _called(*paths: str) -> set[str]:
    """The JSON-RPC method names a component's source calls (string literals)."""
    found: set[str] = set()
    for path in paths:
        for file in (ROOT / path).rglob("*.py") if (ROOT / path).is_dir() else [ROOT / path]:
            found |= set(
                re.findall(r"\"((?:eth|debug|net|web3|txpool)_[A-Za-z]+)\"", file.read_text())
            )
    return found


def _cli() -> Callable[[list[str]], int]:
    parser = argparse.ArgumentParser(prog="tracenet")
    register_network(parser.add_subparsers(dest="command", required=True))

    def run(argv: list[str]) -> int:
        args = parser.parse_args(argv)
        code: int = args.handler(args)
        return code

    return run


def _names(flag: str, names: tuple[str, ...]) -> list[str]:
    return [arg for name in names for arg in (flag, name)]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = NetworkSpec(
        organisations=tuple(Organisation(n) for n in OPERATORS),
        members=tuple(Organisation(n) for n in MEMBERS),
        indexer_operator="assoc",
        build_context=None,
    )
    return generate_network(spec, tmp_path_factory.mktemp("ops") / "net").root


def _credentials(net: Path, operator: str) -> dict[str, Any]:
    users: dict[str, Any] = tomllib.loads(
        (net / operator / "node" / "rpc_credentials.toml").read_text()
    )["Users"]
    return users


def test_members_have_no_validator_no_node_and_no_key(net: Path) -> None:
    genesis = json.loads((net / "genesis.json").read_text())
    validators = decode_qbft_extra_data(bytes.fromhex(genesis["extraData"][2:])).validators
    assert len(validators) == len(OPERATORS)
    services = yaml.safe_load((net / "docker-compose.yml").read_text())["services"]
    for member in MEMBERS:
        assert not (net / member / "node").exists()
        assert f"besu-{member}" not in services
        assert f"gateway-{member}" in services
        assert stat.S_IMODE((net / member / "wallet").stat().st_mode) == 0o700
    assert len(json.loads((net / "static-nodes.json").read_text())) == len(OPERATORS)
    assert {s for s in services if s.startswith("besu-")} == {f"besu-{o}" for o in OPERATORS}


def test_member_gateways_call_the_operators_in_turn_with_their_own_account(net: Path) -> None:
    services = yaml.safe_load((net / "docker-compose.yml").read_text())["services"]
    for i, member in enumerate(MEMBERS):
        gateway = services[f"gateway-{member}"]
        target = f"besu-{OPERATORS[i % len(OPERATORS)]}"
        assert gateway["depends_on"] == {target: {"condition": "service_healthy"}}
        password = (net / "secrets" / f"{member}-rpc-password").read_text()
        env = (net / "secrets" / f"{member}-gateway.env").read_text()
        assert f"TRACENET_GATEWAY_RPC_URL=http://{member}:{password}@{target}:8545\n" in env
        assert stat.S_IMODE((net / "secrets" / f"{member}-gateway.env").stat().st_mode) == 0o600
    compose_text = (net / "docker-compose.yml").read_text()
    for secret in (net / "secrets").glob("*-rpc-password"):
        assert secret.read_text() not in compose_text
    indexer = services["indexer"]
    assert "besu-assoc" in indexer["depends_on"]


def test_each_member_is_allowed_exactly_the_gateways_methods_on_every_validator(
    net: Path,
) -> None:
    expected = sorted(permission(m) for m in GATEWAY_METHODS)
    for operator in OPERATORS:
        users = _credentials(net, operator)
        for member in MEMBERS:
            assert sorted(users[member]["permissions"]) == expected, (operator, member)
            assert "eth:getLogs" not in users[member]["permissions"]
            password = (net / "secrets" / f"{member}-rpc-password").read_bytes()
            assert bcrypt.checkpw(password, users[member]["password"].encode())
        # only bcrypt hashes, never a password, in what the validator reads
        text = (net / operator / "node" / "rpc_credentials.toml").read_text()
        for secret in (net / "secrets").glob("*-rpc-password"):
            assert secret.read_text() not in text


def test_operators_own_accounts_and_the_indexer_live_on_their_own_validator_only(
    net: Path,
) -> None:
    for operator in OPERATORS:
        users = _credentials(net, operator)
        others = set(OPERATORS) - {operator}
        assert users[operator]["permissions"] == ["*:*"]
        assert not others & set(users)
        if operator == "assoc":
            assert sorted(users["indexer"]["permissions"]) == sorted(
                permission(m) for m in INDEXER_METHODS
            )
            assert "eth:getLogs" in users["indexer"]["permissions"]
        else:
            assert "indexer" not in users


def test_every_granted_method_is_a_documented_besu_method() -> None:
    documented = _documented_methods()
    assert {"eth_getLogs", "eth_sendRawTransaction", "qbft_getValidatorsByBlockNumber"} <= (
        documented
    )
    assert set(GATEWAY_METHODS) <= documented, sorted(set(GATEWAY_METHODS) - documented)
    assert set(INDEXER_METHODS) <= documented, sorted(set(INDEXER_METHODS) - documented)
    for method in (*GATEWAY_METHODS, *INDEXER_METHODS):
        group, name = permission(method).split(":")
        assert f"{group}_{name}" == method
    assert "eth_getLog" not in documented  # a misspelling would be caught


def test_the_allowlists_are_what_the_gateway_and_the_indexer_call() -> None:
    # debug_traceTransaction: the DEBUG API is not enabled; the gateway falls back to eth_call
    gateway = _called("gateway/pipeline/_chain.py") - {"debug_traceTransaction"}
    assert gateway == set(GATEWAY_METHODS)
    indexer = _called("indexer/mirror/_chain.py") | {"eth_call"}  # contracts RpcClient.call
    assert indexer == set(INDEXER_METHODS)
    assert "eth_getLogs" not in GATEWAY_METHODS


def test_every_validator_asks_for_a_login(net: Path) -> None:
    for operator in OPERATORS:
        config = tomllib.loads((net / operator / "node" / "config.toml").read_text())
        assert config["rpc-http-authentication-enabled"] is True
        assert config["rpc-http-authentication-credentials-file"] == "/config/rpc_credentials.toml"
        assert "rpc-http-api-methods-no-auth" not in config


def test_the_generated_readme_explains_the_trust_model(net: Path) -> None:
    readme = (net / "README.md").read_text()
    section = readme[readme.index("## Who sees what (trust model)") :]
    section = section[: section.index("\n## ", 3)]
    for expected in (
        "**What an operator sees: everything.**",
        "**What a member sees: its own, by design.**",
        "**The limit, plainly.** Besu's allowlist restricts methods, not data.",
        "Operators** (owner, cert-a, cert-b, assoc)",
        "**Members** (mill, spinner, weaver)",
        "The indexer** runs at assoc",
        "removed in 25.6",
        "Horizontal Guidelines",
        "Not `eth_getLogs`",
    ):
        assert expected in section, expected
    for method in GATEWAY_METHODS:
        assert f"`{method}`" in section


def test_fewer_than_four_operators_are_refused_whatever_the_members(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["network", "init", "--out", str(tmp_path / "n"), *_names("--operator", OPERATORS[:3])]
    assert _cli()([*argv, *_names("--member", MEMBERS)]) == 2
    err = capsys.readouterr().err
    assert "at least 4 validator operators (--operator)" in err
    assert not (tmp_path / "n").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"members": (Organisation("owner"),)}, "organisations", "operator or a member, not both"),
        ({"members": (Organisation("indexer"),)}, "organisations", "indexer's RPC account"),
        ({"indexer_operator": "mill"}, "indexer_operator", "must run at an operator"),
    ],
    ids=["member-is-operator", "member-named-indexer", "indexer-at-member"],
)
def test_invalid_roles_are_refused(overrides: dict[str, Any], field: str, message: str) -> None:
    options: dict[str, Any] = {
        "organisations": tuple(Organisation(n) for n in OPERATORS),
        "members": (Organisation("mill"),),
    }
    with pytest.raises(NetworkSpecError, match=message) as caught:
        NetworkSpec(**(options | overrides))
    assert caught.value.field == field


# --- the ceremony: members make their own password, share only its hash ----------------------


def _ceremony(tmp_path: Path) -> list[str]:
    argv: list[str] = []
    for operator in OPERATORS:
        out = tmp_path / f"{operator}-keys"
        assert _cli()(["network", "node-key", "--org", operator, "--out", str(out)]) == 0
        argv += ["--public", str(out / f"{operator}.public.json")]
    return argv


def test_a_member_makes_its_rpc_password_and_shares_only_the_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publics = _ceremony(tmp_path)
    accounts = []
    for name in ("mill", "owner", "indexer"):
        out = tmp_path / f"{name}-rpc"
        assert _cli()(["network", "rpc-account", "--name", name, "--out", str(out)]) == 0
        assert stat.S_IMODE((out / "rpc-password").stat().st_mode) == 0o600
        accounts += ["--rpc-account", str(out / f"{name}.rpc.json")]
    printed = capsys.readouterr().out
    password = (tmp_path / "mill-rpc" / "rpc-password").read_text()
    assert password not in printed
    shared = json.loads((tmp_path / "mill-rpc" / "mill.rpc.json").read_text())
    assert password not in json.dumps(shared)
    assert bcrypt.checkpw(password.encode(), shared["password_hash"].encode())

    net = tmp_path / "net"
    argv = ["network", "assemble", "--out", str(net), *publics, *accounts, "--no-build"]
    argv += ["--indexer-at", "owner"]
    assert _cli()([*argv, *_names("--member", ("mill", "spinner"))]) == 0
    assert "spinner gave no RPC account" in capsys.readouterr().out
    users = _credentials(net, "owner")
    assert set(users) == {"owner", "indexer", "mill"}
    assert bcrypt.checkpw(password.encode(), users["mill"]["password"].encode())
    assert set(_credentials(net, "cert-a")) == {"mill"}
    assert (
        "# member spinner: no account yet" in (net / "cert-a/node/rpc_credentials.toml").read_text()
    )
    for path in net.rglob("*"):
        if path.is_file():
            assert password not in path.read_text(), path
    readme = (net / "README.md").read_text()
    assert "No account request was given for spinner" in readme
    assert "tracenet network rpc-account --name <name>" in readme
    assert "TRACENET_INDEXER_RPC_URL=http://indexer:%s@besu-owner:8545" in readme
    assert "net/secrets/<member>-wallet-passphrase" in readme


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"format": "x"}, "format must be 'tracenet-rpc-account/1'"),
        ({"name": "Mill"}, "name must be 1-32 lowercase"),
        ({"password_hash": "hunter2"}, "password_hash must be a bcrypt hash"),
    ],
    ids=["format", "name", "plain-password"],
)
def test_a_bad_rpc_account_request_names_the_field(
    tmp_path: Path, document: dict[str, str], message: str
) -> None:
    good = {
        "format": "tracenet-rpc-account/1",
        "name": "mill",
        "password_hash": bcrypt.hashpw(b"x", bcrypt.gensalt(4)).decode(),
    }
    path = tmp_path / "mill.rpc.json"
    path.write_text(json.dumps(good | document))
    with pytest.raises(NetworkSpecError, match=re.escape(message)):
        read_rpc_account(path)


def test_assemble_refuses_an_account_for_nobody(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publics = _ceremony(tmp_path)
    out = tmp_path / "zeta-rpc"
    assert _cli()(["network", "rpc-account", "--name", "zeta", "--out", str(out)]) == 0
    argv = ["network", "assemble", "--out", str(tmp_path / "net"), *publics, "--no-build"]
    assert _cli()([*argv, "--rpc-account", str(out / "zeta.rpc.json")]) == 2
    assert "'zeta' is neither an operator, a member nor 'indexer'" in capsys.readouterr().err
