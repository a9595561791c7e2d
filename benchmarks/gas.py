"""Gas of every Tracenet operation beside the closest OpenZeppelin ERC-1155 operation.

Deploys Tracenet and OpenZeppelin's ERC-1155 (``contracts/src/bench/BenchERC1155.sol``, same
compiler and settings) on one embedded chain (anvil) and measures ``gasUsed`` of each operation as
a separate transaction (so every storage access is cold, as in production). Gas is deterministic:
the run is compared with the committed snapshot ``benchmarks/snapshots/gas.json`` and any change is
reported; ``--update`` rewrites the snapshot.

The counterpart of an operation is OpenZeppelin's closest operation plus the storage the rule
itself demands and ERC-1155 has no notion of, priced at EIP-2929/2200 costs and named in the
``counterpart`` column: for record input, the evidence hash R3 keeps so that no document is
recorded twice (one new slot, 22,100 gas); for a rolling-average operation (R8), the sender's
window of intake slots read (one cold read per period of the window) and, for a shipment, the
receiving unit's intake of the period updated (one slot). On a consortium chain gas is block
space, so each row also gives the operations per 30 M-gas block, now and in the snapshot.

    python benchmarks/gas.py [--json] [--update]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from web3 import Web3

from tracenet import contracts
from tracenet.node import AnvilNode, NodeSettings
from tracenet.node._config import ConsortiumConfig
from tracenet.node._deploy import deploy_consortium
from tracenet.wallet import LocalSigner, Signer

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "gas.json"
TARGET_RATIO = 1.5
BLOCK_GAS = 30_000_000
# Storage a rule demands beyond ERC-1155 (EIP-2929 cold read 2,100; EIP-2200 new slot 22,100,
# update of a cold non-zero slot 2,100 + 2,900).
COLD_READ, NEW_SLOT, SLOT_UPDATE = 2_100, 22_100, 5_000
R3_EVIDENCE = ("+ R3 evidence hash (1 new slot)", NEW_SLOT)
R8_WINDOW = 3  # the pellet class's window, periods
R8_CLAIM = (f"+ R8 intake window ({R8_WINDOW} reads)", R8_WINDOW * COLD_READ)
R8_SHIP = (
    f"+ R8 intake window ({R8_WINDOW} reads) and receiver intake (1 update)",
    R8_WINDOW * COLD_READ + SLOT_UPDATE,
)
# Issue 19: a shipment awaiting acceptance keeps its record (state, ends, group, deadline: one
# slot; quantity; two line arrays of one line: four) and the class's in-transit counter; leaving
# transit updates the state and the counter.
TRANSIT_OPEN = ("+ transit record (6 new slots) and in-transit counter (1 update)",
                6 * NEW_SLOT + SLOT_UPDATE)  # fmt: skip
TRANSIT_CLOSE = ("+ transit state and in-transit counter (2 updates)", 2 * SLOT_UPDATE)
RULE_STORAGE: dict[str, tuple[str, int]] = {
    "ship 1 line awaiting acceptance": TRANSIT_OPEN,
    "accept (1 line)": TRANSIT_CLOSE,
    "reject (1 line)": TRANSIT_CLOSE,
    "recall (1 line)": TRANSIT_CLOSE,
    "settle after the window (1 line)": TRANSIT_CLOSE,
    "record input (new token for the unit)": R3_EVIDENCE,
    "record input (unit already holds the token)": R3_EVIDENCE,
    "ship 1 line, rolling average, to a holder": R8_SHIP,
    "claim (1 line), rolling average": R8_CLAIM,
}
COUNTERPART: dict[str, str] = {
    "record input (new token for the unit)": "mint to a new holder",
    "record input (unit already holds the token)": "mint to a holder",
    "ship 1 line to a holder": "safeTransferFrom to a holder",
    "ship 1 line to a non-holder": "safeTransferFrom to a new holder",
    "ship 5 lines to a holder": "safeBatchTransferFrom (5) to a holder",
    "ship 5 lines to a non-holder": "safeBatchTransferFrom (5) to a new holder",
    "ship 1 line, rolling average, to a holder": "safeTransferFrom to a holder",
    "convert (1 input line)": "burn + mint (one transaction)",
    "claim (1 line)": "burn",
    "claim (1 line), rolling average": "burn",
    "lapse (1 token)": "burn",
    "ship 1 line awaiting acceptance": "safeTransferFrom to a holder",
    "accept (1 line)": "safeTransferFrom to a holder",
    "reject (1 line)": "safeTransferFrom to a holder",
    "recall (1 line)": "safeTransferFrom to a holder",
    "settle after the window (1 line)": "safeTransferFrom to a holder",
}
T = 1_000_000
MONTH = 31 * 86_400

CONFIG: dict[str, Any] = {
    "admin": {"name": "Bench Consortium", "signer": "admin"},
    "schemes": [{"key": "plus", "name": "ISCC PLUS", "max_period_months": 12}],
    "product_groups": [
        {"key": "flakes", "name": "PET flakes", "max_share_bps": 10_000},
        {"key": "resin", "name": "PET resin", "max_share_bps": 10_000},
        {"key": "pellets", "name": "HDPE pellets", "max_share_bps": 10_000},
    ],
    "classes": [
        {
            "key": "flake",
            "name": "rPET flake",
            "characteristic": "recycled",
            "scheme": "plus",
            "product_group": "flakes",
            "model": "mass_balance",
            "period_months": 1,
            "window_periods": 12,
            "raw_material": "circular",
            "sustainable_factor": 450,
            "conventional_factor": 2150,
        },
        {
            "key": "resin",
            "name": "rPET resin",
            "characteristic": "recycled",
            "scheme": "plus",
            "product_group": "resin",
            "model": "mass_balance",
            "period_months": 1,
            "window_periods": 1,
            "raw_material": "circular",
            "sustainable_factor": 900,
            "conventional_factor": 2700,
        },
        {
            "key": "pellet",
            "name": "rHDPE pellet",
            "characteristic": "recycled",
            "scheme": "plus",
            "product_group": "pellets",
            "model": "mass_balance",
            "attribution": "rolling_average",
            "period_months": 1,
            "window_periods": 3,
            "raw_material": "circular",
            "sustainable_factor": 600,
            "conventional_factor": 1900,
        },
    ],
    "parties": [
        {"key": "certifier", "name": "CertCo", "roles": ["certifier"], "signers": ["certifier"]},
        {
            "key": "origin",
            "name": "Recycler",
            "roles": ["member", "origin"],
            "units": [{"key": "plant", "name": "Plant", "location": "x", "signers": ["plant"]}],
        },
        {
            "key": "holder",
            "name": "Converter",
            "roles": ["member"],
            "units": [{"key": "mill", "name": "Mill", "location": "y", "signers": ["mill"]}],
        },
        {
            "key": "fresh",
            "name": "Newcomer",
            "roles": ["member"],
            "units": [
                {"key": "yard", "name": "Yard", "location": "z", "signers": ["yard"]},
                {"key": "depot", "name": "Depot", "location": "w", "signers": ["depot"]},
            ],
        },
    ],
    "certificates": [
        {
            "key": "cert",
            "holder": "origin",
            "certifier": "certifier",
            "scheme": "plus",
            "number": "ISCC-PLUS-1",
            "valid_from": "2026-01-01",
            "valid_until": "2036-01-01",
            "classes": ["flake", "pellet"],
            "units": ["plant"],
        },
    ],
    "processes": [
        {
            "key": "p",
            "name": "Flake to resin",
            "unit": "plant",
            "input_class": "flake",
            "output_class": "resin",
            "certifier": "certifier",
            "factors": [{"yield_bps": 9000, "effective_from": "2026-01-01", "evidence": "yield"}],
        },
    ],
}


class Chain:
    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.counter = 0

    def send(self, signer: Signer, fn: Any) -> int:
        tx = fn.build_transaction(
            {
                "from": signer.address,
                "gasPrice": 0,
                "gas": 5_000_000,
                "nonce": self.w3.eth.get_transaction_count(signer.address),
            }
        )
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(signer.sign_transaction(tx).raw_transaction)
        )
        if receipt["status"] != 1:
            raise RuntimeError(f"benchmark transaction reverted: {fn.fn_name}")
        return int(receipt["gasUsed"])

    def doc(self) -> bytes:
        self.counter += 1
        return Web3.keccak(text=f"bench-document-{self.counter}")

    def next_month(self) -> None:
        self.w3.provider.make_request("evm_increaseTime", [MONTH])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@dataclass
class _Bench:
    """What each step of ``measure`` uses, and the gas it collects per operation."""

    chain: Chain
    led: Any  # the Ledger's functions
    oz: Any  # OpenZeppelin ERC-1155's functions
    keys: dict[str, LocalSigner]
    reg: dict[str, dict[str, int]]
    tokens: list[int] = field(default_factory=list)  # the plant's five vintages of flake
    tracenet: dict[str, int] = field(default_factory=dict)
    baseline: dict[str, int] = field(default_factory=dict)
    transit: Any = None  # the Transit's functions (issue 19)

    @property
    def owner(self) -> LocalSigner:
        return self.keys["oz-owner"]

    @property
    def holder(self) -> str:
        return self.keys["oz-holder"].address


def measure(w3: Web3) -> dict[str, dict[str, int]]:
    b = _deploy(w3)
    _inputs(b)
    _shipments(b)
    p_token = _rolling_shipment(b)
    _transit(b)
    _convert_claim_lapse(b, p_token)
    return {"tracenet": b.tracenet, "openzeppelin": b.baseline}


def _deploy(w3: Web3) -> _Bench:
    """Tracenet (the bench consortium) and OpenZeppelin's ERC-1155 on one chain."""
    config = ConsortiumConfig.model_validate(CONFIG)
    labels = [
        "admin",
        "certifier",
        "plant",
        "mill",
        "yard",
        "depot",
        "oz-owner",
        "oz-holder",
        "oz-fresh",
        "oz-fresh-2",
    ]
    keys = {label: LocalSigner.from_key(Web3.keccak(text=label)) for label in labels}
    signers: dict[str, Signer] = dict(keys)
    deployment = deploy_consortium(w3, config, signers)
    handle = contracts.attach(w3, deployment)

    artifact = contracts.load_artifact("BenchERC1155")
    owner = keys["oz-owner"]
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx = factory.constructor(owner.address).build_transaction(
        {"from": owner.address, "gasPrice": 0, "gas": 5_000_000, "nonce": 0}
    )
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(owner.sign_transaction(tx).raw_transaction)
    )
    oz = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi).functions
    return _Bench(
        Chain(w3), handle.ledger.functions, oz, keys, deployment.registry,
        transit=handle.transit.functions,
    )  # fmt: skip


