"""Signed reports: an EIP-191 (personal_sign) signature over the report's canonical JSON.

Canonical JSON: keys sorted, no spaces (``separators=(",", ":")``), UTF-8, no NaN. Anyone can
verify the signature offline (``verify_report``: recover the address, compare it with the named
signer); ``verify_auditor`` also asks the chain, at the report's block (``asOf.blockNumber``),
whether the signer acted for a registered, active party with the auditor role, and which one.
Signing itself is the wallet's (``wallet.sign_report``), wherever the key is kept.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.address import to_checksum_address

from tracenet.contracts import LedgerHandle, Role
from tracenet.contracts.errors import LedgerRevert
from tracenet.contracts.records import Actor, ActorOfQuery
from tracenet.indexer.errors import SignatureError
from tracenet.wallet import REPORT_SCHEME as SCHEME
from tracenet.wallet import canonical_json, sign_report

__all__ = ["SCHEME", "canonical_json", "sign_report", "verify_auditor", "verify_report"]


def verify_report(document: dict[str, Any]) -> str:
    """The checksummed signer of a signed report; ``SignatureError`` unless it verifies."""
    try:
        report, sig = document["report"], document["signature"]
        claimed = to_checksum_address(sig["signer"])
        message = encode_defunct(primitive=canonical_json(report))
        recovered = Account.recover_message(
            message, signature=bytes.fromhex(sig["signature"].removeprefix("0x"))
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SignatureError(f"not a signed report: {exc}", field="signature") from exc
    if to_checksum_address(recovered) != claimed:
        raise SignatureError(f"signed by {recovered}, not by {claimed}", field="signature")
    return claimed


def verify_auditor(document: dict[str, Any], handle: LedgerHandle) -> tuple[str, Actor]:
    """The signer and its on-chain actor record at the report's block; ``SignatureError``
    (``SignerNotAuditor``) unless it acted for a registered, active auditor party then."""
    signer = verify_report(document)
    try:
        block = int(document["report"]["as_of"]["block_number"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SignatureError(
            "the report names no block (as_of.block_number) to check its signer at",
            field="report",
        ) from exc
    refused = {"signer": signer, "block": block}
    try:
        actor: Actor = handle.read(ActorOfQuery(signer=signer), block)
    except LedgerRevert as exc:
        raise SignatureError(
            f"{signer} was no registered signer at block {block} ({exc.name})",
            field="signature",
            error="SignerNotAuditor",
            args=refused,
        ) from None
    if not actor.active or Role.auditor not in Role(actor.roles):
        why = "suspended" if not actor.active else "not an auditor"
        raise SignatureError(
            f"{signer} acted for party {actor.party_id} at block {block}, which was {why}",
            field="signature",
            error="SignerNotAuditor",
            args={**refused, "party_id": actor.party_id},
        )
    return signer, actor
