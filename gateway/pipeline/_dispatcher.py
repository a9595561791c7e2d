"""The request pipeline: sign with persisted nonces, send, follow to confirmed/rejected, recover.

Only the holder of the signing lease runs it (gateway/pipeline/_lease.py): every replica accepts
writes into the store, one at a time signs. A replica that takes the lease starts from the store and
the chain (``_bootstrap``); one that loses it (``SigningLeaseLost``) stops its loops at once and
stands by, trying to take it again every ``takeover_interval`` seconds.

Three loops share one ``Dispatcher`` while it holds the lease, each a mixin over the state in
``_state`` (``Sending``, ``Tracking``, ``Recovering``):

* **sign** (``_sending``): *claims* queued requests in arrival order, giving each the next signer of
  its unit (round-robin) and that signer's next nonce, and commits the claim with the next nonces
  (``claim``) BEFORE signing; signs the batch in a helper process; commits the signed bytes and
  hashes (``save_bytes``) before anything is sent; then sends the batch (one JSON-RPC batch of
  ``eth_sendRawTransaction``). Both commits run under the lease, and each checks every row it meant
  to change did. A claim whose bytes were never saved (a helper or the holder died in between) is
  signed again with the same signer and nonce: no copy of it was ever sent.
* **track** (``_tracking``): reads the receipts of every new block (``eth_getBlockReceipts``),
  matches them to requests by hash: status 1 → ``confirmed`` with the decoded events, status 0 →
  ``rejected`` with the decoded custom error. Remembers block hashes to notice a chain that went
  back.
* **reconcile** (``_recovery``; at start and every ``resend_after``/2 s): looks up every in-flight
  transaction by hash — mined: finalised from its receipt; pending: left alone; unknown to the node:
  re-sent with the same signed bytes, in nonce order per signer. When the chain lost blocks (head
  below a block we processed, or another hash at that height), requests finalised in the lost blocks
  are re-checked by hash and re-opened if they are gone, then re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from tracenet import contracts
from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway.errors import GatewayError, SigningLeaseLost
from tracenet.gateway.pipeline._chain import Chain
from tracenet.gateway.pipeline._lease import Lease, signing_lease
from tracenet.gateway.pipeline._recovery import Recovering
from tracenet.gateway.pipeline._signers import SignerPool, follow_signers
from tracenet.gateway.pipeline._signing import BatchSigner
from tracenet.gateway.pipeline._state import VERIFY_DEPTH, Role, log
from tracenet.gateway.pipeline._store import Store
from tracenet.gateway.pipeline._views import LedgerViews

__all__ = ["Dispatcher", "Role"]


class Dispatcher(Recovering):
    """The pipeline of one gateway: its loops (``Sending``, ``Tracking``, ``Recovering``) run
    while it holds the signing lease; it stands by while another replica holds it."""

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
            await self._verify_final(max(0, top - VERIFY_DEPTH))
        await self._reconcile(everything=True)
        log.info("pipeline ready at block %d, nonces %s", self._cursor, self._nonces)