def _inputs(b: _Bench) -> None:
    """Five vintages of flake credits at the plant (monthly periods, a 12-period window). The
    first input ever also creates the ledger's counters, so the steady state is measured on
    month 1."""
    chain, led, oz, owner, holder = b.chain, b.led, b.oz, b.owner, b.holder
    plant, flake, cert = b.keys["plant"], b.reg["classes"]["flake"], b.reg["certificates"]["cert"]
    for month in range(5):
        if month:
            chain.next_month()
        gas = chain.send(plant, led.recordInput(flake, 100 * T, cert, chain.doc()))
        b.tokens.append(led.tokenIdOf(flake, led.currentPeriod(flake).call(), 0).call())
        if month == 1:
            b.tracenet["record input (new token for the unit)"] = gas
    b.tracenet["record input (unit already holds the token)"] = chain.send(
        plant, led.recordInput(flake, T, cert, chain.doc())
    )
    for i in range(5):
        chain.send(owner, oz.mint(owner.address, i, 100 * T))
    chain.send(owner, oz.mint(holder, 8, T))  # the holder is not new to the contract either
    b.baseline["record input (new token for the unit)"] = chain.send(owner, oz.mint(holder, 9, T))
    b.baseline["record input (unit already holds the token)"] = chain.send(
        owner, oz.mint(holder, 9, T)
    )


