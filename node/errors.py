"""Errors of the ``node`` package: one root, subclasses that carry structured fields.

::

    NodeError                       root; ``code``, ``field`` and ``retryable`` on every error
    ├── NodeBinaryNotFoundError     no executable anvil at the configured path (path)
    ├── NodePortInUseError          something already listens on host:port (host, port)
    ├── NodeAlreadyRunningError     a node already runs for this data directory (pid, rpc_url)
    ├── NodeNotRunningError         no node runs for this data directory
    ├── NodeStateCorruptError       the state file is not valid JSON (path, backup)
    ├── NodeStartError              anvil exited before it answered (returncode, log_tail)
    │   └── NodeStartTimeoutError   anvil did not answer within the timeout (retryable)
    ├── NodeStopError               the process group survived SIGKILL (pid)
    ├── NodeRpcError                a JSON-RPC call failed or returned an error (retryable)
    ├── DeployConfigError           the consortium config is invalid (field names where)
    └── DeployError                 a bootstrap transaction failed (step, revert name and args)

``code`` is stable (``node.<problem>``) and meant for machines; the message is for people.
``retryable`` says whether the same call, unchanged, may succeed later.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tracenet.kit.errors import TracenetError

__all__ = [
    "DeployConfigError",
    "DeployError",
    "NodeAlreadyRunningError",
    "NodeBinaryNotFoundError",
    "NodeError",
    "NodeNotRunningError",
    "NodePortInUseError",
    "NodeRpcError",
    "NodeStartError",
    "NodeStartTimeoutError",
    "NodeStateCorruptError",
    "NodeStopError",
]


class NodeError(TracenetError):
    """Root of every error raised by the ``node`` package."""

    code: str = "node.error"
    retryable: bool = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        #: The setting or argument at fault, if one is (``port``, ``anvil_bin``, ``data_dir``).
        self.field = field


class NodeBinaryNotFoundError(NodeError):
    """The configured anvil executable does not exist or is not executable."""

    code = "node.binary_not_found"

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"anvil not found at {path} (or not executable); run `make setup` "
            "(or `npm ci` in the repository root), or set TRACENET_NODE_ANVIL_BIN",
            field="anvil_bin",
        )
        self.path = path


class NodePortInUseError(NodeError):
    """Another process already listens on the configured host and port."""

    code = "node.port_in_use"

    def __init__(self, host: str, port: int, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"port {port} on {host} is already in use{extra}; stop whatever listens there "
            "or choose another port (--port / TRACENET_NODE_PORT)",
            field="port",
        )
        self.host = host
        self.port = port


class NodeAlreadyRunningError(NodeError):
    """A node started from this data directory is still running."""

    code = "node.already_running"

    def __init__(self, data_dir: Path, pid: int, rpc_url: str | None) -> None:
        where = f" at {rpc_url}" if rpc_url else ""
        super().__init__(
            f"a node is already running for {data_dir} (pid {pid}{where}); "
            "stop it first with `tracenet node down`",
            field="data_dir",
        )
        self.data_dir = data_dir
        self.pid = pid
        self.rpc_url = rpc_url


class NodeNotRunningError(NodeError):
    """No node runs for this data directory."""

    code = "node.not_running"

    def __init__(self, data_dir: Path) -> None:
        super().__init__(f"no node is running for {data_dir}", field="data_dir")
        self.data_dir = data_dir


class NodeStateCorruptError(NodeError):
    """The saved chain state is not valid JSON, typically cut short by a kill during a dump."""

    code = "node.state_corrupt"

    def __init__(self, path: Path, backup: Path | None) -> None:
        hint = (
            f"copy {backup} (the state as of the previous start) over it"
            if backup is not None
            else "delete it to start a fresh chain"
        )
        super().__init__(
            f"state file {path} is incomplete or not JSON (was the node killed while it was "
            f"saving?); {hint}",
            field="data_dir",
        )
        self.path = path
        self.backup = backup


class NodeStartError(NodeError):
    """anvil exited before it answered JSON-RPC; ``log_tail`` holds the last lines it logged."""

    code = "node.start_failed"

    def __init__(
        self, message: str, *, returncode: int | None = None, log_tail: Sequence[str] = ()
    ) -> None:
        self.returncode = returncode
        self.log_tail = tuple(log_tail)
        quoted = "".join(f"\n  | {line}" for line in self.log_tail)
        super().__init__(message + (f"; last log lines:{quoted}" if quoted else ""))


class NodeStartTimeoutError(NodeStartError):
    """anvil is running but did not answer ``eth_chainId`` within the start timeout."""

    code = "node.start_timeout"
    retryable = True


class NodeStopError(NodeError):
    """The node's process group was still alive after SIGTERM and SIGKILL."""

    code = "node.stop_failed"

    def __init__(self, pid: int) -> None:
        super().__init__(f"node process group {pid} did not exit after SIGKILL")
        self.pid = pid


class NodeRpcError(NodeError):
    """A JSON-RPC request to the node failed at the transport or returned an error object."""

    code = "node.rpc"
    retryable = True

    def __init__(self, url: str, method: str, detail: str) -> None:
        super().__init__(f"{method} at {url} failed: {detail}")
        self.url = url
        self.method = method


class DeployConfigError(NodeError):
    """The consortium config file is unreadable or breaks a rule; ``field`` says where."""

    code = "node.deploy_config_invalid"


class DeployError(NodeError):
    """A bootstrap step failed on chain; ``step`` names it, ``revert`` is the decoded error."""

    code = "node.deploy_failed"

    def __init__(self, step: str, revert: str) -> None:
        super().__init__(f"deploy step '{step}' failed: {revert}", field=step)
        self.step = step
        self.revert = revert
