"""Errors of the ``contracts`` package: one root, subclasses that carry structured fields.

::

    TracenetContractsError            root; ``retryable`` says whether trying again can help
    ├── ToolchainError                no usable solc 0.8.28, or the wrong version answered
    ├── SourceResolutionError         an import names a file that does not exist (importer, path)
    ├── CompilerError                 the compiler reported errors (messages, each with file/line)
    ├── ArtifactError
    │   ├── ArtifactNotFoundError     no committed artifact of that name (name)
    │   └── StaleArtifactsError       committed artifacts differ from a fresh compile
    ├── DeploymentError               a deployment record that does not fit the chain it is used on
    ├── RpcError                      the node answered a JSON-RPC call with an error (method, code)
    ├── RpcUnavailable                the node could not be reached (retryable; url, timed_out)
    │   └── RpcLoginRefused           Besu's /login refused the URL's account (not retryable)
    └── LedgerRevert                  a call or transaction reverted (name, error_args, tx_hash)
        └── UnknownRevert             the revert data matches no known error (or is empty)

A revert is deterministic: the same call against the same state reverts again, so
``LedgerRevert.retryable`` is false; retry only after something on chain changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracenet.kit.errors import TracenetError

__all__ = [
    "ArtifactError",
    "ArtifactNotFoundError",
    "CompilerError",
    "CompilerMessage",
    "DeploymentError",
    "LedgerRevert",
    "RpcError",
    "RpcLoginRefused",
    "RpcUnavailable",
    "SourceResolutionError",
    "StaleArtifactsError",
    "ToolchainError",
    "TracenetContractsError",
    "UnknownRevert",
]


class TracenetContractsError(TracenetError):
    """Root of every error raised by the ``contracts`` package."""

    retryable: bool = False


class ToolchainError(TracenetContractsError):
    """No usable Solidity compiler, or one that reports a version other than the pinned one."""


class SourceResolutionError(TracenetContractsError):
    """A Solidity import that resolves to no file."""

    def __init__(self, importer: str, path: str, resolved: str) -> None:
        super().__init__(f"{importer}: cannot import {path!r} (looked for {resolved})")
        self.importer = importer
        self.path = path
        self.resolved = resolved


@dataclass(frozen=True)
class CompilerMessage:
    """One error or warning from the compiler, located by source unit name and 1-based line."""

    severity: str
    type: str
    message: str
    file: str | None
    line: int | None
    formatted: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file else ""
        return f"{where}{self.type}: {self.message}"


class CompilerError(TracenetContractsError):
    """The compiler reported at least one error; ``messages`` holds the errors, in its order."""

    def __init__(self, messages: Sequence[CompilerMessage]) -> None:
        self.messages = tuple(messages)
        lines = "\n".join(f"  {m}" for m in self.messages)
        super().__init__(f"solc reported {len(self.messages)} error(s):\n{lines}")


class ArtifactError(TracenetContractsError):
    """Something is wrong with the committed build artifacts."""


class ArtifactNotFoundError(ArtifactError, LookupError):
    """No committed artifact of that contract name."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        super().__init__(f"no artifact {name!r}; have: {', '.join(available) or 'none'}")
        self.name = name
        self.available = tuple(available)


class StaleArtifactsError(ArtifactError):
    """Committed artifacts that differ from a fresh compile (rebuild and commit them)."""

    def __init__(
        self, stale: Sequence[str], missing: Sequence[str] = (), extra: Sequence[str] = ()
    ) -> None:
        self.stale = tuple(stale)
        self.missing = tuple(missing)
        self.extra = tuple(extra)
        parts = [
            f"{label}: {', '.join(names)}"
            for label, names in (
                ("stale", self.stale),
                ("missing", self.missing),
                ("unexpected", self.extra),
            )
            if names
        ]
        super().__init__(
            "build artifacts are out of date ("
            + "; ".join(parts)
            + "); run `tracenet contracts build` and commit contracts/build"
        )


class DeploymentError(TracenetContractsError):
    """A deployment that failed, or a record of one that does not match the chain it is used on."""


class RpcError(TracenetContractsError):
    """The node answered a JSON-RPC call with an error object (``code``, ``message``, ``data``:
    for a reverted ``eth_call`` the revert data). The same call gets the same answer."""

    def __init__(self, method: str, error: Any) -> None:
        error = error if isinstance(error, Mapping) else {"message": str(error)}
        self.method = method
        self.code = error.get("code")
        self.error_message = str(error.get("message", ""))
        self.data = error.get("data")
        self.error = dict(error)
        super().__init__(f"{method}: {self.error_message} (code {self.code})")


class RpcUnavailable(TracenetContractsError):
    """The node could not be reached, or answered with something that is not JSON-RPC, after
    the client's retries. Trying again later can help."""

    retryable = True

    def __init__(self, url: str, reason: str, *, timed_out: bool = False) -> None:
        self.url = url
        self.reason = reason
        self.timed_out = timed_out
        super().__init__(f"node at {url}: {reason}")


class RpcLoginRefused(RpcUnavailable):
    """Besu's ``/login`` refused the account the RPC URL names (``user``): a wrong password, an
    account the node's credentials file does not list, or a node without authentication.
    Trying again with the same password fails the same way."""

    retryable = False

    def __init__(self, url: str, user: str, status: int) -> None:
        super().__init__(
            url, f"login as {user!r} refused (HTTP {status}): check the account's password"
        )
        self.user = user
        self.status = status


class LedgerRevert(TracenetContractsError):
    """A contract call or transaction reverted with the custom error ``name(**error_args)``.

    The arguments are ``error_args``, not ``args``: ``BaseException.args`` is the message tuple.
    """

    def __init__(
        self,
        name: str,
        args: Mapping[str, Any],
        *,
        tx_hash: str | None = None,
        data: bytes = b"",
    ) -> None:
        self.name = name
        self.error_args = dict(args)
        self.tx_hash = tx_hash
        self.data = data
        shown = ", ".join(f"{k}={v!r}" for k, v in self.error_args.items())
        where = f" in {tx_hash}" if tx_hash else ""
        super().__init__(f"reverted with {name}({shown}){where}")


class UnknownRevert(LedgerRevert):
    """A revert whose data matches no error of any artifact (or carries no data at all)."""

    def __init__(self, data: bytes, *, reason: str = "", tx_hash: str | None = None) -> None:
        super().__init__("", {}, tx_hash=tx_hash, data=data)
        self.reason = reason
        shown = "0x" + data.hex() if data else "no data"
        where = f" in {tx_hash}" if tx_hash else ""
        detail = f": {reason}" if reason else ""
        Exception.__init__(self, f"reverted with undecodable data ({shown}){where}{detail}")
