"""The key ceremony: ``tracenet network node-key`` on each organisation's machine, then
``tracenet network assemble`` from the public parts alone.

The assembled genesis must carry, in its QBFT extraData, the validator addresses computed here
independently from the same public keys; for the same keys it must be byte for byte what the
single-machine ``init`` writes; and no private key or password may reach the assembled folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rlp
import yaml
from eth_account import Account
from eth_utils.crypto import keccak

from tracenet.node._network import NetworkSpec, Organisation, generate_network
from tracenet.node._network_cli import register_network
from tracenet.node._network_keys import make_node_key, read_public_part
from tracenet.node._network_qbft import decode_qbft_extra_data

ORGS = ("acme", "bolt", "cora", "dune")
ACCOUNT = "0x627306090abaB3A6e1400e9345bC60c78a8BEf57"  # public address, no key involved
#: One fixed private key per organisation (test entropy, never production), valid scalars.
SEEDS = {org: hashlib.sha256(f"ceremony {org}".encode()).digest() for org in ORGS}
#: Files every validator reads, identical whichever way the network was made.
SHARED = ("genesis.json", "static-nodes.json", "permissions_config.toml", "docker-compose.yml")


def _cli() -> Callable[[list[str]], int]:
    parser = argparse.ArgumentParser(prog="tracenet")
    register_network(parser.add_subparsers(dest="command", required=True))

    def run(argv: list[str]) -> int:
        args = parser.parse_args(argv)
        code: int = args.handler(args)
        return code

    return run


def _ceremony(tmp_path: Path, **hosts: str) -> dict[str, Path]:
    """Each organisation's node-key folder, as made on its own machine (fixed keys)."""
    folders = {}
    for org in ORGS:
        folders[org] = tmp_path / f"{org}-keys"
        make_node_key(org, folders[org], host=hosts.get(org), entropy=lambda n, o=org: SEEDS[o])
    return folders


def _publics(folders: dict[str, Path], order: tuple[str, ...] = ORGS) -> list[str]:
    return [a for org in order for a in ("--public", str(folders[org] / f"{org}.public.json"))]


def _assemble(tmp_path: Path, folders: dict[str, Path], *extra: str) -> Path:
    out = tmp_path / "net"
    # given in another order than the organisations' names: the validators are sorted by name
    argv = ["network", "assemble", "--out", str(out), *_publics(folders, ORGS[::-1])]
    assert _cli()([*argv, "--no-build", *extra]) == 0
    return out


def test_assembled_extra_data_is_the_one_computed_from_the_public_keys(tmp_path: Path) -> None:
    folders = _ceremony(tmp_path)
    net = _assemble(tmp_path, folders)
    genesis = json.loads((net / "genesis.json").read_text())
    expected = []
    for org in ORGS:  # by name
        public = json.loads((folders[org] / f"{org}.public.json").read_text())
        point = bytes.fromhex(public["public_key"][2:])
        address = keccak(point)[-20:]  # the address from the public key alone
        # ... which is the one the private key gives, derived by another library
        key = (folders[org] / "key").read_text()
        assert "0x" + address.hex() == Account.from_key(key).address.lower()
        expected.append(address)
    # Besu's QBFT genesis extraData: [32 zero bytes, validators, no vote, round 0, no seals]
    computed = rlp.encode([bytes(32), expected, [], b"", []])
    assert genesis["extraData"] == "0x" + computed.hex()
    assert list(decode_qbft_extra_data(computed).validators) == expected


def test_assembled_network_is_what_init_makes_from_the_same_keys(tmp_path: Path) -> None:
    folders = _ceremony(tmp_path)
    assembled = _assemble(tmp_path, folders, "--account", f"bolt={ACCOUNT}", "--chain-id", "4242")
    draws = iter(SEEDS[org] for org in ORGS)
    spec = NetworkSpec(
        organisations=tuple(Organisation(o, (ACCOUNT,) if o == "bolt" else ()) for o in ORGS),
        chain_id=4242,
        build_context=None,
    )
    init = generate_network(spec, tmp_path / "init", entropy=lambda n: next(draws)).root
    for name in SHARED:
        assert (assembled / name).read_bytes() == (init / name).read_bytes(), name
    for org in ORGS:
        for name in ("config.toml", "key.pub", "address"):
            path = Path(org, "node", name)
            assert (assembled / path).read_bytes() == (init / path).read_bytes(), path
        # the key init made is the one the organisation made for itself
        assert (init / org / "node" / "key").read_text() == (folders[org] / "key").read_text()


def test_no_private_key_or_password_reaches_the_assembled_folder(tmp_path: Path) -> None:
    folders = _ceremony(tmp_path)
    net = _assemble(tmp_path, folders)
    secrets = [
        (folders[org] / name).read_text()[-40:]
        for org in ORGS
        for name in ("key", "wallet-passphrase")
    ]
    files = [p for p in net.rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if p.name == "key" or "secret" in str(p.relative_to(net))]
    for path in files:
        text = path.read_text()
        assert not [s for s in secrets if s in text], path
    readme = (net / "README.md").read_text()
    assert "nothing secret is in this folder" in readme
    assert "install -m 600 acme-keys/key net/acme/node/key" in readme


