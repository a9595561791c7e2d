"""The demo network: anvil, the deployed consortium, a gateway per party, the indexer, the console.

Everything lives in the demo directory (reset at every start): ``node/`` (anvil), one folder per
party under ``parties/`` (its encrypted key store, passphrase file 0600, gateway database),
``deployment.json``, the indexer's SQLite mirror, ``logs/`` and ``pids.json``. Services run as
``tracenet …`` subprocesses; API keys are made in this process as ``tracenet gateway keys
create`` and ``tracenet indexer keys create`` make them (a process per key would cost seconds).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tracenet import contracts, indexer
from tracenet.demo._procs import Children, check_ports, stop_leftovers, tracenet_argv
from tracenet.demo.errors import DemoError
from tracenet.gateway import ApiKey, Store, hash_key, make_engine, new_key
from tracenet.node import AnvilNode, NodeSettings, rpc_call
from tracenet.node._config import ConsortiumConfig
from tracenet.node._deploy import deploy_consortium
from tracenet.wallet import Keystore, Signer

__all__ = [
    "CONFIG",
    "GENESIS",
    "Network",
    "Ports",
    "plan_network",
    "start_chain",
    "start_console",
    "start_gateways",
    "start_indexer",
]

CONFIG = Path(__file__).resolve().parents[1] / "node" / "demo" / "consortium.yaml"
HOST = "127.0.0.1"
#: The chain's calendar starts here (anvil's genesis block), whatever today's date, and runs on
#: with the wall clock: the story always plays 2027-Q1 to 2027-Q3, inside the validity of the
#: demo certificates (2026-01-01 to 2028-12-31), this year and in 2030 alike.
GENESIS = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class Ports:
    """console = base, indexer API = base + 1, chain = base + 2, gateways from base + 3."""

    base: int
    parties: tuple[str, ...]

    @property
    def console(self) -> int:
        return self.base

    @property
    def indexer(self) -> int:
        return self.base + 1

    @property
    def chain(self) -> int:
        return self.base + 2

    def gateway(self, party: str) -> int:
        return self.base + 3 + self.parties.index(party)

    def named(self) -> dict[str, int]:
        ports = {"console": self.console, "indexer API": self.indexer, "chain": self.chain}
        return ports | {f"gateway {p}": self.gateway(p) for p in self.parties}


@dataclass
class Network:
    """What is running, and how to reach it."""

    directory: Path
    ports: Ports
    config: ConsortiumConfig
    node: AnvilNode
    children: Children
    registry: dict[str, dict[str, int]]
    gateway_keys: dict[str, str] = field(default_factory=dict)  # party key -> write API key
    indexer_keys: dict[str, str] = field(default_factory=dict)  # party key -> read key
    console: bool = False

    @property
    def rpc_url(self) -> str:
        return f"http://{HOST}:{self.ports.chain}"

    @property
    def indexer_url(self) -> str:
        return f"http://{HOST}:{self.ports.indexer}"

    @property
    def console_url(self) -> str:
        return f"http://{HOST}:{self.ports.console}"

    def gateway_url(self, party: str) -> str:
        return f"http://{HOST}:{self.ports.gateway(party)}"

    @property
    def deployment(self) -> Path:
        return self.directory / "deployment.json"

    def party_dir(self, party: str) -> Path:
        return self.directory / "parties" / party

    def stop(self, say: Callable[[str], None]) -> None:
        """Every service, newest first, then the chain; then the warden may go."""
        self.children.stop_all(say)
        pid = self.node.pid
        if pid is not None:
            self.node.stop()
            self.children.forget(pid)
            say("stopped the chain (anvil)")
        self.children.close()


def reset(directory: Path, ports: Ports, say: Callable[[str], None]) -> None:
    """Stop what a killed demo left running here; if every port is free, empty the directory."""
    for name in stop_leftovers(directory):
        say(f"stopped {name}, left running by an earlier demo")
    node = AnvilNode(NodeSettings(data_dir=directory / "node"))
    if node.pid is not None:
        node.stop()
        say("stopped the chain left running by an earlier demo")
    check_ports(ports.named(), HOST)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)


def plan_network(directory: Path, port_base: int) -> Network:
    """The network to start (nothing runs yet); its ports must be free."""
    config = ConsortiumConfig.load(CONFIG)
    # the consortium admin first: it registers parties and catalog entries through its gateway
    ports = Ports(port_base, (config.admin.key, *(p.key for p in config.parties)))
    if ports.base < 1024 or ports.gateway(ports.parties[-1]) > 65535:
        raise DemoError(
            f"--port-base {port_base}: the demo needs ports {port_base} to "
            f"{ports.gateway(ports.parties[-1])}, between 1024 and 65535"
        )
    settings = NodeSettings(
        data_dir=directory / "node", host=HOST, port=ports.chain, block_time=0,
        genesis_timestamp=GENESIS,
    )  # fmt: skip
    return Network(directory, ports, config, AnvilNode(settings), Children(directory), {})


def start_chain(net: Network, say: Callable[[str], None]) -> None:
    """Reset the directory, make the wallets, start anvil, deploy, then mine every second."""
    reset(net.directory, net.ports, say)
    net.children.claim()
    signers = _wallets(net.directory, net.config)
    say(f"wallets: {len(signers)} keys, one encrypted store per party in {net.directory}/parties")
    net.node.start()
    if net.node.pid is not None:  # its own session, like every service: the warden watches it
        net.children.watch(net.node.pid)
    say(f"chain: anvil at {net.rpc_url}, chain id {net.node.settings.chain_id}")
    w3 = contracts.connect(net.rpc_url)
    deployment = deploy_consortium(w3, net.config, signers)
    deployment.save(net.deployment)
    net.registry = {k: dict(v) for k, v in deployment.registry.items()}
    counts = ", ".join(_count(len(v), k) for k, v in deployment.registry.items())
    say(f"deployed the demo consortium ({counts})")
    rpc_call(net.rpc_url, "evm_setIntervalMining", [1])  # from now on: a block every second
    say("chain: one block a second from now on")


_ONE = {"parties": "party", "classes": "class", "boundaries": "boundary", "processes": "process"}


def _count(n: int, kind: str) -> str:
    """``1 boundary``, ``3 product groups``: a registry count as a person reads it."""
    if n == 1:
        kind = _ONE.get(kind, kind.removesuffix("s"))
    return f"{n} {kind.replace('_', ' ')}"


def _wallets(directory: Path, config: ConsortiumConfig) -> dict[str, Signer]:
    """One key store per party (and the admin's), each under its own random passphrase."""
    owners: dict[str, list[tuple[str, str | None]]] = {
        config.admin.key: [(config.admin.signer, None)]
    }
    for party in config.parties:
        keys: list[tuple[str, str | None]] = [(label, None) for label in party.signers]
        keys += [(label, u.key) for u in party.units for label in u.signers]
        owners[party.key] = keys
    signers: dict[str, Signer] = {}
    for owner, labels in owners.items():
        home = directory / "parties" / owner
        home.mkdir(parents=True, mode=0o700)
        passphrase = secrets.token_urlsafe(24)
        secret = home / "passphrase"
        secret.touch(mode=0o600)
        secret.write_text(passphrase)
        store = Keystore(home / "wallet", scrypt_n=2**14)
        for label, unit in labels:
            store.create(label=label, party=owner, unit=unit, passphrase=passphrase)
            signers[label] = store.unlock(label, passphrase)
    return signers


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACENET_")}
    env.update(extra)
    return env


def gateway_env(net: Network, party: str) -> dict[str, str]:
    home = net.party_dir(party).absolute()
    return _clean_env(
        TRACENET_GATEWAY_RPC_URL=net.rpc_url,
        TRACENET_GATEWAY_DEPLOYMENT=str(net.deployment.absolute()),
        TRACENET_GATEWAY_DATABASE_URL=f"sqlite:///{home}/gateway.db",
        TRACENET_GATEWAY_WALLET_DIR=str(home / "wallet"),
        TRACENET_GATEWAY_PASSPHRASE_FILE=str(home / "passphrase"),
        TRACENET_GATEWAY_HOST=HOST,
        TRACENET_GATEWAY_PORT=str(net.ports.gateway(party)),
        TRACENET_GATEWAY_SIGN_PROCESSES="0",  # a demo writes little: no helper processes
        TRACENET_GATEWAY_VIEW_CACHE_SECONDS="0",  # time travel must show at once
        TRACENET_GATEWAY_LOG_LEVEL="WARNING",
    )


def indexer_env(net: Network) -> dict[str, str]:
    return _clean_env(
        TRACENET_INDEXER_RPC_URL=net.rpc_url,
        TRACENET_INDEXER_DEPLOYMENT=str(net.deployment.absolute()),
        TRACENET_INDEXER_DATABASE_URL=f"sqlite:///{net.directory.absolute()}/indexer.sqlite3",
        TRACENET_INDEXER_API_HOST=HOST,
        TRACENET_INDEXER_API_PORT=str(net.ports.indexer),
        # the QR code and link on every SD the indexer issues open this demo's console
        TRACENET_DECLARATION_CONSOLE_URL=net.console_url,
    )


def start_gateways(net: Network, say: Callable[[str], None]) -> None:
    """A write key per party in its gateway's store (what ``tracenet gateway keys create``
    does, without a process per key), then the gateways, each ``tracenet gateway serve``."""
    for party in net.ports.parties:
        net.gateway_keys[party] = _gateway_key(net, party)
    argv = tracenet_argv("gateway", "serve")
    children = {
        p: net.children.start(f"gateway-{p}", argv, gateway_env(net, p)) for p in net.ports.parties
    }
    for party, child in children.items():
        net.children.wait_http(child, f"{net.gateway_url(party)}/v1/health")
        say(f"gateway of {party}: {net.gateway_url(party)} (pid {child.pid})")


def _gateway_key(net: Network, party: str) -> str:
    secret = new_key()
    row = ApiKey(label="demo", party_id=net.registry["parties"][party], scope="write",
                 key_hash=hash_key(secret))  # fmt: skip
    store = Store(make_engine(f"sqlite:///{net.party_dir(party).absolute()}/gateway.db"))
    try:
        store.write_sync(lambda session, r: session.add(r), row)
    finally:
        store.close()
    return secret


def start_indexer(net: Network, say: Callable[[str], None]) -> None:
    env = indexer_env(net)
    # The mirror's schema is made by one process first: two creating it at once collide.
    what = "tracenet indexer run --once"
    first = net.children.run(tracenet_argv("indexer", "run", "--once"), env, timeout=300, what=what)
    if first.returncode != 0:
        last = (first.stderr.strip().splitlines() or ["no output"])[-1]
        raise DemoError(f"{what} exited {first.returncode}: {last}")
    # Read keys next, while nothing else writes the mirror (SQLite: one writer), in this process
    # as `tracenet indexer keys create` does: a process per key cost ~4 s of start-up each.
    engine = indexer.make_engine(env["TRACENET_INDEXER_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            for party in net.ports.parties:
                net.indexer_keys[party] = indexer.create_key(
                    conn, net.registry["parties"][party], "demo"
                )
    finally:
        engine.dispose()
    say(f"indexer: mirrored; a read key for each of the {len(net.indexer_keys)} parties")
    follower = net.children.start("indexer-follower", tracenet_argv("indexer", "run"), env)
    api = net.children.start("indexer-api", tracenet_argv("indexer", "serve"), env)
    net.children.wait_http(api, f"{net.indexer_url}/openapi.json")
    say(f"indexer: follower (pid {follower.pid}) and API at {net.indexer_url} (pid {api.pid})")


def start_console(net: Network, say: Callable[[str], None]) -> None:
    """The console, when this checkout has it (``console`` package); else say so and go on."""
    if importlib.util.find_spec("tracenet.console") is None:
        say("console: not in this checkout (no console package); skipped")
        return
    env = _clean_env(
        TRACENET_CONSOLE_HOST=HOST,
        TRACENET_CONSOLE_PORT=str(net.ports.console),
        TRACENET_CONSOLE_INDEXER_URL=net.indexer_url,
        TRACENET_CONSOLE_GATEWAYS=json.dumps({p: net.gateway_url(p) for p in net.ports.parties}),
    )
    child = net.children.start("console", tracenet_argv("console", "serve"), env)
    net.children.wait_http(child, net.console_url + "/")
    net.console = True
    say(f"console: {net.console_url} (pid {child.pid})")
