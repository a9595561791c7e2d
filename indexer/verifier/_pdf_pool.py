"""Uploaded PDFs read in a bounded pool of worker processes, off the event loop.

``await pool.extract(data)`` gives a document's text, read by one of at most ``workers``
processes (``_pdf_worker.py``, started on first need and kept for the next documents), each
document within the budget of ``PdfLimits``. At most ``queue`` more documents wait for a worker;
past that ``PoolBusy`` is raised at once (the API answers 503 with Retry-After), so a flood of
uploads holds neither memory nor the event loop, and the other routes keep their pace: the
reading happens in other processes, the event loop only passes bytes.

A worker that overruns its CPU budget answers ``cpuSeconds`` itself; one that does not answer
within ``wall_seconds`` of wall-clock time, dies, or whose caller is cancelled (the client hung
up: the API cancels the read) is killed at once and replaced by the next document, so
abandoned work stops. A worker that stays silent past ``wall_seconds`` (ten times the CPU
budget, at least ten seconds more: a loaded machine stretches wall-clock time) is killed too.
Usable from any event loop (TestClient runs each app in its own), and from several: the
bookkeeping is a plain lock. No worker outlives its pool.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import struct
import subprocess
import sys
import threading
import weakref
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracenet.indexer.verifier._pdf_worker import (
    PdfLimits,
    PdfTooComplex,
    PdfUnreadable,
    limits_argument,
)
from tracenet.kit.errors import TracenetError

__all__ = ["PdfPool", "PoolBusy", "PoolStats"]

_WORKER = Path(__file__).with_name("_pdf_worker.py")


class PoolBusy(TracenetError, RuntimeError):
    """Every worker is reading and the queue is full: try again in a moment."""


@dataclass
class PoolStats:
    """What the pool did since it started (for tests and benchmarks)."""

    documents: int = 0
    killed: int = 0  # workers killed: over the wall-clock budget, dead, or abandoned
    abandoned: int = 0  # reads cancelled by their caller (the client left)
    busy: int = 0  # refused with PoolBusy
    worker_cpu_seconds: float = 0.0  # CPU the workers spent on documents (and killed ones)
    reading: int = 0  # documents being read now
    cpu: list[float] = field(default_factory=list)  # per document, as the worker measured


class _Worker:
    def __init__(self, limits: PdfLimits, generation: int) -> None:
        self.generation = generation
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(_WORKER), limits_argument(limits)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self.ready = False
        self.buffer = bytearray()
        os.set_blocking(self.stdout_fd, False)

    @property
    def stdout_fd(self) -> int:
        assert self.process.stdout is not None
        return self.process.stdout.fileno()

    def frame(self) -> bytes | None:
        """One whole frame out of what was read, if there is one."""
        if len(self.buffer) < 4:
            return None
        (size,) = struct.unpack(">I", self.buffer[:4])
        if len(self.buffer) < 4 + size:
            return None
        raw = bytes(self.buffer[4 : 4 + size])
        del self.buffer[: 4 + size]
        return raw

    def kill(self) -> float:
        """Kills the process; the CPU seconds it had used."""
        self.process.kill()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()
        try:
            _pid, _status, usage = os.wait4(self.process.pid, 0)
        except ChildProcessError:
            return 0.0
        self.process.returncode = -9
        return float(usage.ru_utime + usage.ru_stime)


class PdfPool:
    """At most ``workers`` documents read at once, ``queue`` more waiting."""

    def __init__(
        self,
        limits: PdfLimits,
        *,
        workers: int = 2,
        queue: int = 16,
        wall_seconds: float | None = None,
        start_seconds: float = 60.0,
    ) -> None:
        self.limits = limits
        self.workers = workers
        self.queue = queue
        #: A worker silent this long on one document is killed (its CPU timer did not stop it).
        self.wall_seconds = wall_seconds or max(10 * limits.cpu_seconds, limits.cpu_seconds + 10)
        self.start_seconds = start_seconds
        self.stats = PoolStats()
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._generation = 0  # close() starts a new one: older workers stop when returned
        self._alive: set[_Worker] = set()  # every worker started, for the finalizer
        weakref.finalize(self, _stop_all, self._alive)
        self._running = 0
        self._waiting: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()
        self._granted: set[asyncio.Future[None]] = set()

    # -- slots ----------------------------------------------------------------------------

    async def _acquire(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._running < self.workers and not self._waiting:
                self._running += 1
                return
            if len(self._waiting) >= self.queue:
                self.stats.busy += 1
                raise PoolBusy(f"{self.workers} documents are being read, {self.queue} wait")
            future: asyncio.Future[None] = loop.create_future()
            self._waiting.append((loop, future))
        try:
            await future  # the releasing task hands its slot over
        except asyncio.CancelledError:
            with self._lock:
                granted = future in self._granted
                self._granted.discard(future)
                if (loop, future) in self._waiting:
                    self._waiting.remove((loop, future))
            if granted:
                self._release()  # handed over as we were cancelled: pass it on
            raise
        with self._lock:
            self._granted.discard(future)

    def _release(self) -> None:
        with self._lock:
            while self._waiting:
                loop, future = self._waiting.popleft()
                if not future.done():
                    self._granted.add(future)
                    loop.call_soon_threadsafe(_hand_over, future)
                    return
            self._running -= 1

    def _worker(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.process.poll() is None:
                    return worker
                self._alive.discard(worker)
                self._account(worker.kill())
            worker = _Worker(self.limits, self._generation)
            self._alive.add(worker)
            return worker

    def _kill(self, worker: _Worker) -> None:
        with self._lock:
            self._alive.discard(worker)
        self._account(worker.kill())

    def _account(self, cpu: float) -> None:
        self.stats.worker_cpu_seconds += cpu

    # -- reading --------------------------------------------------------------------------

    async def extract(self, data: bytes) -> str:
        """The document's text; ``PdfTooComplex``, ``PdfUnreadable`` or ``PoolBusy``."""
        await self._acquire()
        worker: _Worker | None = None
        try:
            worker = self._worker()
            with self._lock:
                self._busy.add(worker)
            self.stats.reading += 1
            if not worker.ready:
                await self._receive(worker, self.start_seconds)
                worker.ready = True
            await asyncio.get_running_loop().run_in_executor(None, _send, worker, data)
            answer = await self._receive(worker, self.wall_seconds)
        except BaseException as exc:
            if worker is not None:
                self.stats.killed += 1
                self._kill(worker)
            if isinstance(exc, asyncio.CancelledError):
                self.stats.abandoned += 1
            if isinstance(exc, TimeoutError):
                raise PdfTooComplex(
                    "cpuSeconds", self.limits.cpu_seconds, None,
                    f"reading the PDF takes more than {self.limits.cpu_seconds:g} s of CPU",
                ) from exc  # fmt: skip
            if isinstance(exc, EOFError | OSError):
                raise PdfTooComplex(
                    "memoryBytes", self.limits.memory_bytes, None,
                    "the reader stopped on this PDF (it needed more memory than "
                    f"{self.limits.memory_bytes} bytes, or crashed)",
                ) from exc  # fmt: skip
            raise
        else:
            with self._lock:
                current = worker.generation == self._generation
                if current:
                    self._idle.append(worker)
            if not current:
                self._kill(worker)
        finally:
            if worker is not None:
                self.stats.reading -= 1
                with self._lock:
                    self._busy.discard(worker)
            self._release()
        self.stats.documents += 1
        cpu = float(answer.get("cpu", 0.0))
        self.stats.cpu.append(cpu)
        self._account(cpu)
        if "text" in answer:
            return str(answer["text"])
        if "unreadable" in answer:
            raise PdfUnreadable(str(answer["unreadable"]))
        raise PdfTooComplex(
            str(answer["limit"]), answer["max"], answer.get("found"), str(answer["message"])
        )

    async def _receive(self, worker: _Worker, seconds: float) -> dict[str, Any]:
        """The worker's next answer, read on this loop as it arrives."""
        loop = asyncio.get_running_loop()
        arrived: asyncio.Future[bytes] = loop.create_future()
        fd = worker.stdout_fd

        def readable() -> None:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            except OSError as exc:
                if not arrived.done():
                    arrived.set_exception(exc)
                return
            if not chunk:
                if not arrived.done():
                    arrived.set_exception(EOFError("the PDF worker stopped"))
                return
            worker.buffer += chunk
            raw = worker.frame()
            if raw is not None and not arrived.done():
                arrived.set_result(raw)

        loop.add_reader(fd, readable)
        try:
            async with asyncio.timeout(seconds):
                raw = await arrived
        finally:
            loop.remove_reader(fd)
        answer: dict[str, Any] = json.loads(raw)
        return answer

    def pids(self) -> list[int]:
        """The worker processes alive now, idle or reading."""
        with self._lock:
            return [w.process.pid for w in (*self._idle, *self._busy)]

    def busy_pids(self) -> list[int]:
        """The worker processes reading a document now."""
        with self._lock:
            return [w.process.pid for w in self._busy]

    def close(self) -> None:
        """Stops every idle worker (one reading is stopped when its document ends); the next
        document starts a new one (an app may be started again)."""
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, []
        for worker in idle:
            self._kill(worker)


def _stop_all(workers: set[_Worker]) -> None:
    """The pool is gone (or the interpreter stops): no worker outlives it."""
    for worker in list(workers):
        worker.kill()
    workers.clear()


def _hand_over(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _send(worker: _Worker, data: bytes) -> None:
    stdin = worker.process.stdin
    assert stdin is not None
    stdin.write(struct.pack(">I", len(data)) + data)
    stdin.flush()


def children_cpu_seconds() -> float:
    """CPU of every child process this one has waited for (killed workers included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
