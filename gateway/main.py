"""Builds the gateway: the lifespan that starts store, chain, keys and pipeline, around the HTTP
app of ``api`` (routes, error mapping in ``api/_handlers.py``, limits)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tracenet import contracts
from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway.api._app import PUBLIC_PATHS, http_app
from tracenet.gateway.api._auth import KeyCache
from tracenet.gateway.api._service import Gateway
from tracenet.gateway.errors import ConfigurationError
from tracenet.gateway.operations._registry import Registry
from tracenet.gateway.pipeline._chain import Chain, RpcChain
from tracenet.gateway.pipeline._dispatcher import Dispatcher
from tracenet.gateway.pipeline._lease import hold_sqlite_store
from tracenet.gateway.pipeline._signers import load_signers, unlock_keys
from tracenet.gateway.pipeline._store import Store, make_engine
from tracenet.gateway.pipeline._views import Abi, LedgerViews
from tracenet.wallet import Signer

__all__ = ["PUBLIC_PATHS", "create_app"]


def create_app(
    settings: GatewaySettings | None = None,
    *,
    chain: Chain | None = None,
    signers: Sequence[Signer] | None = None,
    store: Store | None = None,
) -> FastAPI:
    """The gateway app. ``chain``, ``signers`` and ``store`` replace what settings describe."""
    s = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One process per SQLite store: a second gateway on the file is refused here.
        release = hold_sqlite_store(s.database_url if store is None else str(store.engine.url))
        try:
            gw = await _start(s, chain, signers, store)
            app.state.gateway = gw
            await gw.dispatcher.start()
            try:
                yield
            finally:
                await gw.dispatcher.stop()
                if chain is None:
                    await gw.chain.aclose()
                if store is None:
                    gw.store.close()
        finally:
            release()

    return http_app(s, lifespan)


async def _start(
    s: GatewaySettings, chain: Chain | None, signers: Sequence[Signer] | None, store: Store | None
) -> Gateway:
    registry, record = Registry.from_deployment(s.deployment)
    addresses: dict[str, str] = dict(record.get("addresses") or {})
    if not all(k in addresses for k in ("Consortium", "Catalog", "Ledger")):
        raise ConfigurationError(f"{s.deployment}: no ledger addresses")
    # A record written before issue 19 names no Transit: the Ledger created it at its nonce 1.
    addresses.setdefault("Transit", contracts.transit_address(addresses["Ledger"]))
    the_chain = chain or RpcChain(s.rpc_url)
    chain_id = await the_chain.chain_id()
    if chain_id != int(record["chainId"]):
        raise ConfigurationError(f"node is chain {chain_id}, deployment {record['chainId']}")
    views = LedgerViews(the_chain, addresses, ttl=s.view_cache_seconds)
    keys = list(signers) if signers is not None else await asyncio.to_thread(unlock_keys, s)
    pool = await load_signers(views, keys)
    the_store = store or Store(make_engine(s.database_url, synchronous=s.sqlite_synchronous))
    dispatcher = Dispatcher(
        store=the_store, chain=the_chain, pool=pool, views=views, settings=s,
        chain_id=chain_id, addresses=addresses,
    )  # fmt: skip
    abis = {name: Abi(name, addresses[name]) for name in contracts.LEDGER_CONTRACTS}
    gateway = Gateway(
        settings=s, store=the_store, chain=the_chain, views=views, registry=registry, pool=pool,
        dispatcher=dispatcher, keys=KeyCache(the_store), chain_id=chain_id, abis=abis,
    )  # fmt: skip
    await gateway.learn_names()  # display names (``Plant``) beside the registry's keys
    return gateway
