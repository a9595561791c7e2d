"""The processes a demo starts: each by PID, in its own session, stopped in reverse order.

Every child runs as the leader of a new session, so a Ctrl-C in the terminal reaches the demo
only; the demo then stops its children itself (SIGTERM to each group, SIGKILL after a grace
period). The PIDs are also written to ``pids.json`` in the demo directory, so the next demo can
stop what a killed one left behind (only processes whose command line is still what was started).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tracenet.demo.errors import DemoError, PortInUseError, ServiceFailedError

__all__ = ["Child", "Children", "check_ports", "stop_leftovers", "tracenet_argv", "wait_until"]

_GRACE = 10.0  # seconds a service has to exit after SIGTERM before SIGKILL
_POLL = 0.1


def tracenet_argv(*args: str) -> list[str]:
    """``tracenet …`` run by this interpreter (the same virtual environment, no PATH lookup);
    ``-P``: the working directory is not on the module path (a demo directory holds ``node/``)."""
    return [sys.executable, "-P", "-m", "tracenet.cli", *args]


def wait_until(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll ``condition`` until it returns something truthy; DemoError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(_POLL)


def check_ports(ports: Mapping[str, int], host: str = "127.0.0.1") -> None:
    """Every port must be free to bind (as the services will); else one PortInUseError."""
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                raise PortInUseError(name, port) from exc


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text[-lines:])


class Children:
    """The services one demo started, by PID; ``stop_all`` ends them newest first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.logs = directory / "logs"
        self.record = directory / "pids.json"
        self.started: list[Child] = []

    def claim(self) -> None:
        """Record this demo as the directory's owner (before any child starts)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._save()

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                list(argv),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.directory,
            )
        child = Child(name, list(argv), process, log)
        self.started.append(child)
        self._save()
        return child

    def wait_http(self, child: Child, url: str, *, timeout: float = 90.0) -> None:
        """Until ``url`` answers (any status below 500), or the child exits, or the timeout."""

        def up() -> bool:
            if not child.alive():
                raise ServiceFailedError(child.name, child.process.returncode, child.log_tail())
            try:
                return httpx.get(url, timeout=2.0, trust_env=False).status_code < 500
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=timeout, what=f"{child.name} at {url}")

    def check_alive(self) -> None:
        for child in self.started:
            if not child.alive():
                raise ServiceFailedError(child.name, child.process.returncode, child.log_tail())

    def stop_all(self, say: Callable[[str], None] | None = None) -> None:
        """SIGTERM to every child at once (they shut down side by side), then wait for each in
        reverse start order; a child still running after the grace period is killed."""
        children = list(reversed(self.started))
        for child in children:
            _terminate(child.process)
        deadline = time.monotonic() + _GRACE
        for child in children:
            stopped = _reap(child.process, max(0.0, deadline - time.monotonic()))
            if say is not None:
                say(f"stopped {child.name} (pid {child.pid}{'' if stopped else ', killed'})")
        self.started.clear()
        self.record.unlink(missing_ok=True)

    def _save(self) -> None:
        # The command line as /proc shows it once exec'd (a child read now may not be yet).
        entries = [
            {"name": c.name, "pid": c.pid, "cmdline": "".join(f"{a}\0" for a in c.argv)}
            for c in self.started
        ]
        owner = {"pid": os.getpid(), "cmdline": _cmdline(os.getpid())}
        self.record.write_text(json.dumps({"owner": owner, "children": entries}))


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the child's process group, unless it has ended."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)


def _reap(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for a terminated child; SIGKILL its group after ``timeout``. True if it obeyed."""
    try:
        process.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=_GRACE)
        return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _running(entry: dict[str, object]) -> bool:
    """Whether the recorded process still runs the recorded command line (not a reused pid)."""
    cmdline = str(entry.get("cmdline") or "")
    return bool(cmdline) and _cmdline(int(str(entry["pid"]))) == cmdline


def stop_leftovers(directory: Path) -> list[str]:
    """Stop the services a previous demo in ``directory`` left running (killed before it could
    stop them): only PIDs whose command line is still the one recorded. Their names."""
    record = directory / "pids.json"
    try:
        saved = json.loads(record.read_text())
        owner, entries = saved["owner"], saved["children"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if _running(owner) and int(owner["pid"]) != os.getpid():
        raise DemoError(
            f"a demo already runs in {directory} (pid {owner['pid']}): stop it (Ctrl-C), or "
            "start this one with another --dir and --port-base"
        )
    stopped = []
    for entry in entries:
        if not _running(entry):
            continue
        pid, cmdline = int(entry["pid"]), str(entry["cmdline"])
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + _GRACE
            while _cmdline(pid) == cmdline and time.monotonic() < deadline:
                time.sleep(_POLL)
            if _cmdline(pid) == cmdline:
                os.killpg(pid, signal.SIGKILL)
            stopped.append(str(entry["name"]))
    record.unlink(missing_ok=True)
    return stopped
