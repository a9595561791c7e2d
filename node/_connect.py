"""``connect``: a web3 client for any Tracenet chain, the embedded anvil or a Besu QBFT network.

QBFT (like Clique) packs its validator list and seals into the block header's ``extraData``, which
is longer than the 32 bytes web3.py accepts by default; the proof-of-authority middleware strips it
so that blocks can be read. On anvil it changes nothing.
"""

from __future__ import annotations

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

__all__ = ["connect"]


def connect(rpc_url: str, *, timeout: float = 30.0) -> Web3:
    """A synchronous web3 client for ``rpc_url`` that reads QBFT block headers."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, name="qbft_extra_data", layer=0)
    return w3
