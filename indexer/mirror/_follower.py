"""The follower: catch-up in adaptive log ranges, head following, reorg detection and rollback.

One ``step``: read the checkpoint; if the chain no longer has the checkpoint's hash, find the
newest window block whose hash the chain still has and roll back to it; otherwise read the next
range of logs (halving it when the node refuses, growing it back after successes), check that
every log and header belongs to one chain linked to the checkpoint, and write the range and the
new checkpoint in one transaction. A kill at any moment leaves the last committed checkpoint.

Catching up (``catch_up``, ``run``), three stages overlap: the next range's logs are fetched
while this one is decoded, and a range wholly below the unfinalised window is written by a writer
thread while the next is decoded (one write in flight; the next step waits for it before it
writes, and a step that reaches the window or the head writes itself). Ranges are sized to about
``_TARGET_LOGS`` logs, so a dense chain still makes several ranges to overlap.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine, select, update

from tracenet.contracts import Deployment
from tracenet.indexer._settings import IndexerSettings
from tracenet.indexer.errors import (
    ChainReadError,
    IndexerError,
    MirrorMismatchError,
    RangeTooLargeError,
    ReorgTooDeepError,
)
from tracenet.indexer.mirror._chain import ChainReader, Header
from tracenet.indexer.mirror._decode import EventDecoder, RawLog
from tracenet.indexer.mirror._project import Batch, project
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._store import create_schema, rollback_to, write_batch
from tracenet.indexer.mirror._tables import Block, Cursor

__all__ = ["Follower", "StepResult"]

log = logging.getLogger(__name__)

_GROW_AFTER = 8  # successful ranges before a halved range doubles again
_FIRST_RANGE = 64  # blocks of the first range (then sized by the logs found)
_TARGET_LOGS = 5_000  # logs per range while catching up


@dataclass(frozen=True)
class StepResult:
    """What one step did: blocks and events written, or the block rolled back to."""

    blocks: int = 0
    events: int = 0
    rolled_back_to: int | None = None
    head: int = 0
    checkpoint: int = 0


class Follower:
    """Mirrors one deployment's events into one database."""

    def __init__(
        self, engine: Engine, reader: ChainReader, deployment: Deployment, settings: IndexerSettings
    ) -> None:
        self.engine = engine
        self.reader = reader
        self.deployment = deployment
        self.settings = settings
        self.decoder = EventDecoder(deployment.addresses)
        self.addresses = sorted(self.decoder.addresses.values())
        self.range = min(settings.max_block_range, _FIRST_RANGE)
        self._refused = settings.max_block_range + 1  # the smallest range the node refused
        self._successes = 0
        # A range below the unfinalised window, written while the next is decoded (catch-up).
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer")
        self._writing: Future[None] | None = None
        self._written: tuple[int, str] | None = None  # the checkpoint once it is written
        self._pipelined = False
        # The next range's logs, fetched while this range is decoded and written (catch-up).
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
        self._prefetch: tuple[int, int, Future[list[RawLog]]] | None = None
        self._stopped = False  # the cursor records a stop (cleared by the next good step)

    # ---- checkpoint ----------------------------------------------------------------------------

    def init(self) -> None:
        """Creates the schema and the checkpoint (just below the deployment block) if missing."""
        create_schema(self.engine)
        d = self.deployment
        ledger = d.addresses["Ledger"]
        if self.reader.chain_id() != d.chain_id:
            raise MirrorMismatchError(f"the node is not chain {d.chain_id}", field="chain_id")
        with self.engine.begin() as conn:
            row = conn.execute(select(table(Cursor))).first()
            if row is not None:
                if row.chain_id != d.chain_id or row.ledger != ledger:
                    raise MirrorMismatchError(
                        f"this database mirrors {row.ledger} on chain {row.chain_id}",
                        field="ledger",
                    )
                self._stopped = row.stopped_code is not None
                return
            start = d.block_number
            before = (
                self.reader.headers([start - 1])[start - 1] if start > 0 else Header(-1, "", "", 0)
            )
            conn.execute(
                table(Cursor).insert(),
                {
                    "id": 1,
                    "chain_id": d.chain_id,
                    "ledger": ledger,
                    "start_block": start,
                    "block_number": before.number,
                    "block_hash": before.hash,
                    "addresses": dict(sorted(d.addresses.items())),
                },
            )
            conn.execute(
                table(Block).insert(),
                {
                    "number": before.number,
                    "hash": before.hash,
                    "parent_hash": before.parent_hash,
                    "timestamp": before.timestamp,
                },
            )

    def checkpoint(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(table(Cursor).c.block_number, table(Cursor).c.block_hash)
            ).one()
        return int(row[0]), str(row[1])

    # ---- one step --------------------------------------------------------------------------

    def step(self) -> StepResult:
        """One step (see the module's docstring). An error that stops the follower for good (a
        reorg below the window, a corrupt log: not retryable) is first recorded on the cursor,
        so the read API tells every caller the mirror is stopped (``stop_of``); the next step
        that succeeds (the chain has the checkpoint again, or ``--reset``) clears it."""
        try:
            result = self._step()
        except IndexerError as exc:
            if not exc.retryable:
                self._record_stop(exc)
            raise
        if self._stopped:
            self._record_stop(None)
        return result

    def _record_stop(self, exc: IndexerError | None) -> None:
        # The range in flight, if any, lands first; the stop is recorded all the same.
        with contextlib.suppress(IndexerError):
            self.drain()
        block = exc.details.get("block") if exc is not None else None
        values = {
            "stopped_code": exc.code if exc else None,
            "stopped_error": exc.error if exc else None,
            "stopped_block": int(block) if isinstance(block, int) else None,
            "stopped_message": exc.message if exc else None,
            "stopped_at": int(time.time()) if exc else None,
        }
        with self.engine.begin() as conn:
            conn.execute(update(table(Cursor)).where(table(Cursor).c.id == 1).values(**values))
        self._stopped = exc is not None
        if exc is not None:
            log.error("stopped: %s %s (block %s)", exc.code, exc.message, block)

    def _step(self) -> StepResult:
        number, hash_ = self._written or self.checkpoint()
        head = self.reader.head()
        if self._writing is not None:  # ranges far below the window: no reorg reaches them
            current = self.reader.headers([number]).get(number)
            if current is None or current.hash != hash_:
                self.drain()
                return StepResult(head=head, checkpoint=number)  # the next step sees the reorg
            ancestor = None
        else:
            ancestor = self._ancestor(number, hash_, head)
        if ancestor is not None:
            with self.engine.begin() as conn:
                rollback_to(conn, ancestor)
            log.warning("reorg: rolled back from block %d to %d", number, ancestor.number)
            return StepResult(rolled_back_to=ancestor.number, head=head, checkpoint=ancestor.number)
        if number >= head:
            return StepResult(head=head, checkpoint=number)
        first = number + 1
        last = min(head, first + self.range - 1)
        try:
            logs = self._logs(first, last)
        except RangeTooLargeError:
            if self.range == 1:
                raise
            self._refused = min(self._refused, self.range)
            self.range = max(1, self.range // 2)
            self._successes = 0
            log.info("eth_getLogs range refused: now %d blocks", self.range)
            return StepResult(head=head, checkpoint=number)
        self._fit(last - number, len(logs))
        if last < head:  # catching up: fetch the next range meanwhile
            upto = min(head, last + self.range)
            future = self._pool.submit(self.reader.logs, last + 1, upto, self.addresses)
            self._prefetch = (last + 1, upto, future)
        window_from = max(first, head - self.settings.reorg_window + 1)
        wanted = {first, last} | set(range(window_from, last + 1))
        wanted |= {lg.block_number for lg in logs if lg.timestamp is None}
        headers = self.reader.headers(sorted(wanted))
        if set(wanted) - set(headers):
            raise ChainReadError("the node lost blocks while we read them", field="block")
        if headers[first].parent_hash != hash_ and number >= 0:
            return StepResult(head=head, checkpoint=number)  # a reorg under us: next step sees it
        window = [headers[n] for n in range(window_from, last + 1)]
        linked = all(b.parent_hash == a.hash for a, b in itertools.pairwise(window))
        consistent = all(
            lg.block_hash == headers[lg.block_number].hash
            for lg in logs
            if lg.block_number in headers
        )
        if not (linked and consistent):
            return StepResult(head=head, checkpoint=number)
        stamps = {n: h.timestamp for n, h in headers.items()}
        stamps |= {lg.block_number: lg.timestamp for lg in logs if lg.timestamp is not None}
        events = self.decoder.decode_all(logs, stamps)
        batch = project(self.deployment.chain_id, events)
        keep_from = min(head - self.settings.reorg_window + 1, last)
        write = (batch, (number, hash_), headers[last], window, keep_from)
        self.drain()
        if self._pipelined and last < head and not window:
            self._writing = self._writer.submit(self._write, *write)
            self._written = (last, headers[last].hash)
        else:
            self._write(*write)
        return StepResult(blocks=last - number, events=len(events), head=head, checkpoint=last)

    def _write(
        self,
        batch: Batch,
        previous: tuple[int, str],
        checkpoint: Header,
        window: list[Header],
        keep_from: int,
    ) -> None:
        with self.engine.begin() as conn:
            write_batch(
                conn,
                batch,
                previous=previous,
                checkpoint=checkpoint,
                window=window,
                keep_from=keep_from,
            )

    def drain(self) -> None:
        """Waits for the range being written (raises what its write raised)."""
        writing, self._writing = self._writing, None
        try:
            if writing is not None:
                writing.result()
        finally:
            self._written = None

    def _logs(self, first: int, last: int) -> list[RawLog]:
        """This range's logs: the prefetched ones if they are exactly this range."""
        prefetched, self._prefetch = self._prefetch, None
        if prefetched is not None and prefetched[:2] == (first, last):
            return prefetched[2].result()
        if prefetched is not None:
            prefetched[2].cancel()
        return self.reader.logs(first, last, self.addresses)

    def close(self) -> None:
        """Stops the prefetch and writer threads (a range being written is written)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._writer.shutdown(wait=True)

    def _fit(self, blocks: int, logs: int) -> None:
        """Sizes the next range to about ``_TARGET_LOGS`` logs, below what the node refused."""
        if logs > _TARGET_LOGS:
            self.range = max(1, blocks * _TARGET_LOGS // logs)
            self._successes = 0
        elif logs < _TARGET_LOGS // 4 and self.range * 2 < self._refused:
            self.range = min(self.settings.max_block_range, self.range * 2)
        else:
            self._grow()

    def _grow(self) -> None:
        self._successes += 1
        if self._successes >= _GROW_AFTER and self.range < self.settings.max_block_range:
            self.range = min(self.settings.max_block_range, self.range * 2)
            self._successes = 0

    def _ancestor(self, number: int, hash_: str, head: int) -> Header | None:
        """None if the chain still has the checkpoint; else the newest common block."""
        if number < 0:
            return None
        if number <= head:
            current = self.reader.headers([number]).get(number)
            if current is not None and current.hash == hash_:
                return None
        bt = table(Block)
        with self.engine.connect() as conn:
            known = conn.execute(
                select(bt.c.number, bt.c.hash, bt.c.parent_hash, bt.c.timestamp)
                .where(bt.c.number <= min(number, head))
                .order_by(bt.c.number.desc())
            ).all()
        chain = self.reader.headers([int(r.number) for r in known if r.number >= 0])
        for r in known:
            if r.number < 0 or (r.number in chain and chain[r.number].hash == r.hash):
                return Header(int(r.number), r.hash, r.parent_hash, int(r.timestamp))
        raise ReorgTooDeepError(
            f"no block of the last {self.settings.reorg_window} matches the chain: "
            "rebuild the mirror with `tracenet indexer run --reset`",
            block=number,
        )

    # ---- loops -----------------------------------------------------------------------------

    def catch_up(self) -> StepResult:
        """Steps until the checkpoint is the head seen at the last step."""
        self._pipelined = True
        try:
            while True:
                result = self.step()
                if result.rolled_back_to is None and result.checkpoint >= result.head:
                    return result
        finally:
            self._pipelined = False
            self.drain()

    def run(self, stop: threading.Event | None = None) -> None:
        """Follows the chain until ``stop`` is set; retryable errors wait and try again."""
        stop = stop or threading.Event()
        self._pipelined = True
        try:
            self._follow(stop)
        finally:
            self._pipelined = False
            self.drain()

    def _follow(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                result = self.step()
            except ChainReadError as exc:
                log.warning("%s (will retry)", exc.message)
                self.drain()
                stop.wait(self.settings.poll_interval * 5)
                continue
            if result.rolled_back_to is None and result.checkpoint >= result.head:
                stop.wait(self.settings.poll_interval)
            elif result.events:
                log.info("block %d: %d events", result.checkpoint, result.events)
