"""Settings of the embedded dev chain, read from ``TRACENET_NODE_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_CHAIN_ID", "NodeSettings", "default_anvil_bin", "find_repo_root"]

#: The chain id of every Tracenet dev chain; wallets sign for it, so it never changes silently.
DEV_CHAIN_ID: Final = 7177


def find_repo_root(start: Path | None = None) -> Path | None:
    """The nearest directory at or above ``start`` (default: this package) holding package.json."""
    here = (start or Path(__file__)).resolve()
    for directory in (here, *here.parents):
        if (directory / "package.json").is_file():
            return directory
    return None


def default_anvil_bin() -> Path:
    """``node_modules/.bin/anvil`` of the repository (installed by ``make setup``)."""
    root = find_repo_root()
    return (root if root is not None else Path.cwd()) / "node_modules" / ".bin" / "anvil"


class NodeSettings(BaseSettings):
    """How ``tracenet node`` runs anvil; each field reads ``TRACENET_NODE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TRACENET_NODE_", extra="forbid")

    #: State, log, pid and runtime files; relative paths are relative to the working directory.
    data_dir: Path = Path(".tracenet/node")
    #: Interface the JSON-RPC server listens on; loopback only by default.
    host: str = "127.0.0.1"
    #: JSON-RPC port (anvil's and Ethereum's customary 8545).
    port: int = Field(default=8545, ge=1, le=65535)
    #: Chain id; the fixed Tracenet dev chain id unless a test needs another.
    chain_id: int = Field(default=DEV_CHAIN_ID, ge=1)
    #: Seconds between blocks; 0 mines one block per transaction as it arrives (automine).
    block_time: int = Field(default=1, ge=0)
    #: Seconds between state dumps to ``<data_dir>/state.json``: the most a crash (SIGKILL) loses.
    state_interval: int = Field(default=2, ge=1)
    #: Unix seconds of the genesis block (first start only); later blocks follow the wall clock
    #: from there. None: now. The demo pins it so its story's dates never expire.
    genesis_timestamp: int | None = Field(default=None, ge=0)
    #: Block gas limit; None keeps anvil's default (30M). Raised by the gateway benchmark so a
    #: one-second block holds a thousand writes.
    gas_limit: int | None = Field(default=None, ge=21_000)
    #: The anvil executable; default ``node_modules/.bin/anvil`` of the repository.
    anvil_bin: Path = Field(default_factory=default_anvil_bin)
    #: Number of funded dev accounts derived from the mnemonic (first start only).
    accounts: int = Field(default=10, ge=0)
    #: Balance of each dev account, in ether (first start only).
    balance_ether: int = Field(default=10_000, ge=0)
    #: BIP-39 mnemonic of the dev accounts; None uses anvil's public "test … junk" mnemonic.
    #: Note: anvil takes it on its command line and prints it in its log (kept 0600).
    mnemonic: SecretStr | None = None
    #: Seconds ``start()`` waits for ``eth_chainId`` to answer before giving up.
    start_timeout: float = Field(default=30.0, gt=0)
    #: Seconds ``stop()`` waits after SIGTERM (while anvil saves its state) before SIGKILL.
    stop_timeout: float = Field(default=30.0, gt=0)

    @property
    def rpc_url(self) -> str:
        """The HTTP JSON-RPC endpoint these settings describe."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"
