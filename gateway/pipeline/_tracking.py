"""Track: the receipts of every new block, matched to requests by hash and finalised
(``confirmed`` with the decoded events, ``rejected`` with the decoded custom error)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

from tracenet.gateway._jsonable import jsonable
from tracenet.gateway.pipeline._models import FINAL, Status, utcnow
from tracenet.gateway.pipeline._state import FINAL_CHUNK, VERIFY_DEPTH, PipelineState, log
from tracenet.gateway.pipeline._transitions import decode_receipts, save_final

__all__ = ["Tracking"]


class Tracking(PipelineState):
    """The **track** loop (``_track_round``) and ``_finalize``, which every path to a final
    status goes through."""

    async def _rollback(self, head: int) -> None:
        """The chain lost blocks (``Recovering`` re-opens what was lost)."""
        raise NotImplementedError

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
                self._hashes.pop(n - VERIFY_DEPTH, None)
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
        for start in range(0, len(changes), FINAL_CHUNK):
            await self.store.write(save_final, changes[start : start + FINAL_CHUNK])
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
