"""``tracenet demo``: the main job — the demo network on the embedded chain.

Starts anvil in a fresh directory, creates every party's keys in an encrypted wallet, deploys and
bootstraps the demo consortium (``node/demo/consortium.yaml``), then runs a short mass-balance
story through the ledger and prints what happened: the accepted operations with their events, the
rejected ones with their custom errors, the balances, and conservation per class.
"""

from __future__ import annotations

import argparse
import hashlib
import secrets
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from web3 import Web3

import contracts
from node import AnvilNode, NodeSettings
from node._config import ConsortiumConfig
from node._deploy import deploy_consortium
from wallet import Keystore, Signer

__all__ = ["register"]

CONFIG = Path(__file__).resolve().parent.parent / "node" / "demo" / "consortium.yaml"
T = 1_000_000  # grams in a tonne


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser("demo", help="run the demo network on the embedded chain")
    demo.add_argument("--dir", type=Path, default=Path(".tracenet/demo"), help="working directory")
    demo.add_argument("--keep", action="store_true", help="leave the chain running afterwards")
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    workdir: Path = args.dir
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    config = ConsortiumConfig.load(CONFIG)
    say = _printer()
    say(f"Tracenet demo in {workdir}")
    keys, signers = _wallet(workdir, config)
    say(f"wallet: {len(signers)} keys, encrypted (scrypt) in {keys.directory}")
    settings = NodeSettings(data_dir=workdir / "node", port=_free_port(), block_time=0)
    node = AnvilNode(settings)
    node.start()
    say(f"chain: anvil, chain id {settings.chain_id}, zero gas price, at {node.rpc_url}")
    try:
        w3 = contracts.connect(node.rpc_url)
        deployment = deploy_consortium(w3, config, signers)
        deployment.save(workdir / "deployment.json")
        say(f"deployed: {', '.join(f'{k} {v}' for k, v in deployment.addresses.items())}")
        say("registered: " + ", ".join(f"{len(v)} {k}" for k, v in deployment.registry.items()))
        _story(Story(w3, contracts.attach(w3, deployment), signers, say))
    finally:
        if args.keep:
            say(f"chain left running: tracenet node down --data-dir {settings.data_dir}")
        else:
            node.stop()
            say("chain stopped; its state is kept in " + str(settings.data_dir))
    return 0


