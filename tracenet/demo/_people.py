"""What the demo prints at the end: a summary of the story, then one line per person with the
URL to open and the key to use."""

from __future__ import annotations

from collections.abc import Callable

from tracenet.demo._network import Network
from tracenet.demo._play import Player
from tracenet.demo._procs import printed_command

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
    names[net.config.admin.key] = net.config.admin.name
    claim, shipment = p.facts.get("claim"), p.facts.get("resin_shipment")
    rolling = p.facts.get("rolling_shipment")  # its credits are the rolling share (R8)

    tn = printed_command()  # runs as printed, whether or not .venv/bin is on the PATH

    def line(who: str, where: str) -> None:
        say(f"  {who:<34} {where}")

    say("\nWho can look, where, and with which key:")
    if net.console:
        line("console", net.console_url)
        line("buyer (no key)", f"{net.console_url}/verify/claim/{claim}")
        line("buyer (no key)", f"{net.console_url}/verify/shipment/{shipment}")
        if rolling:
            line("buyer (no key)", f"{net.console_url}/verify/shipment/{rolling}  (rolling share)")
    else:
        line("console", "not in this checkout")
    # anyone with the chain's address checks the claim from a terminal, trusting no service
    line("buyer (chain only)", f"{tn} verify claim {claim} --rpc-url {net.rpc_url} "
                               f"--deployment {net.deployment.absolute()}")  # fmt: skip
    if rolling:
        line("buyer (chain only)", f"{tn} verify shipment {rolling} --rpc-url {net.rpc_url} "
                                   f"--deployment {net.deployment.absolute()}")  # fmt: skip
    # the auditor takes the whole record away and recomputes the books with no server running:
    # the archive the story wrote, and a fresh one into a new folder
    archive = net.deployment.absolute().parent / "archive"
    line("auditor (the record, no server)", f"{tn} archive verify {archive}")
    line("", f"{tn} archive export --out ./tracenet-archive --rpc-url {net.rpc_url} "
             f"--deployment {net.deployment.absolute()}")  # fmt: skip
    if net.console:
        say(f"  {'':<34} sign in at {net.console_url}/signin: choose the party, paste its keys")
    for party, key in net.gateway_keys.items():
        who, read = f"{party} ({names.get(party, party)})", net.indexer_keys.get(party)
        if net.console:
            line(who, f"gateway key {key}" + (f"  indexer key {read}" if read else ""))
        else:
            line(who, f"{net.gateway_url(party)}/docs  API key {key}")
            if read:
                line("", f"{net.indexer_url}/docs  read key {read}")
    if net.console:
        query = p.facts.get("audit_query")
        audit = f"{net.console_url}/audit" + (f"?{query}" if query else "")
        line("auditor's audit (signed in)", audit)
    if "audit_file" in p.facts:
        line("auditor's signed audit", str(p.facts["audit_file"]))
    line("chain (JSON-RPC)", net.rpc_url)
