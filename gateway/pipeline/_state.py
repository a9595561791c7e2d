"""What the pipeline's loops share: the signing replica's state, held by one ``Dispatcher``.

The loops are written as mixins over this state, one room each: ``_sending`` (claim, sign, save,
send), ``_tracking`` (receipts of new blocks) and ``_recovery`` (reconcile, chain going back);
``_dispatcher`` runs them under the signing lease.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway.pipeline._chain import Chain
from tracenet.gateway.pipeline._lease import Lease
from tracenet.gateway.pipeline._signers import SignerPool
from tracenet.gateway.pipeline._signing import BatchSigner
from tracenet.gateway.pipeline._store import Store
from tracenet.gateway.pipeline._views import LedgerViews

__all__ = ["FINAL_CHUNK", "SEND_LANES", "VERIFY_DEPTH", "PipelineState", "Role", "log"]

#: What a replica does: ``signing`` (it holds the signing lease), ``standby``, ``starting``.
Role = Literal["starting", "standby", "signing"]

log = logging.getLogger("gateway.pipeline")
VERIFY_DEPTH = 2048  # blocks of final requests re-checked at start
SEND_LANES = 4  # JSON-RPC batches of raw transactions in flight at once (signers split)
FINAL_CHUNK = 256  # finalised requests written per transaction


class PipelineState:
    """The state the loops share (set in ``Dispatcher.__init__`` and at each term's start)."""

    store: Store
    chain: Chain
    pool: SignerPool
    views: LedgerViews
    lease: Lease
    settings: GatewaySettings
    chain_id: int
    addresses: dict[str, str]
    signer: BatchSigner
    #: "starting", "standby" (accepts writes, another replica signs) or "signing".
    role: Role
    ready: asyncio.Event
    _wake: asyncio.Event
    _unsigned: bool  # look for claims without signed bytes before claiming more
    _nonces: dict[str, int]  # next nonce per signer
    _hashes: dict[int, str]  # block hashes seen, to notice a chain that went back
    _cursor: int  # last block whose receipts were processed
    _gas_price: int
    _ours_lower: set[str]
    _in_hand: set[int]  # signed here, not yet through _send
    _contract_at: dict[str, str]

    def wake(self) -> None:
        self._wake.set()