class Story:
    """Runs operations as named signers and narrates them."""

    def __init__(
        self,
        w3: Web3,
        handle: contracts.LedgerHandle,
        signers: dict[str, Signer],
        say: Callable[[str], None],
    ) -> None:
        self.w3, self.handle, self.signers, self.say = w3, handle, signers, say
        self.registry = handle.deployment.registry

    def id(self, kind: str, key: str) -> int:
        return self.registry[kind][key]

    def do(self, who: str, what: str, fn: Any) -> list[contracts.DecodedEvent]:
        signer = self.signers[who]
        try:
            fn.call({"from": signer.address}, block_identifier="pending")
        except Exception as exc:
            error = contracts.decode_exception(exc)
            args = ", ".join(f"{k}={_show(v)}" for k, v in error.args.items())
            self.say(f"  REJECTED {what} ({who}): {error.name}({args})")
            return []
        tx = fn.build_transaction(
            {
                "from": signer.address,
                "gasPrice": 0,
                "gas": 2_000_000,
                "nonce": self.w3.eth.get_transaction_count(signer.address),
            }
        )
        tx_hash = self.w3.eth.send_raw_transaction(signer.sign_transaction(tx).raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        events = [
            e for e in self.handle.decode_events(receipt) if not e.event.startswith("Transfer")
        ]
        names = ", ".join(e.event for e in events)
        self.say(
            f"  ok       {what} ({who}) — block {receipt['blockNumber']}, "
            f"gas {receipt['gasUsed']:,}: {names}"
        )
        return events


def _story(s: Story) -> None:
    ledger = s.handle.ledger.functions

    def unit(key: str) -> int:
        return s.id("units", key)

    flake, resin, cullet = (
        s.id("classes", "rpet-flake"),
        s.id("classes", "rpet-resin"),
        s.id("classes", "cullet"),
    )
    sd = _doc("SD-ReLoop-2026-0001")
    s.say("\n1. ReLoop records 10 t of certified PET flakes (Sustainability Declaration by hash)")
    events = s.do(
        "recycler-plant",
        "recordInput 10 t rPET flake",
        ledger.recordInput(flake, 10 * T, s.id("certificates", "reloop-plus"), sd),
    )
    flake_id = events[0].args["tokenId"]
    s.say(f"           credits: {10 * T:,} g of token {_token(flake_id)}")
    s.do(
        "recycler-plant",
        "recordInput with the same SD again",
        ledger.recordInput(flake, T, s.id("certificates", "reloop-plus"), sd),
    )
    s.say("\n2. ReLoop ships 6 t of flakes carrying 6 t of credits to PolyNova Antwerp")
    s.do(
        "recycler-plant",
        "ship 6 t flakes",
        ledger.ship(
            _shipment(
                unit("resin-antwerp"),
                s.id("product_groups", "pet-flakes"),
                6 * T,
                "DN-0001",
                "PO-7781",
                "rPET flakes",
                [(flake_id, 6 * T)],
            )
        ),
    )
    s.say("\n3. PolyNova converts the 6 t of flake credits at its registered 90 % yield")
    events = s.do(
        "resin-antwerp",
        "convert flake → resin",
        ledger.convert(s.id("processes", "flake-to-resin"), 0, [flake_id], [6 * T]),
    )
    resin_id = events[0].args["outputTokenId"]
    s.say(f"           output: {events[0].args['outputAmount']:,} g of token {_token(resin_id)}")
    s.do(
        "resin-antwerp",
        "convert at a factor version never registered",
        ledger.convert(s.id("processes", "flake-to-resin"), 1, [flake_id], [T]),
    )
    s.say("\n4. PolyNova moves 1 t of resin credits to its Gent site (same multi-site boundary)")
    s.do(
        "resin-antwerp",
        "transferInventory 1 t → Gent",
        ledger.transferInventory(unit("resin-gent"), [resin_id], [T]),
    )
    s.say("\n5. PolyNova ships 8 t of resin with 4 t of credits (50 %) to Acme; Acme claims 2.5 t")
    s.do(
        "resin-antwerp",
        "ship 8 t resin",
        ledger.ship(
            _shipment(
                unit("brand-dc"),
                s.id("product_groups", "pet-resin"),
                8 * T,
                "DN-0002",
                "PO-5521",
                "Food-grade rPET resin",
                [(resin_id, 4 * T)],
            )
        ),
    )
    s.do(
        "brand-dc",
        "claim 2.5 t for 500 ml bottles",
        ledger.claim(
            [resin_id],
            [2_500_000],
            "Acme Bottles plc",
            _b32("500 ml bottle"),
            _b32("recycled content"),
        ),
    )
    s.do(
        "brand-dc",
        "claim 2 t more than it holds",
        ledger.claim(
            [resin_id], [2 * T], "Acme Bottles plc", _b32("1 l bottle"), _b32("recycled content")
        ),
    )
    s.say(
        "\n6. Vitra records 30 t of segregated cullet and ships 20 t of food-grade glass (35 % cap)"
    )
    events = s.do(
        "glass-yard",
        "recordInput 30 t cullet",
        ledger.recordInput(
            cullet, 30 * T, s.id("certificates", "vitra-plus"), _doc("WB-Vitra-0042")
        ),
    )
    cullet_id = events[0].args["tokenId"]
    glass = s.id("product_groups", "food-glass")
    s.do(
        "glass-yard",
        "ship 20 t glass with 7,000,001 g credits",
        ledger.ship(
            _shipment(
                unit("brand-dc"),
                glass,
                20 * T,
                "DN-0003",
                "PO-9001",
                "Flint cullet",
                [(cullet_id, 7 * T + 1)],
            )
        ),
    )
    s.do(
        "glass-yard",
        "ship 20 t glass with 7,000,000 g credits",
        ledger.ship(
            _shipment(
                unit("brand-dc"),
                glass,
                20 * T,
                "DN-0004",
                "PO-9001",
                "Flint cullet",
                [(cullet_id, 7 * T)],
            )
        ),
    )
    s.do(
        "glass-yard",
        "recordInput 25 t more (audited volume is 50 t)",
        ledger.recordInput(
            cullet, 25 * T, s.id("certificates", "vitra-plus"), _doc("WB-Vitra-0043")
        ),
    )
    s.say("\nBalances in grams, read as ERC-1155 balanceOf(unit account, token):")
    s.say(f"  {'unit':<15} {'account':<42} {'flake':>11} {'resin':>11} {'cullet':>11}")
    for key in ("recycler-plant", "resin-antwerp", "resin-gent", "glass-yard", "brand-dc"):
        account = ledger.accountOf(unit(key)).call()
        row = [
            f"{ledger.balanceOf(account, t).call():>11,}" for t in (flake_id, resin_id, cullet_id)
        ]
        s.say(f"  {key:<15} {account} " + " ".join(row))
    s.say("\nConservation per class (R1, R13):")
    s.say("  issued + converted in = held + claimed + lapsed + converted out")
    for name, class_id in (("rPET flake", flake), ("rPET resin", resin), ("cullet", cullet)):
        issued, c_in, c_out, claimed, lapsed, held = ledger.supplyOf(class_id).call()
        holds = issued + c_in == held + claimed + lapsed + c_out
        verdict = "holds" if holds else "BROKEN"
        s.say(
            f"  {name:<11} {issued:>11,} + {c_in:>9,} = {held:>11,} + {claimed:>9,}"
            f" + {lapsed} + {c_out:>9,}  {verdict}"
        )
    s.say("\nConversion losses (R13): 600,000 g of flake credits were lost to the 90 % yield.")


def _shipment(
    to: int,
    group: int,
    quantity: int,
    document: str,
    order: str,
    product: str,
    lines: list[tuple[int, int]],
) -> tuple[Any, ...]:
    return (
        to,
        group,
        quantity,
        _doc(document),
        _b32(order),
        _b32(product),
        [t for t, _ in lines],
        [n for _, n in lines],
    )


def _token(token_id: int) -> str:
    """Class, vintage as a calendar quarter (every demo class has quarterly periods), batch."""
    class_id, vintage, batch = contracts.split_token_id(token_id)
    month = vintage * 3
    label = f"class {class_id} {1970 + month // 12}-Q{month % 12 // 3 + 1}"
    return label + (f" batch {batch}" if batch else "")


def _show(value: object) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)


def _doc(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _b32(text: str) -> bytes:
    return text.encode()[:32].ljust(32, b"\0")


def _wallet(workdir: Path, config: ConsortiumConfig) -> tuple[Keystore, dict[str, Signer]]:
    """One key per signer label of the config, encrypted under a fresh random passphrase."""
    passphrase = secrets.token_urlsafe(24)
    secret_file = workdir / "passphrase"
    secret_file.write_text(passphrase)
    secret_file.chmod(0o600)
    keys = Keystore(workdir / "wallet", scrypt_n=2**14)
    entries: list[tuple[str, str, str | None]] = [(config.admin.signer, "consortium", None)]
    for party in config.parties:
        entries += [(label, party.key, None) for label in party.signers]
        entries += [(label, party.key, u.key) for u in party.units for label in u.signers]
    signers: dict[str, Signer] = {}
    for label, party_key, unit in entries:
        keys.create(label=label, party=party_key, unit=unit, passphrase=passphrase)
        signers[label] = keys.unlock(label, passphrase)
    return keys, signers


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _printer() -> Callable[[str], None]:
    def say(line: str) -> None:
        print(line, flush=True)

    return say


if __name__ == "__main__":
    sys.exit(0)
