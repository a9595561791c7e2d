"""Signing (and decoding) batches in a forked helper process, off the event loop's GIL.

A signature through ``wallet.Signer`` (eth-account) costs about 1.2 ms of CPU; at hundreds of
writes per second, in the server's process, that CPU holds the GIL the event loop needs to
answer requests. ``BatchSigner`` hands each batch to a helper process instead.

The helper is *forked* once, at start: it inherits the unlocked ``Signer`` objects from the
parent's memory. Keys are never pickled, sent through a pipe or written anywhere (``LocalSigner``
refuses to be pickled); only transaction dicts go in and signed bytes come out. Where ``fork``
does not exist, or with ``sign_processes=0``, batches are signed on a thread instead.

The helper also decodes the events of mined blocks (``offload``): about 0.3 ms of CPU a receipt.
A helper dies with the gateway however the gateway dies (``_die_with_parent``).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from tracenet.wallet import Signer

__all__ = ["BatchSigner"]

log = logging.getLogger("gateway.signing")

A = TypeVar("A")
R = TypeVar("R")
Job = tuple[str, dict[str, Any]]  # (signer address, transaction)

_INHERITED: dict[str, Signer] = {}  # filled before the fork; the helper signs with these


_PR_SET_PDEATHSIG = 1
_LIFELINE: list[int] = []  # [read end, write end] of the pipe the helpers watch


def _lifeline() -> tuple[int, int]:
    """A pipe whose write end only the gateway holds: when the gateway dies, however it dies
    (SIGKILL included), the kernel closes it and every helper's read returns end-of-file."""
    if not _LIFELINE:
        _LIFELINE.extend(os.pipe())
    return _LIFELINE[0], _LIFELINE[1]


def _die_with_parent(parent: int, read_end: int, write_end: int) -> None:
    """The helper holds unlocked keys: it must not outlive the gateway. Two guards: on Linux
    the kernel SIGKILLs it when the parent exits (``prctl(PR_SET_PDEATHSIG)``); everywhere, a
    thread blocks on the lifeline pipe and ends the process at end-of-file."""
    os.close(write_end)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while os.read(read_end, 1):
            pass
        os._exit(0)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the guards were in place
        os._exit(0)


def _in_helper(parent: int, read_end: int, write_end: int) -> None:
    """The helper ignores the terminal's signals, never writes to the parent's wakeup fd, and
    dies with the gateway."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent, read_end, write_end)


def _sign_all(signers: Mapping[str, Signer], jobs: Sequence[Job]) -> list[tuple[bytes, bytes]]:
    out = []
    for address, tx in jobs:
        signed = signers[address].sign_transaction(tx)
        out.append((signed.raw_transaction, signed.hash))
    return out


def _sign_inherited(jobs: Sequence[Job]) -> list[tuple[bytes, bytes]]:
    return _sign_all(_INHERITED, jobs)


class BatchSigner:
    """``await sign(jobs)`` → (raw transaction, hash) per job, in order."""

    def __init__(self, signers: Mapping[str, Signer], *, processes: int) -> None:
        self._signers = dict(signers)
        self._processes = processes if "fork" in multiprocessing.get_all_start_methods() else 0
        self._pool: ProcessPoolExecutor | None = None

    async def start(self) -> None:
        """Fork the helpers now (not in the middle of a burst), and check they answer."""
        if self._processes > 0:
            _INHERITED.update(self._signers)
            self._pool = ProcessPoolExecutor(
                self._processes, mp_context=multiprocessing.get_context("fork"),
                initializer=_in_helper, initargs=(os.getpid(), *_lifeline()),
            )  # fmt: skip
            await asyncio.get_running_loop().run_in_executor(self._pool, _sign_inherited, [])

    async def _restart(self, broken: ProcessPoolExecutor) -> None:
        """Fork new helpers in place of a pool whose helper died (once, however many callers
        saw it break)."""
        if self._pool is broken:
            log.warning("a helper process died; forking a new one")
            self.close()
            await self.start()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def offload(self, fn: Callable[[A], R], arg: A) -> R:
        """``fn(arg)`` in a helper (CPU-bound work: decoding a block's events); ``fn`` must be
        a module-level function, ``arg`` and its result picklable."""
        if self._pool is None:
            return fn(arg)
        loop, pool = asyncio.get_running_loop(), self._pool
        try:
            return await loop.run_in_executor(pool, fn, arg)
        except BrokenProcessPool:
            await self._restart(pool)
            raise

    async def offload_map(self, fn: Callable[[list[A]], list[R]], items: list[A]) -> list[R]:
        """``fn(items)`` with ``items`` split over the helpers (``fn`` maps item by item)."""
        if self._pool is None or len(items) < 2 * self._processes:
            return await self.offload(fn, items)
        size = -(-len(items) // self._processes)
        parts = await asyncio.gather(
            *(self.offload(fn, items[i : i + size]) for i in range(0, len(items), size))
        )
        return [r for part in parts for r in part]

    async def sign(self, jobs: Sequence[Job]) -> list[tuple[bytes, bytes]]:
        if not jobs:
            return []
        if self._pool is None:
            return await asyncio.to_thread(_sign_all, self._signers, jobs)
        loop, pool = asyncio.get_running_loop(), self._pool
        chunks = [list(jobs[i :: self._processes]) for i in range(self._processes)]
        try:
            parts = await asyncio.gather(
                *(loop.run_in_executor(pool, _sign_inherited, c) for c in chunks if c)
            )
        except BrokenProcessPool:
            await self._restart(pool)
            raise
        out: list[tuple[bytes, bytes]] = [(b"", b"")] * len(jobs)
        for i, part in enumerate(parts):
            out[i :: self._processes] = part
        return out
