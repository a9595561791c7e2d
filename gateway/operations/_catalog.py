"""The catalog of ledger writes: one row per write a party makes at its units.

Everything else follows from a row, nothing restates it:

- the route ``POST /v1/{kind}`` (gateway/api/routes/ledger.py adds one per row, with the row's
  summary, body model and the documented write responses);
- the kind of ``POST /v1/batch`` items (``kind`` is the row's ``kind``, the same body, planner
  and stored operation as the single route);
- what OpenAPI publishes per operation: ``x-tracenet-kind`` (the batch kind) and
  ``x-tracenet-roles`` (the roles of which any one lets a party make the write; an empty list:
  any party). The console reads its forms' list of writes and its role map from them;
- the tests: every row has its access test (tests/gateway/test_catalog.py), its console form
  (tests/console) and its ERP import kind or a documented "not importable" mark (tests/erp).

A row's ``roles`` are the roles its planner checks (``acting_unit(..., role)``); the access test
of every row holds the two together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tracenet.contracts import Role
from tracenet.gateway.operations import _bodies as bodies
from tracenet.gateway.operations import _ops_admin as certification
from tracenet.gateway.operations import _plans as plans
from tracenet.gateway.operations import _transit as transit
from tracenet.gateway.operations._ops import Context, Plan
from tracenet.gateway.operations._principal import Principal

__all__ = ["BY_KIND", "CERTIFICATION_BATCH", "WRITES", "Planner", "Write", "roles_extension"]

#: ``planner(context, caller, body)``: the checks before signing, then the call to sign.
Planner = Callable[[Context, Principal, Any], Awaitable[Plan]]


def roles_extension(*roles: Role) -> dict[str, Any]:
    """The OpenAPI extension naming the roles of which any one lets a party call an operation
    (none: any party). The admin and certification routes publish theirs with it too."""
    return {"x-tracenet-roles": [str(r.name) for r in roles]}


@dataclass(frozen=True)
class Write:
    """One ledger write: ``POST /v1/{kind}`` taking ``body``, checked and planned by
    ``plan``, stored as ``operation``, allowed to a party holding any one of ``roles``."""

    kind: str  # the path's last segment, and the kind of a batch item
    operation: str  # the stored request's operation name
    body: type[bodies.Body]
    plan: Planner
    roles: tuple[Role, ...]  # any one suffices; () for any party
    summary: str

    @property
    def path(self) -> str:
        return f"/v1/{self.kind}"

    @property
    def openapi_extra(self) -> dict[str, Any]:
        return {"x-tracenet-kind": self.kind, **roles_extension(*self.roles)}


_MEMBER, _ORIGIN = (Role.member,), (Role.origin,)

WRITES: tuple[Write, ...] = (
    Write("inputs", "record_input", bodies.InputIn, plans.plan_input, _ORIGIN,
          "Record a certified input (creates credits)"),
    Write("conventional-inputs", "record_conventional_input", bodies.QuantityIn,
          plans.plan_conventional, _MEMBER, "Record a conventional input (quantity only)"),
    Write("productions", "record_production", bodies.QuantityIn, plans.plan_production,
          _MEMBER, "Record a production quantity"),
    Write("shipments", "ship", bodies.ShipmentIn, plans.plan_shipment, _MEMBER,
          "Ship credits with a physical delivery"),
    Write("inventory-transfers", "transfer_inventory", bodies.TransferIn, plans.plan_inventory,
          _MEMBER, "Move inventory inside a multi-site boundary"),
    Write("certificate-transfers", "transfer_certificates", bodies.CertificateTransferIn,
          plans.plan_certificates, _MEMBER, "Move book-and-claim certificates"),
    Write("conversions", "convert", bodies.ConversionIn, plans.plan_conversion, _MEMBER,
          "Convert credits through a registered process"),
    Write("claims", "claim", bodies.ClaimIn, plans.plan_claim, _MEMBER,
          "Retire credits for a beneficiary"),
    Write("lapses", "lapse", bodies.LapseIn, plans.plan_lapse, (),
          "Retire credits past their allocation window (any unit's, R4)"),
    Write("period-closes", "close_period", bodies.PeriodCloseIn, plans.plan_close, _MEMBER,
          "Close the ended period against physical stock"),
    # Issue 19: shipments of a scheme that needs the recipient's acceptance.
    Write("acceptances", "accept", bodies.ShipmentRefIn, transit.plan_accept, _MEMBER,
          "Accept a shipment awaiting your acceptance (its credits become yours)"),
    Write("rejections", "reject", bodies.ShipmentRejectIn, transit.plan_reject, _MEMBER,
          "Reject a shipment awaiting your acceptance, with a reason (back to the sender)"),
    Write("recalls", "recall", bodies.ShipmentRefIn, transit.plan_recall, _MEMBER,
          "Recall a shipment you sent that awaits acceptance"),
    Write("settlements", "settle", bodies.SettleIn, transit.plan_settle, (),
          "Settle a shipment whose acceptance window has passed (anyone may, as the scheme says)"),
)  # fmt: skip

#: The certification body's writes that are batch kinds too (issue 20), so a published list of
#: certificates imports like an ERP export (``tracenet import certificates``). They are no rows of
#: WRITES: their single routes are the certification routes (``/v1/certificates``,
#: ``/v1/certificates/{certificate}/status``).
CERTIFICATION_BATCH: tuple[Write, ...] = (
    Write("certificates", "register_certificate", certification.CertificateIn,
          certification.plan_certificate, (Role.certifier,), "Register a certificate"),
    Write("certificate-status", "certificate_status", certification.CertificateStatusItem,
          certification.plan_certificate_status_item, (Role.certifier,),
          "State a certificate's status (suspend, reinstate, withdraw, terminate)"),
)  # fmt: skip

#: The rows by kind (the batch item's ``kind``), and the certification writes a batch may carry.
BY_KIND: dict[str, Write] = {w.kind: w for w in (*WRITES, *CERTIFICATION_BATCH)}
