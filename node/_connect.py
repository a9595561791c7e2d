"""``connect``: a web3 client for any Tracenet chain, the embedded anvil or a Besu QBFT network.

The one implementation is ``contracts.connect`` (the ledger SDK's JSON-RPC module); ``node``
re-exports it where deploy and network commands have always found it.
"""

from __future__ import annotations

from tracenet.contracts._rpc import connect

__all__ = ["connect"]