def _shipments(b: _Bench) -> None:
    """Shipments of 1 and 5 lines, to a unit that holds the tokens and to one that does not."""
    chain, led, oz, owner, holder, tokens = b.chain, b.led, b.oz, b.owner, b.holder, b.tokens
    plant, group = b.keys["plant"], b.reg["product_groups"]["flakes"]
    units = b.reg["units"]
    u_mill, u_yard, u_depot = units["mill"], units["yard"], units["depot"]
    fresh = b.keys["oz-fresh"].address

    def shipment(to: int, lines: list[int]) -> tuple[Any, ...]:
        return (
            to,
            group,
            10 * T * len(lines),
            chain.doc(),
            b"\0" * 32,
            b"\0" * 32,
            [tokens[i] for i in lines],
            [T] * len(lines),
        )

    chain.send(plant, led.ship(shipment(u_mill, [0, 1, 2, 3, 4])))  # the mill holds every token
    for i in range(5):
        chain.send(owner, oz.safeTransferFrom(owner.address, holder, i, T, b""))
    tracenet, baseline = b.tracenet, b.baseline
    tracenet["ship 1 line to a holder"] = chain.send(plant, led.ship(shipment(u_mill, [0])))
    tracenet["ship 1 line to a non-holder"] = chain.send(plant, led.ship(shipment(u_yard, [0])))
    tracenet["ship 5 lines to a holder"] = chain.send(
        plant, led.ship(shipment(u_mill, [0, 1, 2, 3, 4]))
    )
    tracenet["ship 5 lines to a non-holder"] = chain.send(
        plant, led.ship(shipment(u_depot, [0, 1, 2, 3, 4]))
    )
    safe, batch = oz.safeTransferFrom, oz.safeBatchTransferFrom
    baseline["ship 1 line to a holder"] = chain.send(owner, safe(owner.address, holder, 0, T, b""))
    baseline["ship 1 line to a non-holder"] = chain.send(
        owner, safe(owner.address, fresh, 0, T, b"")
    )
    ids, amounts = [0, 1, 2, 3, 4], [T] * 5
    baseline["ship 5 lines to a holder"] = chain.send(
        owner, batch(owner.address, holder, ids, amounts, b"")
    )
    fresh2 = b.keys["oz-fresh-2"].address
    baseline["ship 5 lines to a non-holder"] = chain.send(
        owner, batch(owner.address, fresh2, ids, amounts, b"")
    )


