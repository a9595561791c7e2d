"""Signed JSON documents (audit reports): an EIP-191 ``personal_sign`` over canonical JSON.

Canonical JSON: keys sorted, no spaces (``separators=(",", ":")``), UTF-8, no NaN. Whoever holds
the key signs (the auditor's gateway, ``tracenet indexer audit --sign``); anyone verifies offline
by recovering the address (the indexer's ``verify_report``), without the key.
"""

from __future__ import annotations

import json
from typing import Any

from tracenet.wallet._signer import Signer

__all__ = ["REPORT_SCHEME", "canonical_json", "sign_report"]

REPORT_SCHEME = "EIP-191 personal_sign over canonical JSON (sorted keys, no spaces, UTF-8)"


def canonical_json(value: Any) -> bytes:
    """The one byte string a report is signed as."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def sign_report(report: dict[str, Any], signer: Signer) -> dict[str, Any]:
    """``{"report": …, "signature": {"signer", "signature", "scheme"}}``."""
    signature = signer.sign_message(canonical_json(report))
    return {
        "report": report,
        "signature": {
            "signer": signer.address,
            "signature": "0x" + signature.hex(),
            "scheme": REPORT_SCHEME,
        },
    }
