"""Helpers every test tier shares, defined once: a free TCP port and polling with a deadline."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["free_port", "wait_until"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], Any], *, timeout: float = 60.0, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy (and return that); fail the test
    after ``timeout`` seconds naming ``what`` was awaited. Never a bare sleep as synchronisation."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
