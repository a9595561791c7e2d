"""Certificate states as certification bodies state them (issue 20).

Valid, suspended (no inputs, no custody; back to valid by reinstatement), withdrawn and terminated
(final), expired (by date): each change by the issuing body only, with its effective date (not
before the certificate's last change, not after the block that records it) and a reason. A
certificate number is unique within its scheme. Every case runs on chain and in the model.
"""

from __future__ import annotations

import pytest

from tests import model as m
from tests.factories import (
    C_FLAKE,
    CERT_RECYCLER,
    G_FLAKE,
    P_RECYCLER,
    S_EU,
    S_PLUS,
    START,
    U_RECYCLER,
    U_RESIN,
    YEAR,
    World,
    evidence,
)

T = 1_000_000
STRICT = m.CUSTODY_CERTIFIED


def status(world: World, status: int, *, at: int | None = None, reason: str = "audit") -> None:
    effective = world.now() if at is None else at
    world.ok(
        "set_certificate_status", world.cast.certifier, CERT_RECYCLER, status, effective, reason
    )


def record(world: World) -> tuple[str, str, int, int, int, bytes]:
    return ("record_input", world.cast.recycler, C_FLAKE, T, CERT_RECYCLER, evidence())


def test_a_suspended_certificate_creates_nothing_until_reinstated(world: World) -> None:
    world.ok(*record(world))
    world.travel(START + 86_400)
    suspended_at = START + 3_600  # effective before the block that records it
    status(world, m.CERT_SUSPENDED, at=suspended_at, reason="major non-conformity")
    revert = world.rejects("CertificateNotInForce", *record(world))
    assert revert.error_args == {
        "certificateId": CERT_RECYCLER, "status": m.CERT_SUSPENDED, "since": suspended_at,
    }  # fmt: skip
    reinstated_at = world.now()
    status(world, m.CERT_VALID, at=reinstated_at, reason="corrective action closed")
    world.ok(*record(world))
    view = world.consortium.functions.certificate(CERT_RECYCLER).call()
    assert view[5:7] == (m.CERT_VALID, reinstated_at)


def test_a_suspended_certificate_holds_no_custody(world: World) -> None:
    receipt = world.ok(*record(world))
    tid = world.events(receipt, "InputRecorded")[0]["tokenId"]
    world.send(world.catalog.functions.setSchemeCustody(S_PLUS, STRICT), world.cast.admin)
    world.model.custody[S_PLUS] = STRICT
    status(world, m.CERT_SUSPENDED)
    args = (world.cast.recycler, U_RESIN, G_FLAKE, T, evidence("sd"), [(tid, T)])
    world.rejects("CertificateNotInForce", "ship", *args)
    status(world, m.CERT_VALID, reason="reinstated")
    world.ok("ship", *args)


@pytest.mark.parametrize("final", [m.CERT_WITHDRAWN, m.CERT_TERMINATED])
def test_withdrawn_and_terminated_are_final(world: World, final: int) -> None:
    status(world, m.CERT_SUSPENDED)
    status(world, final, reason="holder left the scheme")
    world.rejects("CertificateNotInForce", *record(world))
    for again in (m.CERT_VALID, m.CERT_SUSPENDED):
        world.rejects(
            "CertificateStatusFinal", "set_certificate_status", world.cast.certifier,
            CERT_RECYCLER, again, world.now(), "reinstate",
        )  # fmt: skip


def test_a_status_change_is_dated_between_the_last_change_and_now(world: World) -> None:
    world.travel(START + 10 * 86_400)
    now = world.now()
    args = ("set_certificate_status", world.cast.certifier, CERT_RECYCLER, m.CERT_SUSPENDED)
    world.rejects("CertificateStatusDate", *args, now + 1, "in the future")
    world.rejects("CertificateStatusDate", *args, START - 1, "before the validity")
    status(world, m.CERT_SUSPENDED, at=START + 5 * 86_400)
    back = ("set_certificate_status", world.cast.certifier, CERT_RECYCLER, m.CERT_VALID)
    revert = world.rejects("CertificateStatusDate", *back, START + 4 * 86_400, "before it")
    assert revert.error_args["earliest"] == START + 5 * 86_400
    world.rejects("CertificateReasonEmpty", *back, world.now(), "")
    world.rejects("CertificateStatusUnchanged", *args, world.now(), "again")
    world.rejects("CertificateStatusUnknown", *args[:3], 4, world.now(), "expired is by date")


def test_only_the_issuing_body_states_a_status(world: World) -> None:
    world.rejects(
        "CertificateUnknown", "set_certificate_status", world.cast.certifier, 99,
        m.CERT_SUSPENDED, world.now(), "audit",
    )  # fmt: skip
    c = world.consortium.functions
    world.send(c.registerParty("Other body", b"\0" * 32, m.ROLE_CERTIFIER), world.cast.admin)
    other = world.w3.eth.accounts[9]
    world.send(c.authorizeSigner(other, 8, 0), world.cast.admin)
    world.model.parties[8] = m.Party(m.ROLE_CERTIFIER)
    world.model.signers[other] = (8, 0)
    world.rejects(
        "CertificateNotIssuer", "set_certificate_status", other, CERT_RECYCLER,
        m.CERT_SUSPENDED, world.now(), "audit",
    )  # fmt: skip


def test_expired_is_by_date(world: World) -> None:
    world.travel(START + 2 * YEAR)
    world.rejects("CertificateNotValid", *record(world))
    view = world.consortium.functions.certificate(CERT_RECYCLER).call()
    assert view[5] == m.CERT_VALID  # the stored status; "expired" is read from the window


def test_a_certificate_number_is_unique_within_its_scheme(world: World) -> None:
    until = START + YEAR
    again = ("register_certificate", world.cast.certifier, P_RECYCLER)
    same = ("ISCC-PLUS-REC-001", START, until, 0, [C_FLAKE], [U_RECYCLER])
    revert = world.rejects("CertificateNumberTaken", *again, S_PLUS, *same)
    assert revert.error_args["existingId"] == CERT_RECYCLER
    world.ok(*again, S_EU, *same)  # another scheme's register
    c = world.consortium.functions
    assert c.certificateByNumber(S_PLUS, "ISCC-PLUS-REC-001").call() == CERT_RECYCLER
    assert c.certificateByNumber(S_PLUS, "ISCC-PLUS-REC-999").call() == 0
