"""The player of the story: runs each step through a party's gateway and checks its outcome.

A step expects ``confirmed`` or the name of the rule that rejects it (the chain's custom-error
name, whether the gateway refused before signing or the chain reverted). Any other outcome is a
``SurpriseError`` naming the step. Time moves with anvil's ``evm_increaseTime`` + ``evm_mine``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tracenet.contracts import period_at, period_bounds, period_label
from tracenet.demo._client import GatewayClient, Outcome
from tracenet.demo._network import Network
from tracenet.demo.errors import SurpriseError
from tracenet.node import rpc_call

__all__ = ["Player", "Record", "doc_hash"]

DAY = 86_400
PERIOD_MONTHS = 3  # every class of the demo consortium has quarterly periods

_PERIOD_ARGS = {"period", "vintage", "currentPeriod", "lapsesAt"}


def doc_hash(text: str) -> str:
    """The 0x-hex SHA-256 of a document's text (SD, delivery note, weighbridge ticket)."""
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Record:
    """One step as it ended, for the summary and the test."""

    party: str
    what: str
    expected: str
    outcome: Outcome


@dataclass
class Player:
    net: Network
    say: Callable[[str], None]
    clients: dict[str, GatewayClient] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # ids the people's links need

    def __post_init__(self) -> None:
        for party, key in self.net.gateway_keys.items():
            self.clients[party] = GatewayClient(party, self.net.gateway_url(party), key)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def unit(self, key: str) -> int:
        return self.net.registry["units"][key]

    def id(self, kind: str, key: str) -> int:
        return self.net.registry[kind][key]

    def chapter(self, title: str) -> None:
        self.say(f"\n{title}")

    def step(
        self, party: str, what: str, path: str, body: dict[str, Any], expect: str = "confirmed"
    ) -> Outcome:
        """POST ``body`` to ``party``'s gateway at ``path``; the outcome must be ``expect``."""
        self.net.children.check_alive()
        outcome = self.clients[party].write(path, body)
        for name in _PERIOD_ARGS & outcome.args.keys():  # periods as people read them
            if isinstance(outcome.args[name], int):
                outcome.args[name] = self.label(outcome.args[name])
        got = "confirmed" if outcome.status == "confirmed" else str(outcome.error)
        ok = got == expect
        mark = "ok  " if ok else "FAIL"
        rid = outcome.request_id or "-"
        self.say(f"  {mark} {party:<9} {what:<50} request {rid:<36} {outcome.describe()}")
        self.records.append(Record(party, what, expect, outcome))
        if not ok:
            raise SurpriseError(f"{party}: {what}", expect, outcome.describe())
        return outcome

    # -- time ---------------------------------------------------------------------------------

    def chain_time(self) -> int:
        block = rpc_call(self.net.rpc_url, "eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    def period(self) -> int:
        return period_at(PERIOD_MONTHS, self.chain_time())

    def label(self, period: int) -> str:
        return period_label(PERIOD_MONTHS, period)

    def travel_to(self, period: int, *, days: int = 1) -> None:
        """Move the chain's clock to ``days`` days into ``period`` and mine a block there."""
        start, _ = period_bounds(PERIOD_MONTHS, period)
        delta = start + days * DAY - self.chain_time()
        if delta > 0:
            rpc_call(self.net.rpc_url, "evm_increaseTime", [delta])
        rpc_call(self.net.rpc_url, "evm_mine")
        self.say(f"  time {self.label(period)}: the chain's clock moved {delta / DAY:.1f} days on")