def _rolling_shipment(b: _Bench) -> int:
    """R8: a rolling-average class (30 t certified of 100 t in the month: 30 %); the shipment
    carries exactly its share, the lines the gateway computes. The mill already holds the
    token. Returns the pellet token."""
    chain, led, owner, plant = b.chain, b.led, b.owner, b.keys["plant"]
    reg, zero = b.reg, b"\0" * 32
    pellet, pellets, cert = (
        reg["classes"]["pellet"],
        reg["product_groups"]["pellets"],
        reg["certificates"]["cert"],
    )
    chain.send(plant, led.recordInput(pellet, 30 * T, cert, chain.doc()))
    chain.send(plant, led.recordConventionalInput(pellets, 70 * T, chain.doc()))
    p_token: int = led.tokenIdOf(pellet, led.currentPeriod(pellet).call(), 0).call()

    def rolling() -> tuple[Any, ...]:
        return (reg["units"]["mill"], pellets, 10 * T, chain.doc(), zero, zero, [p_token], [3 * T])

    chain.send(plant, led.ship(rolling()))
    b.tracenet["ship 1 line, rolling average, to a holder"] = chain.send(plant, led.ship(rolling()))
    b.baseline["ship 1 line, rolling average, to a holder"] = chain.send(
        owner, b.oz.safeTransferFrom(owner.address, b.holder, 0, T, b"")
    )
    return p_token


