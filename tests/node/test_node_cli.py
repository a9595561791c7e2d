"""``tracenet node up|down`` failures: one line on standard error, exit 1, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.node.test_anvil import free_port, wait_until
from tracenet.node import AnvilNode, NodeSettings


def _tracenet(
    *argv: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracenet.cli", *argv],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_up_on_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _tracenet("node", "up", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    expected = f"tracenet node: error: port {port} on 127.0.0.1 is already in use"
    assert done.stderr.startswith(expected)
    assert not (tmp_path / ".tracenet" / "node" / "anvil.pid").exists()


def test_an_anvil_that_exits_at_start_is_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "fake-anvil"
    fake.write_text("#!/bin/sh\necho starting\necho 'error: unexpected argument' >&2\nexit 2\n")
    fake.chmod(0o700)
    env = {"TRACENET_NODE_ANVIL_BIN": str(fake)}
    done = _tracenet("node", "up", "--port", str(free_port()), cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("anvil said: error: unexpected argument")


def _live_members(pgid: int) -> list[int]:
    """Pids of the group's processes that have not exited (zombie and dead states excluded)."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(group) == pgid and state not in ("Z", "X"):
            live.append(int(stat.parent.name))
    return live


@pytest.mark.integration
def test_down_stops_the_process_group_by_its_pid(tmp_path: Path) -> None:
    port = str(free_port())
    up = _tracenet("node", "up", "--port", port, "--block-time", "1", cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    node = AnvilNode(NodeSettings(data_dir=tmp_path / ".tracenet" / "node"))
    pid = int(node.pid_path.read_text())
    assert node.pid == pid and os.getpgid(pid) == pid  # a group of its own, led by anvil
    done = _tracenet("node", "down", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    wait_until(lambda: node.pid is None, what="the group to be gone")
    assert _live_members(pid) == []  # exited; zombies an init that does not reap may keep
    assert not node.pid_path.exists() and node.state_path.exists()
