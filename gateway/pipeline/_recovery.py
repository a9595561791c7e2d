"""Reconcile and recover: in-flight transactions looked up by hash (finalised, left pending or
re-sent byte for byte), and what a chain that went back lost re-opened."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tracenet.gateway.pipeline._models import utcnow
from tracenet.gateway.pipeline._sending import Sending
from tracenet.gateway.pipeline._state import log
from tracenet.gateway.pipeline._tracking import Tracking
from tracenet.gateway.pipeline._transitions import aware, reopen, requeue

__all__ = ["Recovering"]


class Recovering(Tracking, Sending):
    """The **reconcile** loop (``_reconcile_round``), the start-up check of final requests and
    the rollback of a chain that went back."""

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
