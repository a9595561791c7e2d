"""``tracenet deploy`` and ``tracenet demo`` on the real embedded chain."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from web3 import Web3

from tracenet import contracts
from tracenet.cli import main
from tracenet.contracts import records
from tracenet.node import AnvilNode, NodeSettings
from tracenet.node._config import ConsortiumConfig
from tracenet.node._deploy import deploy_consortium
from tracenet.node._deploy_keys import required_signers
from tracenet.node.errors import DeployConfigError, DeployError
from tracenet.wallet import Keystore, LocalSigner, Signer

DEMO = Path(__file__).resolve().parents[2] / "node" / "demo" / "consortium.yaml"

pytestmark = pytest.mark.integration


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Web3]:
    with AnvilNode(NodeSettings(data_dir=tmp_path / "node", port=_port(), block_time=0)) as node:
        yield Web3(Web3.HTTPProvider(node.rpc_url))


def _signers(config: ConsortiumConfig) -> dict[str, Signer]:
    labels = [config.admin.signer] + [s for p in config.parties for s in p.signers]
    labels += [s for p in config.parties for u in p.units for s in u.signers]
    return {label: LocalSigner.from_key(Web3.keccak(text=label)) for label in labels}


def test_deploy_bootstraps_the_config_and_records_the_registry(chain: Web3, tmp_path: Path) -> None:
    config = ConsortiumConfig.load(DEMO)
    deployment = deploy_consortium(chain, config, _signers(config))
    registry = deployment.registry
    assert registry["parties"] == {
        "consortium": 1,
        "certifier": 2,
        "auditor": 3,
        "recycler": 4,
        "resin": 5,
        "glass": 6,
        "brand": 7,
    }
    assert registry["units"]["resin-gent"] == 3
    assert registry["processes"] == {"flake-to-resin": 1}
    assert {"reloop-plus", "vitra-plus"} <= set(registry["certificates"])
    handle = contracts.attach(chain, deployment)
    raw = handle.consortium.functions.certificate(registry["certificates"]["vitra-plus"]).call()
    cert = records.CertificateView.from_abi(raw)  # by name: the view's layout may grow
    assert cert.holder_party_id == registry["parties"]["glass"]
    assert cert.audited_volume == 50_000_000
    assert handle.catalog.functions.factor(1, 0).call()[0] == 9_000
    unit_signer = _signers(config)["resin-gent"].address
    assert handle.consortium.functions.actorOf(unit_signer).call()[:2] == (5, 3)
    deployment.save(tmp_path / "d.json")
    assert contracts.Deployment.load(tmp_path / "d.json").registry == registry


def test_a_unit_s_product_scope_is_set_from_the_config(chain: Web3) -> None:
    """Issue 26: ``product_groups`` of a unit put them in its scope (Catalog.setUnitScope),
    beyond what its certificates bring."""
    document = yaml.safe_load(DEMO.read_text())
    brand = next(p for p in document["parties"] if p["key"] == "brand")
    brand["units"][0]["product_groups"] = ["food-glass", "pet-flakes"]
    config = ConsortiumConfig.model_validate(document)
    deployment = deploy_consortium(chain, config, _signers(config))
    scope = contracts.attach(chain, deployment).catalog.functions.unitScope
    unit, groups = deployment.registry["units"]["brand-dc"], deployment.registry["product_groups"]
    assert scope(unit, groups["food-glass"]).call() and scope(unit, groups["pet-flakes"]).call()
    assert scope(unit, groups["pet-resin"]).call()  # from its certificate, as before
    other = deployment.registry["units"]["glass-yard"]
    assert not scope(other, groups["pet-flakes"]).call()


def test_a_failing_step_is_named_with_its_custom_error(chain: Web3) -> None:
    document = yaml.safe_load(DEMO.read_text())
    document["certificates"][0]["units"] = ["glass-yard"]  # not a unit of the holder
    config = ConsortiumConfig.model_validate(document)
    with pytest.raises(DeployError) as info:
        deploy_consortium(chain, config, _signers(config))
    assert info.value.step == "certificates.reloop-plus"
    assert "UnitNotOwned" in info.value.revert


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("classes", 0, "scheme"), "nope", "classes.rpet-flake.scheme"),
        (("product_groups", 0, "max_share_bps"), 10_001, "product_groups.0.max_share_bps"),
        (("classes", 0, "period_months"), 5, "classes.0.period_months"),
        (("certificates", 0, "valid_until"), "2025-01-01", "certificates.0"),
        (("parties", 2, "units", 0, "signers"), "not-a-list", "parties.2.units.0.signers"),
        (
            ("parties", 5, "units", 0, "product_groups"),
            ["tin"],
            "parties.brand.units.brand-dc.product_groups",
        ),
    ],
)
def test_invalid_configs_name_the_field(
    tmp_path: Path, path: tuple[str | int, ...], value: object, field: str
) -> None:
    document = yaml.safe_load(DEMO.read_text())
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document))
    with pytest.raises(DeployConfigError) as info:
        ConsortiumConfig.load(bad)
    assert info.value.field is not None and info.value.field.startswith(field)


def test_required_signers_are_the_admin_and_the_certifiers() -> None:
    assert required_signers(ConsortiumConfig.load(DEMO)) == ["admin", "certifier"]


def test_deploy_cli_uses_the_wallet(
    chain: Web3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = Keystore(tmp_path / "wallet", scrypt_n=2**4)
    config = ConsortiumConfig.load(DEMO)
    for label in _signers(config):
        keys.create(label=label, party="p", passphrase="demo-passphrase")
    monkeypatch.setenv("TRACENET_WALLET_PASSPHRASE", "demo-passphrase")
    out = tmp_path / "deployment.json"
    rpc = chain.provider.endpoint_uri  # type: ignore[attr-defined]
    argv = [
        "deploy",
        "--config",
        str(DEMO),
        "--out",
        str(out),
        "--rpc-url",
        str(rpc),
        "--wallet-dir",
        str(tmp_path / "wallet"),
    ]
    assert main(argv) == 0
    assert contracts.Deployment.load(out).registry["classes"] == {
        "rpet-flake": 1,
        "rpet-resin": 2,
        "cullet": 3,
        "rhdpe-pellet": 4,
    }
    monkeypatch.setenv("TRACENET_WALLET_PASSPHRASE", "wrong")
    assert main([*argv[:4], str(tmp_path / "again.json"), *argv[5:]]) == 1


def test_connect_reads_qbft_headers_with_long_extra_data() -> None:
    from web3.providers.base import BaseProvider

    from tracenet.node import connect

    class FakeBesu(BaseProvider):
        """Answers eth_getBlockByNumber with a QBFT-sized extraData header."""

        def make_request(self, method: str, params: Any) -> Any:
            block = {
                "number": "0x1",
                "hash": "0x" + "11" * 32,
                "parentHash": "0x" + "22" * 32,
                "extraData": "0x" + "ab" * 97,
                "timestamp": "0x1",
                "gasLimit": "0x1",
                "gasUsed": "0x0",
                "miner": "0x" + "00" * 20,
                "transactions": [],
            }
            return {"jsonrpc": "2.0", "id": 1, "result": block}

    w3 = connect("http://127.0.0.1:1")
    w3.provider = FakeBesu()
    block = w3.eth.get_block(1)
    assert block["number"] == 1 and "extraData" not in block
    assert block["proofOfAuthorityData"] == bytes.fromhex("ab" * 97)
