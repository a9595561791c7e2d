"""A shipment's or a claim's public reference: the only name the public routes and the buyer's
pages take (issue 25), so that the book cannot be walked by counting up sequential ids.

The reference is 128 bits (32 lowercase hex digits) of SHA-256 over the chain id, the kind, the
id and the hash of the transaction that recorded the operation. It is derived, not stored:
every indexer and the chain-only verifier (``tracenet verify``) compute the same one from the
chain, and no contract or request changes. It cannot be guessed by someone without the chain:
a transaction hash covers its ECDSA signature, which no one can compute without the sender's
key, so the reference carries the 256 unpredictable bits of a hash no outsider has seen.
Whoever reads the chain (a validator operator, a member's gateway reading blocks) can compute
every reference — and can read every event anyway (README, "Who sees what").

``references(record)`` maps every reference of a chain record to its ``(kind, id)``;
``resolve`` answers one, with the same ``ReferenceUnknown`` 404 for a malformed, unknown or
sequential one (nothing tells a caller that a guess was close).
"""

from __future__ import annotations

import hashlib
import re
import threading

from tracenet.contracts import records as R
from tracenet.indexer.errors import NotFoundError
from tracenet.indexer.verifier._record import ChainRecord

__all__ = ["REF_PATTERN", "public_ref", "ref_of", "references", "resolve"]

#: What a public reference looks like: 128 bits as 32 lowercase hex digits.
REF_PATTERN = re.compile(r"^[0-9a-f]{32}$")
_TAG = "tracenet/public-ref/v1"


def public_ref(chain_id: int, kind: str, ident: int, tx_hash: str) -> str:
    """The public reference of claim or shipment ``ident`` recorded in transaction ``tx_hash``."""
    seed = f"{_TAG}:{chain_id}:{kind}:{ident}:{tx_hash.lower()}".encode()
    return hashlib.sha256(seed).hexdigest()[:32]


_cache_lock = threading.Lock()
_cache: dict[int, tuple[ChainRecord, dict[str, tuple[str, int]]]] = {}


def references(record: ChainRecord) -> dict[str, tuple[str, int]]:
    """Every public reference of the record → ``("shipment" | "claim", id)`` (cached per record
    object: the API's chain source gives the same object while the head does not move)."""
    with _cache_lock:
        hit = _cache.get(id(record))
        if hit is not None and hit[0] is record:
            return hit[1]
    refs: dict[str, tuple[str, int]] = {}
    for at, e in record.events:
        if isinstance(e, R.Shipped):
            refs[public_ref(record.chain_id, "shipment", e.shipment_id, at.tx_hash)] = (
                "shipment",
                e.shipment_id,
            )
        elif isinstance(e, R.Claimed):
            refs[public_ref(record.chain_id, "claim", e.claim_id, at.tx_hash)] = (
                "claim",
                e.claim_id,
            )
    with _cache_lock:
        _cache.clear()  # one record at a time: the head moved
        _cache[id(record)] = (record, refs)
    return refs


def ref_of(record: ChainRecord, kind: str, ident: int) -> str | None:
    """The public reference of claim or shipment ``ident``, None if the record has none."""
    return next((r for r, target in references(record).items() if target == (kind, ident)), None)


def resolve(record: ChainRecord, ref: str, kind: str | None = None) -> tuple[str, int]:
    """``(kind, id)`` of public reference ``ref`` (of ``kind`` if given); else ``NotFoundError``
    ``ReferenceUnknown`` — the same for a malformed, an unknown, a sequential or another kind's
    reference."""
    target = references(record).get(ref) if REF_PATTERN.match(ref) else None
    if target is None or (kind is not None and target[0] != kind):
        raise NotFoundError(
            f"no {kind or 'shipment or claim'} has this public reference",
            field="ref",
            error="ReferenceUnknown",
        )
    return target
