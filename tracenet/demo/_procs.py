"""The processes a demo starts: each by PID, in its own session, stopped in reverse order.

Every child runs as the leader of a new session, so a Ctrl-C in the terminal reaches the demo
only; the demo then stops its children itself (SIGTERM to each group, SIGKILL after a grace
period). A demo that cannot (killed with SIGKILL) leaves that to its warden (``_warden.py``), a
small process started first that stops every group it was told of once the demo's end of its
pipe closes. The PIDs are also written to ``pids.json`` in the demo directory, so the next demo
can stop what a killed one left behind should the warden have died too (only processes whose
command line is still what was started).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from tracenet.demo import _warden
from tracenet.demo.errors import DemoError, PortInUseError, ServiceFailedError

__all__ = [
    "Child",
    "Children",
    "Finished",
    "Interrupted",
    "check_ports",
    "on_signal",
    "stop_leftovers",
    "tracenet_argv",
    "wait_until",
]

_GRACE = _warden.GRACE  # seconds a service has to exit after SIGTERM before SIGKILL
_POLL = 0.1


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: stop everything and exit ``128 + signum``. A BaseException,
    so no ``except Exception`` on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_held: list[int] = []  # signals that arrived while a child was being started
_holding = [False]


def on_signal(signum: int, frame: FrameType | None) -> None:
    """The demo's SIGINT and SIGTERM handler: raise :class:`Interrupted`, unless a child is
    being started, in which case once it is recorded (else it could be left running)."""
    if _holding[0]:
        _held.append(signum)
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def _recording() -> Iterator[None]:
    """Hold :class:`Interrupted` back while a child is started and recorded."""
    _holding[0] = True
    try:
        yield
    finally:
        _holding[0] = False
    if _held:
        signum = _held[0]
        _held.clear()
        raise Interrupted(signum)


def tracenet_argv(*args: str) -> list[str]:
    """``tracenet …`` run by this interpreter (the same virtual environment, no PATH lookup);
    ``-P``: the working directory is not on the module path (a demo directory holds ``node/``)."""
    return [sys.executable, "-P", "-m", "tracenet.cli", *args]


def printed_command() -> str:
    """How a person types ``tracenet`` in this terminal: the bare name when the PATH finds this
    virtual environment's command, else its path (relative to the working directory when inside
    it, as after ``make demo``), so every line the demo prints runs as printed."""
    script = Path(sys.executable).parent / "tracenet"
    found = shutil.which("tracenet")
    if found and Path(found).resolve() == script.resolve():
        return "tracenet"
    try:
        return str(script.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(script.absolute())


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


@dataclass(frozen=True)
class Finished:
    """A command run to its end (``Children.run``)."""

    returncode: int
    stdout: str
    stderr: str


class Children:
    """The services one demo started, by PID; ``stop_all`` ends them newest first, ``close``
    lets the warden go."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.logs = directory / "logs"
        self.record = directory / "pids.json"
        self.started: list[Child] = []
        self.warden: subprocess.Popen[bytes] | None = None

    def claim(self) -> None:
        """Record this demo as the directory's owner and start its warden (before any child)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.warden is None:
            self.logs.mkdir(parents=True, exist_ok=True)
            with (self.logs / "warden.log").open("ab") as log, _recording():
                self.warden = subprocess.Popen(
                    [sys.executable, "-I", _warden.__file__],
                    stdin=subprocess.PIPE,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # the terminal's Ctrl-C is not for it
                )
        self._save()

    def watch(self, pgid: int) -> None:
        """Tell the warden of a process group to stop should this demo die first."""
        self._tell(f"+{pgid}")

    def forget(self, pgid: int) -> None:
        """Tell the warden a group has been stopped (its id may be reused)."""
        self._tell(f"-{pgid}")

    def _tell(self, line: str) -> None:
        if self.warden is not None and self.warden.stdin is not None:
            with contextlib.suppress(OSError, ValueError):  # the warden gone: pids.json remains
                self.warden.stdin.write(f"{line}\n".encode())
                self.warden.stdin.flush()

    def close(self) -> None:
        """Let the warden go once everything it watched is stopped (it exits at end-of-file)."""
        warden, self.warden = self.warden, None
        if warden is None:
            return
        with contextlib.suppress(OSError):
            if warden.stdin is not None:
                warden.stdin.close()
        try:
            warden.wait(timeout=_GRACE + 5)
        except subprocess.TimeoutExpired:
            warden.kill()
            warden.wait()

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with log.open("ab") as out, _recording():
            process = subprocess.Popen(
                list(argv),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.directory,
            )
            self.watch(process.pid)
            child = Child(name, list(argv), process, log)
            self.started.append(child)
        self._save()
        return child

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], *, timeout: float, what: str
    ) -> Finished:
        """Run a command to its end, as ``subprocess.run`` would, but in a session of its own
        that the warden watches: interrupted, or with the demo killed, it is stopped too."""
        with _recording():
            process = subprocess.Popen(
                list(argv),
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                cwd=self.directory,
            )
            self.watch(process.pid)
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise DemoError(f"{what} did not finish within {timeout:.0f} s") from None
        finally:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
            self.forget(process.pid)
        return Finished(
            process.returncode, out.decode(errors="replace"), err.decode(errors="replace")
        )

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
            self.forget(child.pid)
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
        warden = {"pid": self.warden.pid if self.warden is not None else None}
        record = {"owner": owner, "warden": warden, "children": entries}
        self.record.write_text(json.dumps(record))


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
