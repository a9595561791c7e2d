"""The demo's warden: stops the demo's services when the demo dies, however it dies.

A demo stops its services itself on the way out (Ctrl-C, SIGTERM, an error). A demo killed with
SIGKILL (or by the out-of-memory killer) cannot, and its services, each the leader of a session
of its own, would run on as orphans holding their ports. So the first thing a demo starts is
this small process, in a session of its own, reading the demo's end of a pipe on its standard
input: ``+PGID`` is a service's process group to watch, ``-PGID`` one the demo has stopped
itself. When the pipe reaches end-of-file (the kernel closes the demo's end when the demo exits,
SIGKILL included) it sends SIGTERM to every group still watched, waits up to ``GRACE`` seconds
for them to end, then sends SIGKILL to what is left, and exits.

Why a process and not ``prctl(PR_SET_PDEATHSIG)`` in each child: the death signal reaches the
child only (anvil's npm wrapper, not the native anvil under it), fires when the *thread* that
forked the child ends rather than the process, and exists on Linux only; a process group catches
a service's own children too, and a pipe's end-of-file works on every POSIX system.

Run as a script by path (``python -I _warden.py``), so it starts in milliseconds: it imports the
standard library and ``tracenet.kit.procs`` only (which imports nothing else of Tracenet).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterable

from tracenet.kit.procs import group_alive

__all__ = ["GRACE", "group_alive", "main", "stop_groups"]

GRACE = 10.0  # seconds the services have to end after SIGTERM before SIGKILL
_POLL = 0.1


def _signal(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop_groups(groups: Iterable[int], grace: float = GRACE) -> list[int]:
    """SIGTERM to each group, newest first; SIGKILL to those still running after ``grace``
    seconds. The groups that had to be killed."""
    pending = [g for g in reversed(list(groups)) if group_alive(g)]
    for pgid in pending:
        _signal(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pending and time.monotonic() < deadline:
        time.sleep(_POLL)
        pending = [g for g in pending if group_alive(g)]
    for pgid in pending:
        _signal(pgid, signal.SIGKILL)
    return pending


def main() -> int:
    # The terminal's signals are the demo's to handle: the warden ends only at end-of-file.
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    watched: dict[int, None] = {}  # insertion-ordered: stopped newest first
    for line in sys.stdin.buffer:
        text = line.decode("ascii", errors="replace").strip()
        with contextlib.suppress(ValueError):
            if text.startswith("+"):
                watched[int(text[1:])] = None
            elif text.startswith("-"):
                watched.pop(int(text[1:]), None)
    stop_groups(watched)
    return 0


if __name__ == "__main__":
    sys.exit(main())
