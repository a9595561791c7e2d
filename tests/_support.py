"""Helpers every test tier and the benchmarks share, defined once (the tests own them): a free
TCP port and polling with a deadline."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

__all__ = ["free_port", "poll", "wait_until"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy (and return that); TimeoutError
    after ``timeout`` seconds naming ``what`` was awaited. Never a bare sleep as synchronisation."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def wait_until(condition: Callable[[], Any], *, timeout: float = 60.0, what: str) -> Any:
    """``poll`` in a test: a timeout fails the test, naming ``what`` was awaited."""
    try:
        return poll(condition, timeout=timeout, what=what)
    except TimeoutError as exc:
        pytest.fail(str(exc))
