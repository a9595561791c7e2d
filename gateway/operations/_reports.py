"""Signing an audit report with the auditor's key, where the key is: in this gateway.

An auditor's console (or ERP) fetches a supply audit from the indexer and asks its own gateway to
sign it; the key never leaves the gateway. The gateway signs only for a party that holds the
auditor role and is active now, with a key that acts for that party on chain, and only a report
that names the block it was computed at (``as_of.block_number``: the indexer checks the signer's
role at that block). The signed document is ``wallet.sign_report``'s, the one
``tracenet indexer verify-report`` and the indexer's ``POST /v1/reports/verify`` check.
"""

from __future__ import annotations

import logging
from typing import Any

from tracenet.gateway.errors import RequestRejected
from tracenet.gateway.operations._ops import ROLE_AUDITOR, Context
from tracenet.gateway.operations._ops_admin import acting_party
from tracenet.gateway.operations._principal import Principal
from tracenet.wallet import sign_report

__all__ = ["sign_audit_report"]

log = logging.getLogger("gateway.reports")


async def sign_audit_report(
    *, ctx: Context, who: Principal, report: dict[str, Any]
) -> dict[str, Any]:
    """``{"report", "signature": {"signer", "signature", "scheme"}}`` signed by a key of the
    caller's party; ``AccessRoleMissing`` (403) unless that party is an active auditor."""
    who.require_write()
    as_of = report.get("as_of")
    block = as_of.get("block_number") if isinstance(as_of, dict) else None
    if not isinstance(block, int) or isinstance(block, bool) or block < 0:
        raise RequestRejected(
            "the report names no block (as_of.block_number): the signer's role is checked there",
            error="FieldInvalid", field="report.as_of.block_number",
        )  # fmt: skip
    await acting_party(ctx, who, ROLE_AUDITOR)
    signer = ctx.pool.next(who.party_id, 0)
    document = sign_report(report, signer)
    log.info("signed a report of block %s for party %s with %s", block, who.party_id,
             signer.address)  # fmt: skip
    return document
