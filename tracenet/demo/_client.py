"""The story's only door to the ledger: a party's gateway over HTTP, as its ERP would call it.

A write is POSTed with an ``Idempotency-Key``; a 202 is followed at ``/v1/requests/{id}`` until
it is ``confirmed`` or ``rejected`` (on chain, with the custom error's name); a 4xx is the
gateway refusing before signing (``error`` is the rule's name, ``field`` the field).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tracenet.demo.errors import DemoError

__all__ = ["GatewayClient", "Outcome"]

_FINAL = ("confirmed", "rejected")


@dataclass
class Outcome:
    """How one write ended: ``confirmed`` (block, events) or ``rejected`` (error, args, field).

    ``refused`` is true when the gateway refused it before signing (``http`` 4xx, ``code``);
    otherwise the request id tells where to read it back."""

    status: str
    request_id: str | None = None
    block: int | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    field: str | None = None
    code: str | None = None
    http: int | None = None

    @property
    def refused(self) -> bool:
        return self.http is not None and self.http >= 400

    def event(self, name: str) -> dict[str, Any]:
        """The arguments of the first event called ``name`` (DemoError if none)."""
        for e in self.events:
            if e.get("event") == name:
                return dict(e.get("args") or {})
        seen = ", ".join(str(e.get("event")) for e in self.events) or "none"
        raise DemoError(f"request {self.request_id}: no {name} event (events: {seen})")

    def describe(self) -> str:
        if self.status == "confirmed":
            return f"confirmed in block {self.block}"
        where = f" on field {self.field}" if self.field else ""
        if self.refused:
            return f"refused by the gateway: {self.error} ({self.http} {self.code}){where}"
        args = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"rejected on chain in block {self.block}: {self.error}({args})"


class GatewayClient:
    """One party's gateway, with that party's write key."""

    def __init__(self, party: str, url: str, api_key: str, *, timeout: float = 90.0) -> None:
        self.party, self.url, self.timeout = party, url, timeout
        headers = {"Authorization": f"Bearer {api_key}"}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=30.0, trust_env=False)

    def close(self) -> None:
        self.http.close()

    def write(self, path: str, body: dict[str, Any]) -> Outcome:
        headers = {"Idempotency-Key": f"demo-{uuid.uuid4()}"}
        response = self.http.post(path, json=body, headers=headers)
        if response.status_code >= 400:
            return _refusal(response)
        request_id = str(response.json()["id"])
        return self.follow(request_id)

    def follow(self, request_id: str) -> Outcome:
        """Poll the request until it is final (DemoError after ``timeout`` seconds)."""
        deadline = time.monotonic() + self.timeout
        while True:
            row = self.http.get(f"/v1/requests/{request_id}").raise_for_status().json()
            if row["status"] in _FINAL:
                return _final(request_id, row)
            if time.monotonic() > deadline:
                raise DemoError(
                    f"{self.party}: request {request_id} still {row['status']} after "
                    f"{self.timeout:.0f} s"
                )
            time.sleep(0.2)

    def get(self, path: str, **params: Any) -> Any:
        return self.http.get(path, params=params).raise_for_status().json()


def _final(request_id: str, row: dict[str, Any]) -> Outcome:
    outcome = row.get("outcome") or {}
    if row["status"] == "confirmed":
        return Outcome(
            "confirmed", request_id, row.get("block_number"), list(outcome.get("events") or [])
        )
    return Outcome(
        "rejected",
        request_id,
        row.get("block_number"),
        error=str(outcome.get("error")),
        args=dict(outcome.get("args") or {}),
        field=outcome.get("field"),
    )


def _refusal(response: httpx.Response) -> Outcome:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return Outcome(
        "rejected",
        error=str(body.get("error") or f"HTTP {response.status_code}"),
        args=dict(body.get("args") or body.get("details") or {}),
        field=body.get("field"),
        code=body.get("code"),
        http=response.status_code,
    )