def test_node_key_is_private_and_its_public_part_checks_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "acme-keys"
    argv = ["network", "node-key", "--org", "acme", "--out", str(out), "--host", "10.0.0.7"]
    assert _cli()(argv) == 0
    printed = capsys.readouterr().out
    key = (out / "key").read_text()
    assert key.startswith("0x") and len(key) == 66
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for name in ("key", "wallet-passphrase"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
        assert (out / name).read_text()[-40:] not in printed
    part = read_public_part(out / "acme.public.json")
    assert part.address == Account.from_key(key).address
    assert part.enode == f"enode://{part.public_key_hex}@10.0.0.7:30303"
    assert f"address     {part.address}" in printed
    assert f"enode       {part.enode}" in printed
    # used again: the key is never overwritten
    assert _cli()(argv) == 1
    assert "not empty" in capsys.readouterr().err


def test_validators_dialled_on_other_hosts_publish_their_p2p_port(tmp_path: Path) -> None:
    folders = _ceremony(tmp_path, acme="acme.example.org")
    net = _assemble(tmp_path, folders)
    services = yaml.safe_load((net / "docker-compose.yml").read_text())["services"]
    assert services["besu-acme"]["ports"][-1] == "30303:30303/tcp"
    assert len(services["besu-bolt"]["ports"]) == 1  # on the compose network only
    static = json.loads((net / "static-nodes.json").read_text())
    assert static[0].endswith("@acme.example.org:30303")
    # members' gateways on other hosts call acme's JSON-RPC by that name: Besu must answer it
    config = tomllib.loads((net / "acme" / "node" / "config.toml").read_text())
    assert "acme.example.org" in config["host-allowlist"]
    bolt = tomllib.loads((net / "bolt" / "node" / "config.toml").read_text())
    assert bolt["host-allowlist"] == ["localhost", "127.0.0.1", "besu-bolt"]
    assert static[1].endswith("@besu-bolt:30303")


def _edit(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document[field] = value

    return edit


OFF_CURVE = "0x" + "01" * 64


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_edit("format", "v0"), "format must be 'tracenet-node-public/1'"),
        (_edit("public_key", "0x1234"), "public_key must be 0x and 128 hex digits"),
        (_edit("public_key", OFF_CURVE), "public_key is not a point of the secp256k1 curve"),
        (
            _edit("address", "0x627306090abaB3A6e1400e9345bC60c78a8BEf57"),
            "address is '0x627306090abaB3A6e1400e9345bC60c78a8BEf57' but the public key gives",
        ),
        (_edit("enode", "enode://00@besu-acme:30303"), "enode is 'enode://00@besu-acme:30303'"),
        (_edit("host", "bad host"), "host must be a host name"),
        (_edit("p2p_port", 70000), "p2p_port must be a port number"),
        (_edit("organisation", "bolt"), "organisation names must be unique; repeated: bolt"),
        (_edit("organisation", "Acme"), "organisation name 'Acme' must be 1-32 lowercase"),
    ],
    ids=[
        "format",
        "short-key",
        "off-curve",
        "address",
        "enode",
        "host",
        "port",
        "duplicate-org",
        "org-name",
    ],
)
def test_a_bad_public_part_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    folders = _ceremony(tmp_path)
    path = folders["acme"] / "acme.public.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    out = tmp_path / "net"
    assert _cli()(["network", "assemble", "--out", str(out), *_publics(folders)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tracenet network assemble: error: "), err
    assert message in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: p.write_text("{not json"), "is not JSON"),
        (lambda p: p.write_text("[]"), "must be a JSON object"),
        (lambda p: p.unlink(), "cannot be read"),
    ],
    ids=["not-json", "not-object", "missing"],
)
def test_an_unreadable_public_part_names_its_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    write: Callable[[Path], None],
    message: str,
) -> None:
    folders = _ceremony(tmp_path)
    path = folders["cora"] / "cora.public.json"
    write(path)
    assert _cli()(["network", "assemble", "--out", str(tmp_path / "n"), *_publics(folders)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"tracenet network assemble: error: {path}: file {message}"), err


def test_one_key_for_two_organisations_and_too_few_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = _ceremony(tmp_path)
    copied = json.loads((folders["acme"] / "acme.public.json").read_text())
    copied |= {"organisation": "bolt", "host": "besu-bolt"}
    copied["enode"] = copied["enode"].replace("besu-acme", "besu-bolt")
    (folders["bolt"] / "bolt.public.json").write_text(json.dumps(copied))
    assert _cli()(["network", "assemble", "--out", str(tmp_path / "n"), *_publics(folders)]) == 2
    assert "bolt and acme share one public key" in capsys.readouterr().err
    three = _publics(folders, ORGS[1:])
    assert _cli()(["network", "assemble", "--out", str(tmp_path / "n"), *three]) == 2
    assert "at least 4 validator operators" in capsys.readouterr().err


def test_init_says_it_is_the_quick_local_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orgs = [a for org in ORGS for a in ("--org", org)]
    assert _cli()(["network", "init", "--out", str(tmp_path / "net"), *orgs, "--no-build"]) == 0
    assert "this machine made every organisation's key" in capsys.readouterr().out
    readme = (tmp_path / "net" / "README.md").read_text()
    assert "the quick local path" in readme
    assert "tracenet network node-key --org <org>" in readme
