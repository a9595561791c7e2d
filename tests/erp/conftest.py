"""Imports run against a live gateway (uvicorn in a thread) on the gateway tests' eth-tester
world; ``tracenet import`` runs as a subprocess, so a test can SIGKILL it midway."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import World
from tests.gateway.live import Live, serve
from tracenet.wallet import LocalSigner


@pytest.fixture
def live(
    world: World,
    _world_session: World,
    world_keys: list[LocalSigner],
    tmp_path: Path,
) -> Iterator[Live]:
    with serve(world, world_keys, tmp_path) as gateway:
        yield gateway


def import_env(live: Live, tmp_path: Path, party: int) -> dict[str, str]:
    key_file = tmp_path / f"key-{party}"
    key_file.write_text(live.key(party))
    key_file.chmod(0o600)
    return {
        **os.environ,
        "TRACENET_IMPORT_GATEWAY_URL": live.base,
        "TRACENET_IMPORT_API_KEY_FILE": str(key_file),
        "TRACENET_IMPORT_POLL_INTERVAL": "0.05",
    }


def tracenet(*args: str, env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracenet.cli", *args],
        env=env, capture_output=True, text=True, timeout=600, check=False, **kw,
    )  # fmt: skip


def start(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tracenet.cli", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
