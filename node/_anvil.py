"""The embedded dev chain: one anvil process per data directory, detached from its starter.

Files in ``data_dir``: ``state.json`` (anvil's state; loaded on start, dumped every
``state_interval`` seconds and on SIGTERM), ``state.json.bak`` (copy taken at the last start),
``anvil.log``, ``anvil.pid`` and ``node.json`` (what is running: pid, RPC URL, chain id).

anvil runs as the leader of its own session, so signals go to its whole process group: the npm
``anvil`` is a Node.js wrapper around the native binary, and the group covers both.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from tracenet.kit.procs import group_alive
from tracenet.node._settings import NodeSettings
from tracenet.node.errors import (
    NodeAlreadyRunningError,
    NodeBinaryNotFoundError,
    NodeNotRunningError,
    NodePortInUseError,
    NodeRpcError,
    NodeStartError,
    NodeStartTimeoutError,
    NodeStateCorruptError,
    NodeStopError,
)

__all__ = ["AnvilNode", "NodeStatus", "rpc_call"]

log = logging.getLogger(__name__)

_POLL: Final = 0.05  # seconds between readiness / exit polls
_KILL_WAIT: Final = 5.0  # seconds to wait for the group to vanish after SIGKILL
_LOG_TAIL: Final = 12  # log lines quoted when anvil fails to start
_NO_PROXY: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def rpc_call(url: str, method: str, params: list[Any] | None = None, timeout: float = 2.0) -> Any:
    """One JSON-RPC request (never through an HTTP proxy); the ``result``, or NodeRpcError."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            reply = json.load(response)
    except (OSError, ValueError) as exc:  # URLError, timeouts and bad JSON
        raise NodeRpcError(url, method, str(exc)) from exc
    if "error" in reply:
        raise NodeRpcError(url, method, json.dumps(reply["error"]))
    return reply.get("result")


@dataclass(frozen=True)
class NodeStatus:
    """What ``status()`` found; chain id and block number are None when the node is down."""

    running: bool
    pid: int | None
    rpc_url: str
    chain_id: int | None
    block_number: int | None
    data_dir: str