def _transit(b: _Bench) -> None:
    """Issue 19: ISCC PLUS needs the recipient's acceptance (72 h). The first shipment awaiting
    acceptance also creates the class's in-transit counter: measured from the second on."""
    chain, led, owner, holder = b.chain, b.led, b.owner, b.holder
    plant, mill, admin = b.keys["plant"], b.keys["mill"], b.keys["admin"]
    transit, scheme = b.transit, b.reg["schemes"]["plus"]
    group, u_mill, token = b.reg["product_groups"]["flakes"], b.reg["units"]["mill"], b.tokens[0]
    chain.send(admin, transit.setSchemeAcceptance(scheme, 1, 72 * 3600, 0))

    def in_transit() -> tuple[int, int]:
        ship = (u_mill, group, 10 * T, chain.doc(), b"\0" * 32, b"\0" * 32, [token], [T])
        gas = chain.send(plant, led.ship(ship))
        return gas, int(led.counts().call()[1])

    tracenet, baseline = b.tracenet, b.baseline
    chain.send(mill, transit.accept(in_transit()[1]))
    gas, first = in_transit()
    tracenet["ship 1 line awaiting acceptance"] = gas
    tracenet["accept (1 line)"] = chain.send(mill, transit.accept(first))
    tracenet["reject (1 line)"] = chain.send(mill, transit.reject(in_transit()[1], "wrong grade"))
    tracenet["recall (1 line)"] = chain.send(plant, transit.recall(in_transit()[1]))
    late = in_transit()[1]
    chain.next_month()
    tracenet["settle after the window (1 line)"] = chain.send(mill, transit.settle(late))
    chain.send(admin, transit.setSchemeAcceptance(scheme, 0, 0, 0))
    safe = b.oz.safeTransferFrom
    for op in ("ship 1 line awaiting acceptance", "accept (1 line)", "reject (1 line)",
               "recall (1 line)", "settle after the window (1 line)"):  # fmt: skip
        baseline[op] = chain.send(owner, safe(owner.address, holder, 0, T, b""))


