"""``tracenet console serve``: a bad setting or a port in use is one line and exit 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest


def serve(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TRACENET_")}
    return subprocess.run(
        [sys.executable, "-m", "tracenet.cli", "console", "serve"],
        env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"TRACENET_CONSOLE_GATEWAYS": "not json"}, "TRACENET_CONSOLE_GATEWAYS as JSON"),
        ({"TRACENET_CONSOLE_PORT": "70000"}, "TRACENET_CONSOLE_PORT"),
    ],
)
def test_a_bad_setting_is_one_line(env: dict[str, str], says: str) -> None:
    done = serve(**env)
    assert done.returncode == 2
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        done = serve(TRACENET_CONSOLE_PORT=str(busy.getsockname()[1]))
    assert done.returncode == 2
    assert "is in use" in done.stderr and len(done.stderr.strip().splitlines()) == 1
