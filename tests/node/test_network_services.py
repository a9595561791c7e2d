"""``tracenet network init``: Besu names against its documentation, and what each service gets.

No Besu can be booted here, so every option of the generated ``config.toml``, every ``--option``
on a Besu command line and every genesis key is checked against the committed lists of Besu's
documented names for the pinned release (``node/besu_options.txt``, ``node/besu_genesis_keys.txt``,
each with its sources in a header). The gateways and the indexer must find, at the paths their
settings name, the deployment record directory, a key store, a non-empty passphrase secret and a
writable store.
"""

from __future__ import annotations

import json
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracenet.node._network import (
    BESU_JAVA,
    BESU_VERSION,
    DEFAULT_BESU_IMAGE,
    NetworkSpec,
    Organisation,
    find_build_context,
    generate_network,
)

NODE = Path(__file__).resolve().parents[2] / "node"
ORGS = ("acme", "bolt", "cora", "dune")
ACCOUNT = "0x627306090abaB3A6e1400e9345bC60c78a8BEf57"  # public address, no key involved


def _listed(name: str) -> tuple[str, list[str]]:
    lines = (NODE / name).read_text(encoding="utf-8").splitlines()
    header = "\n".join(line for line in lines if line.startswith("#"))
    return header, [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Path:
    orgs = tuple(Organisation(n, (ACCOUNT,) if n == "acme" else ()) for n in ORGS)
    spec = NetworkSpec(organisations=orgs, build_context=find_build_context())
    return generate_network(spec, tmp_path_factory.mktemp("gen") / "net").root


def _compose(net: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((net / "docker-compose.yml").read_text())
    return document


def test_the_lists_name_their_source_and_the_pinned_release() -> None:
    for name in ("besu_options.txt", "besu_genesis_keys.txt"):
        header, names = _listed(name)
        assert f"Besu {BESU_VERSION}" in header and "https://" in header
        assert len(names) == len(set(names)) > 10
    assert f"hyperledger/besu:{BESU_VERSION}" == DEFAULT_BESU_IMAGE
    assert re.fullmatch(r"\d+\.\d+\.\d+", BESU_VERSION) and BESU_JAVA == "25"


def test_every_generated_besu_option_is_documented(net: Path) -> None:
    documented = set(_listed("besu_options.txt")[1])
    used: set[str] = set()
    for org in ORGS:
        used |= set(tomllib.loads((net / org / "node" / "config.toml").read_text()))
    for service in _compose(net)["services"].values():
        if service["image"].startswith("hyperledger/besu"):
            used |= {arg[2:].split("=")[0] for arg in service["command"] if arg.startswith("--")}
    assert used, "nothing generated"
    assert used <= documented, sorted(used - documented)


def test_a_misspelt_option_would_be_caught() -> None:
    documented = set(_listed("besu_options.txt")[1])
    for wrong in ("rpc-http-apis-enabled", "miner-enabled", "Xdns", "min-gas"):
        assert wrong not in documented


def _paths(document: Any, prefix: str = "") -> set[str]:
    if not isinstance(document, dict):
        return set()
    found: set[str] = set()
    for key, value in document.items():
        path = f"{prefix}{key}"
        if prefix == "alloc.":
            path = "alloc.*"
        found |= {path} | _paths(value, f"{path}.")
    return found


def test_every_generated_genesis_key_is_documented(net: Path) -> None:
    genesis = json.loads((net / "genesis.json").read_text())
    documented = {name.lower() for name in _listed("besu_genesis_keys.txt")[1]}
    used = {path.lower() for path in _paths(genesis)}
    assert {"config.qbft.blockperiodseconds", "alloc.*.balance", "extradata"} <= used
    assert used <= documented, sorted(used - documented)


def test_each_gateway_gets_record_keys_passphrase_and_store(net: Path) -> None:
    compose = _compose(net)
    for org in ORGS:
        gateway = compose["services"][f"gateway-{org}"]
        env = gateway["environment"]
        mounts = {v["target"]: v for v in gateway["volumes"]}
        record = Path(env["TRACENET_GATEWAY_DEPLOYMENT"])
        assert mounts[str(record.parent)]["source"] == "./deployment"
        assert (net / "deployment" / "README.md").is_file()
        wallet = mounts[env["TRACENET_GATEWAY_WALLET_DIR"]]
        assert wallet["source"] == f"./{org}/wallet" and wallet["read_only"] is True
        assert stat.S_IMODE((net / org / "wallet").stat().st_mode) == 0o700
        store = env["TRACENET_GATEWAY_DATABASE_URL"].removeprefix("sqlite:///")
        assert mounts[str(Path(store).parent)]["read_only"] is False
        (secret,) = gateway["secrets"]
        assert env["TRACENET_GATEWAY_PASSPHRASE_FILE"] == f"/run/secrets/{secret['target']}"
        passphrase = net / compose["secrets"][secret["source"]]["file"]
        assert passphrase == net / "secrets" / f"{org}-wallet-passphrase"
        assert len(passphrase.read_text()) >= 40
        assert stat.S_IMODE(passphrase.stat().st_mode) == 0o600
        assert env["TRACENET_GATEWAY_PORT"] == "8600" and gateway["user"].startswith("${")
        assert all(k.startswith("TRACENET_GATEWAY_") for k in env)


def test_the_indexer_and_its_api_share_the_record(net: Path) -> None:
    services = _compose(net)["services"]
    for name, command in (("indexer", ["indexer", "run"]), ("indexer-api", ["indexer", "serve"])):
        service = services[name]
        assert service["command"] == command
        env = service["environment"]
        mounts = {v["target"]: v["source"] for v in service["volumes"]}
        assert mounts[str(Path(env["TRACENET_INDEXER_DEPLOYMENT"]).parent)] == "./deployment"
        assert all(k.startswith("TRACENET_INDEXER_") for k in env)
    assert services["indexer-api"]["environment"]["TRACENET_INDEXER_API_PORT"] == "8700"
    assert services["indexer-api"]["ports"] == ["127.0.0.1:8700:8700"]


def test_the_generated_readme_says_how_keys_and_the_record_are_supplied(net: Path) -> None:
    readme = (net / "README.md").read_text()
    for expected in (
        "tracenet wallet create --wallet-dir acme/wallet",
        "--passphrase-file secrets/acme-wallet-passphrase",
        "--out deployment/deployment.json",
        "docker compose exec gateway-acme tracenet gateway keys create",
        "Java 25",
    ):
        assert expected in readme, expected