def _convert_claim_lapse(b: _Bench, p_token: int) -> None:
    """A conversion, claims (plain and rolling-average), and a lapse a year later."""
    chain, led, oz, owner, tokens = b.chain, b.led, b.oz, b.owner, b.tokens
    plant, mill, zero = b.keys["plant"], b.keys["mill"], b"\0" * 32
    process, pellet = b.reg["processes"]["p"], b.reg["classes"]["pellet"]
    tracenet, baseline = b.tracenet, b.baseline
    # Warm-ups: the first conversion and claim ever also create the ledger's counters.
    chain.send(plant, led.convert(process, 0, [tokens[4]], [T]))
    chain.send(plant, led.claim([tokens[4]], [T], "Acme", b"\0" * 32, b"\0" * 32))
    tracenet["convert (1 input line)"] = chain.send(
        plant, led.convert(process, 0, [tokens[4]], [T])
    )
    burn = chain.send(owner, oz.burn(owner.address, 4, T))
    baseline["convert (1 input line)"] = (
        burn + chain.send(owner, oz.mint(owner.address, 7, T)) - 21_000
    )
    tracenet["claim (1 line)"] = chain.send(
        plant, led.claim([tokens[4]], [T], "Acme", b"\0" * 32, b"\0" * 32)
    )
    baseline["claim (1 line)"] = chain.send(owner, oz.burn(owner.address, 4, T))
    tracenet["claim (1 line), rolling average"] = chain.send(
        plant, led.claimRolling(pellet, 10 * T, [p_token], [3 * T], "Acme", zero, zero)
    )
    baseline["claim (1 line), rolling average"] = chain.send(owner, oz.burn(owner.address, 4, T))
    for _ in range(12):
        chain.next_month()
    chain.send(mill, led.lapse(b.reg["units"]["mill"], [tokens[1]]))  # warm-up: the first lapse
    tracenet["lapse (1 token)"] = chain.send(mill, led.lapse(b.reg["units"]["mill"], [tokens[0]]))
    baseline["lapse (1 token)"] = chain.send(owner, oz.burn(owner.address, 3, T))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON")
    parser.add_argument("--update", action="store_true", help="rewrite the committed snapshot")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        with AnvilNode(NodeSettings(data_dir=Path(tmp), port=port, block_time=0)) as node:
            node_w3 = contracts.connect(node.rpc_url)
            node_w3.provider.make_request(  # type: ignore[arg-type]
                "evm_setNextBlockTimestamp", [int(datetime(2027, 1, 5, tzinfo=UTC).timestamp())]
            )
            gas = measure(node_w3)
    previous = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else None
    before = {r["operation"]: r["tracenet"] for r in (previous or {"operations": []})["operations"]}
    rows = _rows(gas, before)
    result = {
        "target_ratio": TARGET_RATIO,
        "block_gas": BLOCK_GAS,
        "solc": "0.8.28",
        "operations": rows,
    }
    if args.update or previous is None:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(json.dumps(result))
    _print_table(rows)
    if previous is not None and not args.update:
        changed = {
            r["operation"]: (before.get(r["operation"]), r["tracenet"])
            for r in rows
            if before.get(r["operation"]) != r["tracenet"]
        }
        print(
            "\nsnapshot:", "unchanged" if not changed else f"CHANGED {changed} (run with --update)"
        )
    return 0


def _rows(gas: dict[str, dict[str, int]], before: dict[str, int]) -> list[dict[str, Any]]:
    """One row per operation: its gas, its counterpart's, the ratio, operations per block."""
    rows = []
    for op, used in gas["tracenet"].items():
        oz = gas["openzeppelin"][op]
        rule, extra = RULE_STORAGE.get(op, ("", 0))
        base = oz + extra
        rows.append(
            {
                "operation": op,
                "tracenet": used,
                "counterpart": f"OpenZeppelin {COUNTERPART[op]} {rule}".strip(),
                "openzeppelin": oz,
                "rule_storage": extra,
                "ratio": round(used / base, 2),
                "within_target": used <= TARGET_RATIO * base,
                "ops_per_block": BLOCK_GAS // used,
                "ops_per_block_snapshot": BLOCK_GAS // before.get(op, used),
            }
        )
    return rows


def _print_table(rows: list[dict[str, Any]]) -> None:
    print()
    print(
        f"{'operation':<44} {'tracenet':>9} {'OZ':>8} {'+rule':>7} {'ratio':>6}  ≤{TARGET_RATIO}"
        f" {'ops/30M':>8} {'snapshot':>8}"
    )
    for row in rows:
        mark = "ok  " if row["within_target"] else "OVER"
        op, ours, theirs = row["operation"], row["tracenet"], row["openzeppelin"]
        print(
            f"{op:<44} {ours:>9,} {theirs:>8,} {row['rule_storage']:>7,} {row['ratio']:>6}  {mark}"
            f" {row['ops_per_block']:>8,} {row['ops_per_block_snapshot']:>8,}"
        )
    print("\n+rule: storage the rule demands beyond ERC-1155 (see the counterpart in the JSON)")


if __name__ == "__main__":
    sys.exit(main())
