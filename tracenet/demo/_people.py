"""What the demo prints at the end: a summary of the story, then one line per person with the
URL to open and the key to use."""

from __future__ import annotations

from collections.abc import Callable

from tracenet.demo._network import Network
from tracenet.demo._play import Player

__all__ = ["people", "summary"]


def summary(p: Player, say: Callable[[str], None]) -> None:
    confirmed = sum(1 for r in p.records if r.outcome.status == "confirmed")
    rejected = len(p.records) - confirmed
    say(
        f"\nThe story: {len(p.records)} operations through the gateways, every outcome as "
        f"expected: {confirmed} confirmed, {rejected} rejected by the rule named"
    )


def people(net: Network, p: Player, say: Callable[[str], None]) -> None:
    """One line per person: where to go, and with which key."""
    names = {party.key: party.name for party in net.config.parties}
    claim, shipment = p.facts.get("claim"), p.facts.get("resin_shipment")
    say("\nWho can look, where, and with which key:")
    if net.console:
        say(f"  console                      {net.console_url}")
        say(f"  buyer (no key)               {net.console_url}/verify/claim/{claim}")
        say(f"  buyer (no key)               {net.console_url}/verify/shipment/{shipment}")
    else:
        deployment = net.deployment.absolute()
        say("  console                      not in this checkout")
        say(
            f"  buyer (no key)               tracenet verify claim {claim} "
            f"--rpc-url {net.rpc_url} --deployment {deployment}"
        )
    for party, key in net.gateway_keys.items():
        where = net.console_url if net.console else f"{net.gateway_url(party)}/docs"
        who = f"{party} ({names.get(party, party)})"
        say(f"  {who:<28} {where}  sign in with {key}")
    auditor = net.indexer_keys.get("auditor")
    if auditor is not None:
        say(f"  auditor, indexer read key    {net.indexer_url}/docs  {auditor}")
    if "audit_file" in p.facts:
        say(f"  auditor, signed audit        {p.facts['audit_file']}")
    say(f"  chain (JSON-RPC)             {net.rpc_url}")
