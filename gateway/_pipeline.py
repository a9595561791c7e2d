"""The request pipeline: sign with persisted nonces, send, follow to confirmed/rejected, recover.

Only the holder of the signing lease runs it (gateway/_lease.py): every replica accepts writes
into the store, one at a time signs. A replica that takes the lease starts from the store and
the chain (``_bootstrap``); one that loses it (``SigningLeaseLost``) stops its loops at once
and stands by, trying to take it again every ``takeover_interval`` seconds.

Three loops share one ``Dispatcher`` while it holds the lease:

* **sign**: *claims* queued requests in arrival order, giving each the next signer of its unit
  (round-robin) and that signer's next nonce, and commits the claim with the next nonces
  (``claim``) BEFORE signing; signs the batch in a helper process; commits the signed bytes
  and hashes (``save_bytes``) before anything is sent; then sends the batch (one JSON-RPC batch
  of ``eth_sendRawTransaction``). Both commits run under the lease, and each checks every row
  it meant to change did. A claim whose bytes were never saved (a helper or the holder died in
  between) is signed again with the same signer and nonce: no copy of it was ever sent.
* **track**: reads the receipts of every new block (``eth_getBlockReceipts``), matches them to
  requests by hash: status 1 → ``confirmed`` with the decoded events, status 0 → ``rejected``
  with the decoded custom error. Remembers block hashes to notice a chain that went back.
* **reconcile** (at start and every ``resend_after``/2 s): looks up every in-flight transaction
  by hash — mined: finalised from its receipt; pending: left alone; unknown to the node:
  re-sent with the same signed bytes, in nonce order per signer. When the chain lost blocks
  (head below a block we processed, or another hash at that height), requests finalised in the
  lost blocks are re-checked by hash and re-opened if they are gone, then re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Literal

from tracenet import contracts
from tracenet.gateway._chain import Chain
from tracenet.gateway._jsonable import jsonable
from tracenet.gateway._lease import Lease, signing_lease
from tracenet.gateway._models import FINAL, Status, utcnow
from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway._signers import SignerPool, follow_signers
from tracenet.gateway._signing import BatchSigner
from tracenet.gateway._store import Store
from tracenet.gateway._transitions import (
    aware,
    claim,
    decode_receipts,
    mark_submitted,
    reopen,
    requeue,
    save_bytes,
    save_final,
)  # fmt: skip
from tracenet.gateway._views import LedgerViews
from tracenet.gateway.errors import GatewayError, SigningLeaseLost

__all__ = ["Dispatcher", "Role"]

#: What a replica does: ``signing`` (it holds the signing lease), ``standby``, ``starting``.
Role = Literal["starting", "standby", "signing"]

log = logging.getLogger("gateway.pipeline")
_VERIFY_DEPTH = 2048  # blocks of final requests re-checked at start
_SEND_LANES = 4  # JSON-RPC batches of raw transactions in flight at once (signers split)
_FINAL_CHUNK = 256  # finalised requests written per transaction


class Dispatcher:
    def __init__(
        self,
        *,
        store: Store,
        chain: Chain,
        pool: SignerPool,
        views: LedgerViews,
        settings: GatewaySettings,
        chain_id: int,
        addresses: dict[str, str],
        lease: Lease | None = None,
    ) -> None:
        self.store, self.chain, self.pool, self.views = store, chain, pool, views
        self.lease = lease or signing_lease(store.engine, pool.keys)
        #: "starting", "standby" (accepts writes, another replica signs) or "signing".
        self.role: Role = "starting"
        self._unsigned = True  # look for claims without signed bytes before claiming more
        self.settings, self.chain_id, self.addresses = settings, chain_id, addresses
        self._wake = asyncio.Event()
        self._nonces: dict[str, int] = {}
        self._hashes: dict[int, str] = {}
        self._cursor = 0
        self._gas_price = 0
        self._tasks: list[asyncio.Task[None]] = []
        self.ready = asyncio.Event()
        self._ours_lower = {a.lower() for a in pool.keys}
        self._in_hand: set[int] = set()  # signed here, not yet through _send
        self._contract_at = {
            a.lower(): n for n, a in addresses.items() if n in contracts.LEDGER_CONTRACTS
        }
        self.signer = BatchSigner(pool.keys, processes=settings.sign_processes)
        self._registry_head = -1

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        await self.signer.start()
        self._tasks = [
            asyncio.create_task(self._lead(), name="gateway-pipeline"),
            asyncio.create_task(self._forever("signers", self._signers_round), name="signers"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.signer.close()
        await asyncio.to_thread(self.lease.release)  # a standby replica takes over at once

    async def _lead(self) -> None:
        """Take the signing lease (or wait for it), run the pipeline while it is held, stand by
        again when it is lost."""
        failures, told = 0, False
        while True:
            try:
                held = await asyncio.to_thread(self.lease.acquire)
                failures = 0
            except Exception as exc:  # the store is unreachable: no lease, try again
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:
                    log.warning("cannot take the signing lease: %s (retrying)", exc)
                held, told = False, False
            if not held:
                if not told and not failures:
                    log.info("another replica signs; standing by")
                    told = True
                self.role = "standby"
                await asyncio.sleep(self.settings.takeover_interval)
                continue
            told = False
            log.info("took the signing lease for %s", sorted(self.pool.keys))
            try:
                await self._main()
            except SigningLeaseLost as exc:
                log.warning("lost the signing lease (%s); stopped signing, standing by", exc)
            finally:
                self.ready.clear()
                self.role = "standby"
                await asyncio.to_thread(self.lease.release)

    async def _main(self) -> None:
        """One term as the signing replica: state from the store and the chain, then the loops
        until one of them finds the lease lost (every other loop is cancelled at once)."""
        self._nonces, self._hashes, self._in_hand = {}, {}, set()
        self._cursor, self._unsigned = 0, True
        await self._forever("bootstrap", self._bootstrap, once=True)
        self.ready.set()
        self.role = "signing"
        loops = [
            asyncio.create_task(self._forever("sign", self._sign_round)),
            asyncio.create_task(self._forever("track", self._track_round)),
            asyncio.create_task(self._forever("reconcile", self._reconcile_round)),
        ]
        try:
            done, _ = await asyncio.wait(loops, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()  # SigningLeaseLost (the loops retry everything else)
        finally:
            for task in loops:
                task.cancel()
            for task in loops:
                with contextlib.suppress(asyncio.CancelledError, SigningLeaseLost):
                    await task

    async def _signers_round(self) -> None:
        """Follow the registry while running: at each new block, whom every held key acts for
        (a signer revoked on chain is not used for the next signature)."""
        head = await self.chain.block_number()
        if head != self._registry_head:
            await follow_signers(self.views, self.pool)
            self._registry_head = head
        await asyncio.sleep(self.settings.poll_interval)

    async def _forever(
        self, name: str, step: Callable[[], Awaitable[None]], *, once: bool = False
    ) -> None:
        failures = 0
        while True:
            try:
                await step()
                failures = 0
                if once:
                    return
            except (asyncio.CancelledError, SigningLeaseLost):
                raise
            except GatewayError as exc:  # ChainUnavailable above all: wait for the node
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:
                    log.warning("%s: %s (retrying)", name, exc.message)
                await asyncio.sleep(min(self.settings.poll_interval * failures, 2.0))
            except Exception:
                failures += 1
                log.exception("%s round failed (retrying)", name)
                await asyncio.sleep(min(self.settings.poll_interval * failures, 2.0))

    # ---- bootstrap -----------------------------------------------------------------------------

    async def _bootstrap(self) -> None:
        self._gas_price = await self.chain.gas_price()
        stored = await asyncio.to_thread(self.store.nonces)
        for address in self.pool.keys:
            on_chain = await self.chain.nonce(address, "pending")
            self._nonces[address] = max(stored.get(address, 0), on_chain)
        self._cursor = await self.chain.block_number()
        top = await asyncio.to_thread(self.store.max_final_block)
        if top is not None:
            await self._verify_final(max(0, top - _VERIFY_DEPTH))
        await self._reconcile(everything=True)
        log.info("pipeline ready at block %d, nonces %s", self._cursor, self._nonces)

    # ---- sign and send ---------------------------------------------------------------------------

    async def _sign_round(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)
        self._wake.clear()
        sending: asyncio.Task[None] | None = None
        try:
            if self._unsigned:
                sendable = await self._resume_unsigned()
                if sendable:
                    sending = asyncio.create_task(self._send(sendable))
            while claimed := await self._claim():
                sendable = await self._sign_and_save(*claimed)
                try:
                    if sending is not None:  # batches reach the node in order (nonce order)
                        await sending
                except BaseException:
                    self._in_hand.difference_update(seq for seq, _ in sendable)
                    raise
                sending = asyncio.create_task(self._send(sendable))
        finally:
            if sending is not None:
                await sending

    async def _claim(self) -> tuple[Sequence[Any], list[tuple[int, dict[str, Any]]]] | None:
        """Claim the next queued requests under the lease (signer, nonce, status ``signed``,
        committed with the next nonces); None when nothing is queued. Runs every round, so it
        is also how the holder notices its lease is gone."""
        counters = dict(self._nonces)
        now = utcnow()

        def assign(rows: Sequence[Any], stored: dict[str, int]) -> list[tuple[int, dict[str, Any]]]:
            out: list[tuple[int, dict[str, Any]]] = []
            for row in rows:
                try:
                    signer = self.pool.next(row.party_id, row.unit_id)
                except GatewayError as exc:
                    outcome = {"error": exc.error, "code": exc.code, "message": exc.message,
                               "args": jsonable(exc.args_)}  # fmt: skip
                    out.append(
                        (row.seq, {"status": Status.REJECTED, "outcome": outcome, "final_at": now})
                    )
                    continue
                address = signer.address
                nonce = max(counters.get(address, 0), stored.get(address, 0))
                counters[address] = nonce + 1
                out.append(
                    (row.seq, {"status": Status.SIGNED, "signer": address, "nonce": nonce,
                               "signed_at": now})
                )  # fmt: skip
            return out

        rows, out = await self.store.write_leased(
            self.lease, claim, self.settings.batch_size, assign
        )
        for address, next_nonce in counters.items():  # committed: never handed out again
            self._nonces[address] = max(self._nonces.get(address, 0), next_nonce)
        return (rows, out) if rows else None

    async def _sign_and_save(
        self, rows: Sequence[Any], claimed: list[tuple[int, dict[str, Any]]]
    ) -> list[tuple[int, dict[str, Any]]]:
        """Sign the claimed ``rows`` and commit their bytes; what to send. The next batch is
        signed while this one is being sent."""
        by_seq = {row.seq: row for row in rows}
        jobs = [(seq, v, by_seq[seq]) for seq, v in claimed if v["status"] == Status.SIGNED]
        return await self._sign_jobs(jobs)

    async def _sign_jobs(
        self, jobs: Sequence[tuple[int, dict[str, Any], Any]]
    ) -> list[tuple[int, dict[str, Any]]]:
        """Sign each (seq, claim, row with to_address and call_data) with its claim's signer and
        nonce, then save the bytes under the lease. If this fails, the claims stay without bytes
        (``_resume_unsigned`` signs them again with the same nonces)."""
        if not jobs:
            return []
        try:
            signed = await self._sign(jobs)
            await self.store.write_leased(self.lease, save_bytes, signed)
        except BaseException:
            self._unsigned = True
            raise
        self._in_hand.update(seq for seq, _ in signed)  # reconcile leaves these to _send
        return signed

    async def _sign(
        self, jobs: Sequence[tuple[int, dict[str, Any], Any]]
    ) -> list[tuple[int, dict[str, Any]]]:
        """Sign every job in one batch (``BatchSigner``: a helper process)."""
        txs = [
            (v["signer"], {"to": row.to_address, "data": row.call_data, "value": 0,
                           "gas": self.settings.tx_gas, "gasPrice": self._gas_price,
                           "nonce": v["nonce"], "chainId": self.chain_id})
            for _, v, row in jobs
        ]  # fmt: skip
        signed = await self.signer.sign(txs)
        return [
            (seq, {"signer": v["signer"], "nonce": v["nonce"], "raw_tx": "0x" + raw.hex(),
                   "tx_hash": "0x" + tx_hash.hex()})
            for (seq, v, _), (raw, tx_hash) in zip(jobs, signed, strict=True)
        ]  # fmt: skip

    async def _resume_unsigned(self) -> list[tuple[int, dict[str, Any]]]:
        """Claims whose bytes were never saved (a helper, or the previous holder, died between
        claim and save): none of them was ever sent. Each is signed again with its own signer
        and nonce; one whose nonce the chain already used for another transaction goes back to
        the queue (to get a new one)."""
        rows = await asyncio.to_thread(self.store.unsigned)
        rows = [r for r in rows if r.signer in self.pool.keys]
        if not rows:
            self._unsigned = False
            return []
        signers = sorted({r.signer for r in rows})
        used = dict(
            zip(signers, await asyncio.gather(*(self.chain.nonce(a) for a in signers)), strict=True)
        )
        taken = [r for r in rows if r.nonce < used[r.signer]]
        if taken:
            log.warning("%d claims lost their nonce before they were signed; re-queued", len(taken))
            await self.store.write_leased(self.lease, requeue, [(r.seq, None) for r in taken])
        jobs = [(r.seq, {"signer": r.signer, "nonce": r.nonce}, r) for r in rows if r not in taken]
        log.info("signing %d claims whose signed bytes were never saved", len(jobs))
        sendable = await self._sign_jobs(jobs)
        self._unsigned = False
        return sendable

    async def _send(self, items: Sequence[tuple[int, dict[str, Any]]]) -> None:
        try:
            await self._send_all(items)
        finally:
            self._in_hand.difference_update(seq for seq, _ in items)

    async def _send_all(self, items: Sequence[tuple[int, dict[str, Any]]]) -> None:
        if not items:
            return
        # Each signer's transactions stay in nonce order within one JSON-RPC batch; the
        # signers' batches go to the node side by side (it admits them on several threads).
        streams: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for item in items:
            streams.setdefault(str(item[1].get("signer")), []).append(item)
        lanes: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in range(_SEND_LANES)]
        for i, stream in enumerate(streams.values()):
            lanes[i % _SEND_LANES] += stream
        lanes = [lane for lane in lanes if lane]
        answers = await asyncio.gather(
            *(self.chain.send_raw([v["raw_tx"] for _, v in lane]) for lane in lanes)
        )
        accepted = [
            seq
            for lane, results in zip(lanes, answers, strict=True)
            for (seq, _), ok in zip(lane, results, strict=True)
            if ok
        ]
        if len(accepted) < len(items):
            log.warning(
                "node refused %d of %d transactions", len(items) - len(accepted), len(items)
            )
        await self.store.write(mark_submitted, accepted)

    # ---- track ---------------------------------------------------------------------------------

    async def _track_round(self) -> None:
        await asyncio.sleep(self.settings.poll_interval)
        head = await self.chain.block_number()
        if head < self._cursor or await self._cursor_moved():
            await self._rollback(head)
            return
        target = head - (self.settings.confirmations - 1)
        fetch: asyncio.Task[list[dict[str, Any]]] | None = None
        try:
            while self._cursor < target:
                n = self._cursor + 1
                receipts = await (fetch or self.chain.block_receipts(n))
                fetch = None
                if n + 1 <= target:  # the next block's receipts arrive while this one is saved
                    fetch = asyncio.create_task(self.chain.block_receipts(n + 1))
                block_hash = (
                    receipts[0]["blockHash"] if receipts else await self.chain.block_hash(n)
                )
                if block_hash is None:
                    return
                await self._finalize([r for r in receipts if self._ours(r)])
                self._hashes[n] = block_hash
                self._hashes.pop(n - _VERIFY_DEPTH, None)
                self._cursor = n
        finally:
            if fetch is not None:
                fetch.cancel()
                with contextlib.suppress(BaseException):
                    await fetch

    def _ours(self, receipt: dict[str, Any]) -> bool:
        return str(receipt["from"]).lower() in self._ours_lower

    async def _cursor_moved(self) -> bool:
        known = self._hashes.get(self._cursor)
        return known is not None and await self.chain.block_hash(self._cursor) != known

    async def _finalize(self, receipts: Sequence[dict[str, Any]]) -> None:
        if not receipts:
            return
        rows = await asyncio.to_thread(
            self.store.by_hashes, [r["transactionHash"] for r in receipts]
        )
        by_hash = {r.tx_hash: r for r in rows}
        todo = []
        for receipt in receipts:
            row = by_hash.get(receipt["transactionHash"])
            if row is None or row.seq is None or row.tx_hash is None:
                continue
            if row.status in FINAL and row.block_hash == receipt["blockHash"]:
                continue
            todo.append((row, receipt))
        mined = [rc for _, rc in todo if int(rc["status"], 16) == 1]
        decoded = iter(await self.signer.offload_map(decode_receipts, self._ledger_logs(mined)))
        changes: list[tuple[int, str, dict[str, Any]]] = []
        now = utcnow()
        for row, receipt in todo:
            if int(receipt["status"], 16) == 1:
                outcome: dict[str, Any] = {"events": next(decoded)}
                status = Status.CONFIRMED
            else:
                revert = await self.chain.revert_of(receipt)
                outcome = {"error": revert.name or "Unknown", "args": jsonable(revert.error_args)}
                status = Status.REJECTED
            values = {
                "status": status,
                "block_number": int(receipt["blockNumber"], 16),
                "block_hash": receipt["blockHash"],
                "final_at": now,
                "outcome": outcome,
            }
            changes.append((row.seq, row.tx_hash, values))
        # A few hundred rows a transaction: the group commits of new requests (first on the
        # writer thread) get in between, instead of waiting behind a block of thousands.
        for start in range(0, len(changes), _FINAL_CHUNK):
            await self.store.write(save_final, changes[start : start + _FINAL_CHUNK])
        if changes:
            for seq, _, values in changes:
                log.debug(
                    "request %s %s in block %s", seq, values["status"], values["block_number"]
                )
            counts = Counter(str(v["status"]) for _, _, v in changes)
            log.info("finalised %s", dict(counts), extra={"status": "final"})

    def _ledger_logs(self, receipts: Sequence[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
        """Per receipt, its logs emitted by the ledger's contracts, with the contract's name
        (a lower-cased lookup: checksumming every address costs a keccak each)."""
        out = []
        for receipt in receipts:
            logs = []
            for entry in receipt["logs"]:
                name = self._contract_at.get(str(entry["address"]).lower())
                if name is not None:
                    logs.append((name, {k: entry[k] for k in ("address", "topics", "data")}))
            out.append(logs)
        return out

    # ---- reconcile and recover -------------------------------------------------------------------

    async def _reconcile_round(self) -> None:
        await asyncio.sleep(self.settings.resend_after / 2)
        await self._reconcile(everything=False)

    async def _reconcile(self, *, everything: bool) -> None:
        rows = await asyncio.to_thread(self.store.in_flight)
        cutoff = utcnow() - timedelta(seconds=self.settings.resend_after)
        stale = [
            r
            for r in rows
            if everything
            or (r.seq not in self._in_hand and (r.sent_at is None or aware(r.sent_at) < cutoff))
        ]
        if not stale:
            return
        # The signers' nonces are read BEFORE the transactions are looked up: a transaction
        # mined in between is then found by its hash, and never mistaken for one whose nonce
        # went to another transaction (which would sign it again: mined twice).
        signers = sorted({r.signer for r in stale if r.signer})
        chain_nonces = dict(
            zip(signers, await asyncio.gather(*(self.chain.nonce(a) for a in signers)), strict=True)
        )
        found = await self.chain.transactions([r.tx_hash or "" for r in stale])
        mined = [r for r, tx in zip(stale, found, strict=True) if tx and tx.get("blockNumber")]
        missing = [r for r, tx in zip(stale, found, strict=True) if tx is None]
        if mined:
            receipts = await self.chain.receipts([r.tx_hash or "" for r in mined])
            await self._finalize([r for r in receipts if r is not None])
        if not missing:
            return
        replaced = [r for r in missing if (r.nonce or 0) < chain_nonces.get(r.signer or "", 0)]
        resend = [r for r in missing if r not in replaced]
        for address, on_chain in chain_nonces.items():  # someone else used the key
            self._nonces[address] = max(self._nonces.get(address, 0), on_chain)
        if replaced:  # the nonce went to another transaction: sign this one again
            log.warning("%d transactions lost their nonce; re-queued", len(replaced))
            await self.store.write_leased(
                self.lease, requeue, [(r.seq, r.tx_hash) for r in replaced]
            )
            self.wake()
        resend.sort(key=lambda r: (r.signer or "", r.nonce or 0))
        log.info("re-sending %d transactions the node does not know", len(resend))
        await self._send([(r.seq or 0, {"raw_tx": r.raw_tx}) for r in resend])

    async def _rollback(self, head: int) -> None:
        """The chain lost blocks: find where it forks from what we saw, re-open what was lost."""
        known = sorted((n for n in self._hashes if n <= head), reverse=True)
        fork = 0
        if known:
            hashes = await self.chain.block_hashes(known)
            fork = next((n for n, h in zip(known, hashes, strict=True) if h == self._hashes[n]), 0)
        log.warning("chain went back: head %d, last common block %d", head, fork)
        self._hashes = {n: h for n, h in self._hashes.items() if n <= fork}
        self._cursor = fork
        self.views.forget()
        await self._verify_final(fork + 1)
        await self._reconcile(everything=True)

    async def _verify_final(self, from_block: int) -> None:
        rows = await asyncio.to_thread(self.store.final_from_block, from_block)
        if not rows:
            return
        numbers = sorted({r.block_number for r in rows if r.block_number is not None})
        chain_hashes = dict(zip(numbers, await self.chain.block_hashes(numbers), strict=True))
        doubtful = [r for r in rows if chain_hashes.get(r.block_number or -1) != r.block_hash]
        if not doubtful:
            return
        receipts = await self.chain.receipts([r.tx_hash or "" for r in doubtful])
        await self._finalize([r for r in receipts if r is not None])
        lost = [r.seq for r, rc in zip(doubtful, receipts, strict=True) if rc is None]
        if lost:
            log.warning("%d finalised requests were in lost blocks; re-opened", len(lost))
            await self.store.write(reopen, lost)