class AnvilNode:
    """Starts, stops and inspects the anvil of one data directory; also a context manager."""

    def __init__(self, settings: NodeSettings | None = None) -> None:
        self.settings = settings if settings is not None else NodeSettings()
        self.data_dir = self.settings.data_dir.absolute()
        self.state_path = self.data_dir / "state.json"
        self.backup_path = self.data_dir / "state.json.bak"
        self.log_path = self.data_dir / "anvil.log"
        self.pid_path = self.data_dir / "anvil.pid"
        self.runtime_path = self.data_dir / "node.json"

    def __repr__(self) -> str:
        return f"AnvilNode(data_dir={str(self.data_dir)!r}, rpc_url={self.rpc_url!r})"

    # -- queries ---------------------------------------------------------------------------

    @property
    def rpc_url(self) -> str:
        """The running node's endpoint (from ``node.json``), else the configured one."""
        try:
            url = json.loads(self.runtime_path.read_text())["rpc_url"]
        except (OSError, ValueError, KeyError, TypeError):
            return self.settings.rpc_url
        return str(url)

    @property
    def pid(self) -> int | None:
        """Leader pid of the running node's process group, or None when none is running."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _group_alive(pid) else None

    def status(self) -> NodeStatus:
        """Whether the node runs, and if it answers, its chain id and latest block number."""
        pid, url = self.pid, self.rpc_url
        chain_id = block = None
        if pid is not None:
            with contextlib.suppress(NodeRpcError):
                chain_id = int(rpc_call(url, "eth_chainId"), 16)
                block = int(rpc_call(url, "eth_blockNumber"), 16)
        return NodeStatus(pid is not None, pid, url, chain_id, block, str(self.data_dir))

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> NodeStatus:
        """Launch anvil in the background and wait until it answers ``eth_chainId``."""
        s = self.settings
        binary = s.anvil_bin.absolute()
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise NodeBinaryNotFoundError(binary)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        running = self.pid
        if running is not None:
            raise NodeAlreadyRunningError(self.data_dir, running, self.rpc_url)
        self._forget()
        _check_port_free(s.host, s.port)
        self._check_state()

        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        pid = _spawn(binary, self._argv(binary), self.log_path)
        self.pid_path.write_text(f"{pid}\n")
        runtime = {"pid": pid, "rpc_url": s.rpc_url, "chain_id": s.chain_id}
        self.runtime_path.write_text(json.dumps(runtime) + "\n")
        try:
            self._wait_ready(pid, offset)
        except BaseException:
            _signal_group(pid, signal.SIGKILL)
            _wait_gone(pid, _KILL_WAIT)
            self._forget()
            raise
        log.info("anvil started: pid %d, %s, data %s", pid, s.rpc_url, self.data_dir)
        return self.status()

    def stop(self) -> None:
        """SIGTERM (anvil saves its state and exits), then SIGKILL after ``stop_timeout``."""
        pid = self._running_pid()
        _signal_group(pid, signal.SIGTERM)
        if not _wait_gone(pid, self.settings.stop_timeout):
            log.warning(
                "anvil %d ignored SIGTERM for %.0fs; killing it", pid, self.settings.stop_timeout
            )
            self._kill_group(pid)
        self._forget()
        log.info("anvil stopped: pid %d", pid)

    def kill(self) -> None:
        """SIGKILL, as a crash would: the state is what anvil last dumped to ``state.json``."""
        pid = self._running_pid()
        self._kill_group(pid)
        self._forget()
        log.info("anvil killed: pid %d", pid)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.pid is not None:
            self.stop()

    # -- internals ---------------------------------------------------------------------------

    def _argv(self, binary: Path) -> list[str]:
        s = self.settings
        argv = [str(binary), "--host", s.host, "--port", str(s.port)]
        argv += ["--chain-id", str(s.chain_id)]
        # Free gas: zero base fee, zero legacy gas price, no minimum priority fee suggestion.
        argv += ["--base-fee", "0", "--gas-price", "0", "--disable-min-priority-fee"]
        if s.block_time > 0:  # without --block-time anvil mines one block per transaction
            argv += ["--block-time", str(s.block_time)]
        if s.genesis_timestamp is not None:  # the chain's calendar starts there, not now
            argv += ["--timestamp", str(s.genesis_timestamp)]
        if s.gas_limit is not None:  # block gas limit (the gateway benchmark raises it)
            argv += ["--gas-limit", str(s.gas_limit)]
        argv += ["--state", str(self.state_path), "--state-interval", str(s.state_interval)]
        argv += ["--accounts", str(s.accounts), "--balance", str(s.balance_ether)]
        if s.mnemonic is not None:
            argv += ["--mnemonic", s.mnemonic.get_secret_value()]
        return argv

    def _check_state(self) -> None:
        """Refuse a state file cut short by a crash mid-dump; back up a good one."""
        if not self.state_path.exists():
            return
        try:
            with self.state_path.open("rb") as f:
                if not isinstance(json.load(f), dict):
                    raise ValueError("not an object")
        except ValueError as exc:
            backup = self.backup_path if self.backup_path.exists() else None
            raise NodeStateCorruptError(self.state_path, backup) from exc
        tmp = self.backup_path.with_suffix(".tmp")
        shutil.copyfile(self.state_path, tmp)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        tmp.replace(self.backup_path)

    def _wait_ready(self, pid: int, log_offset: int) -> None:
        s = self.settings
        deadline = time.monotonic() + s.start_timeout
        while True:
            exited, code = _reap(pid)
            if not exited and not _group_alive(pid, reap=False):
                exited, code = True, _reap(pid)[1]  # the exit code, if the leader just exited
            if exited:
                tail = _log_tail(self.log_path, log_offset)
                if any("Address already in use" in line for line in tail):
                    raise NodePortInUseError(s.host, s.port, "anvil could not bind it")
                raise NodeStartError("anvil exited during start", returncode=code, log_tail=tail)
            with contextlib.suppress(NodeRpcError):
                answered = int(rpc_call(s.rpc_url, "eth_chainId", timeout=_POLL * 10), 16)
                if answered != s.chain_id:
                    raise NodeStartError(
                        f"{s.rpc_url} answered chain id {answered}, expected {s.chain_id}"
                    )
                return
            if time.monotonic() >= deadline:
                raise NodeStartTimeoutError(
                    f"anvil did not answer at {s.rpc_url} within {s.start_timeout:.0f}s",
                    log_tail=_log_tail(self.log_path, log_offset),
                )
            time.sleep(_POLL)

    def _running_pid(self) -> int:
        pid = self.pid
        if pid is None:
            self._forget()
            raise NodeNotRunningError(self.data_dir)
        return pid

    def _kill_group(self, pid: int) -> None:
        _signal_group(pid, signal.SIGKILL)
        if not _wait_gone(pid, _KILL_WAIT):
            raise NodeStopError(pid)

    def _forget(self) -> None:
        for path in (self.pid_path, self.runtime_path):
            path.unlink(missing_ok=True)


def _check_port_free(host: str, port: int) -> None:
    """Bind host:port the way anvil will (SO_REUSEADDR); failure means someone listens there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise NodePortInUseError(host, port, exc.strerror or str(exc)) from exc


def _spawn(binary: Path, argv: list[str], log_path: Path) -> int:
    """Start argv as a new session (so it outlives its starter); stdout+stderr to log_path."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    defaults = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE}
    kwargs: dict[str, Any] = {"file_actions": actions, "setsigmask": (), "setsigdef": defaults}
    try:
        return os.posix_spawn(binary, argv, dict(os.environ), setsid=True, **kwargs)
    except NotImplementedError:  # no POSIX_SPAWN_SETSID: a new process group still detaches
        return os.posix_spawn(binary, argv, dict(os.environ), setpgroup=0, **kwargs)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _reap(pid: int) -> tuple[bool, int | None]:
    """Collect pid if it is our exited child: (exited, exit code); (False, None) otherwise."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # started by another process: its parent (or init) reaps it
        return False, None
    return (True, os.waitstatus_to_exitcode(status)) if done == pid else (False, None)


def _group_alive(pgid: int, *, reap: bool = True) -> bool:
    """Whether any process of the group still runs; on Linux, exited-but-unreaped ones do not."""
    if reap:
        _reap(pgid)
    return group_alive(pgid)


def _wait_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _group_alive(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)
    _reap(pgid)
    return True


def _log_tail(path: Path, offset: int) -> list[str]:
    try:
        with path.open("rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-_LOG_TAIL:]
