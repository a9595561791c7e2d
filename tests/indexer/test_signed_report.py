"""A signed audit report proves an auditor signed it: the signer must have acted for a registered,
active party with the auditor role at the report's block. A report re-signed by a random key, by
a member's key, or by an auditor suspended at that block is refused with ``SignerNotAuditor``."""

from __future__ import annotations

import pytest
from eth_account import Account
from sqlalchemy import Engine

from tests.factories import C_FLAKE, P_AUDITOR, P_RECYCLER, World
from tests.indexer.test_reports import Q1, flakes_to_resin
from tracenet.indexer import Follower, SignatureError
from tracenet.indexer.api._reports_class import supply_audit
from tracenet.indexer.api._signing import sign_report, verify_auditor
from tracenet.wallet import LocalSigner


def _audit(world: World, follower: Follower, engine: Engine) -> dict[str, object]:
    follower.catch_up()
    with engine.connect() as conn:
        return supply_audit(conn, class_id=C_FLAKE, period=Q1)


def _signer_of(world: World, party: int) -> LocalSigner:
    signer = LocalSigner(Account.create())
    c = world.handle.consortium.functions
    world.send(c.authorizeSigner(signer.address, party, 0), world.cast.admin)
    return signer


def test_only_an_active_auditor_at_the_reports_block_signs_a_report(
    world: World, follower: Follower, engine: Engine
) -> None:
    flakes_to_resin(world)
    auditor = _signer_of(world, P_AUDITOR)
    member = _signer_of(world, P_RECYCLER)
    report = _audit(world, follower, engine)

    signer, actor = verify_auditor(sign_report(report, auditor), world.handle)
    assert (signer, actor.party_id) == (auditor.address, P_AUDITOR)

    for who, why in [(LocalSigner(Account.create()), "no registered signer"), (member, "not an")]:
        with pytest.raises(SignatureError) as refused:
            verify_auditor(sign_report(report, who), world.handle)
        assert refused.value.error == "SignerNotAuditor" and why in refused.value.message
        assert refused.value.code == "TN-IX-400-02"

    world.send(world.handle.consortium.functions.suspendParty(P_AUDITOR), world.cast.admin)
    later = _audit(world, follower, engine)
    with pytest.raises(SignatureError, match="suspended"):
        verify_auditor(sign_report(later, auditor), world.handle)
    # The first report was signed while the auditor was active: it still holds.
    assert verify_auditor(sign_report(report, auditor), world.handle)[1].party_id == P_AUDITOR

    tampered = sign_report(report, auditor)
    tampered["report"]["reconciles"] = False  # type: ignore[index]
    with pytest.raises(SignatureError) as bad:
        verify_auditor(tampered, world.handle)
    assert bad.value.error == "SignatureInvalid"
