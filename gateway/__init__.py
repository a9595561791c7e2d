"""The Tracenet gateway: each party's HTTP door to the ledger (FastAPI, versioned under /v1).

    from tracenet.gateway import GatewaySettings, create_app

    app = create_app(GatewaySettings(rpc_url=..., deployment=...))

A write is validated, stored durably (202 + request id), then signed through a
``wallet.Signer`` with a persisted nonce, sent, and followed until it is ``confirmed`` (block,
decoded events) or ``rejected`` (decoded custom error). ``tracenet gateway serve|keys`` runs it
from the command line. Error codes: gateway/ERRORS.md.
"""

from tracenet.gateway._settings import GatewaySettings
from tracenet.gateway.api._auth import Principal, hash_key, new_key
from tracenet.gateway.errors import (
    CODES,
    AuthError,
    BodyError,
    ChainUnavailable,
    ConfigurationError,
    ErrorCode,
    GatewayError,
    IdempotencyConflict,
    NotFound,
    RequestRejected,
)
from tracenet.gateway.main import create_app
from tracenet.gateway.pipeline._chain import Chain, RpcChain
from tracenet.gateway.pipeline._models import ApiKey, Request, RequestPublic, Status
from tracenet.gateway.pipeline._store import Store, make_engine
from tracenet.gateway.pipeline._web3chain import Web3Chain

__all__ = [
    "CODES",
    "ApiKey",
    "AuthError",
    "BodyError",
    "Chain",
    "ChainUnavailable",
    "ConfigurationError",
    "ErrorCode",
    "GatewayError",
    "GatewaySettings",
    "IdempotencyConflict",
    "NotFound",
    "Principal",
    "Request",
    "RequestPublic",
    "RequestRejected",
    "RpcChain",
    "Status",
    "Store",
    "Web3Chain",
    "create_app",
    "hash_key",
    "make_engine",
    "new_key",
]
