"""Whether a process group still runs: the one check the dev chain's stop (``node``) and the
demo's warden use. Standard library only (the warden imports it in a process that must start
in milliseconds)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["group_alive"]


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs. On Linux, exited processes not yet reaped
    (zombies, which hold no port or file) do not count, nor does a zombie thread-group leader
    whose threads have all ended."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            group = int(stat.read_text().rsplit(")", 1)[1].split()[2])  # fields: state ppid pgrp
            if group == pgid and _has_live_task(stat.parent):
                return True
    return False


def _has_live_task(process: Path) -> bool:
    """A zombie thread-group leader can outlive its threads' exit by a moment, fds still open."""
    for stat in process.glob("task/*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if stat.read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                return True
    return False
