"""Sign and send: claim queued requests under the lease, sign them in the helper process, save
the signed bytes, then send them (one JSON-RPC batch per lane of signers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from tracenet.gateway._jsonable import jsonable
from tracenet.gateway.errors import GatewayError
from tracenet.gateway.pipeline._models import Status, utcnow
from tracenet.gateway.pipeline._state import SEND_LANES, PipelineState, log
from tracenet.gateway.pipeline._transitions import claim, mark_submitted, requeue, save_bytes

__all__ = ["Sending"]


class Sending(PipelineState):
    """The **sign** loop (``_sign_round``) and the sends ``Recovering`` re-uses."""

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
        lanes: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in range(SEND_LANES)]
        for i, stream in enumerate(streams.values()):
            lanes[i % SEND_LANES] += stream
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
