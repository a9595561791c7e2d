"""The auditor takes the whole record away: ``tracenet archive export`` of the demo's chain,
then ``tracenet archive verify`` of the files alone (no node, no gateway, no indexer), whose
holdings must equal the indexer's balances (issue 23)."""

from __future__ import annotations

from tracenet import contracts
from tracenet.demo._audit import read_indexer, wait_for_mirror
from tracenet.demo._play import Player
from tracenet.demo.errors import SurpriseError
from tracenet.indexer.archive import check_archive, export_archive

__all__ = ["archive"]


def archive(p: Player) -> None:
    net = p.net
    out = net.deployment.absolute().parent / "archive"
    what = "auditor: tracenet archive export, then verify with no server"
    deployment = contracts.Deployment.load(net.deployment)
    made = export_archive(contracts.connect(net.rpc_url), deployment, out)
    report = check_archive(out)  # the files alone
    if not report.ok or report.books is None:
        failed = [c.detail for c in report.checks if not c.ok]
        failed += [f"claim {i}" for i, v in report.verdicts.items() if not v.ok]
        raise SurpriseError(what, "an archive that holds", "; ".join(failed))
    key = net.indexer_keys["auditor"]
    wait_for_mirror(net, key, made.head_block)
    rows = read_indexer(net, key, "/v1/balances")["balances"]
    mirror = {(int(r["unit_id"]), int(r["token_id"])): int(r["amount_g"]) for r in rows}
    mine = report.books.balances
    if {k: v for k, v in mirror.items() if v} != mine:
        raise SurpriseError(what, "the indexer's balances", f"{len(mine)} holdings that differ")
    classes = sum(1 for s in report.books.supply.values() if s.balanced)
    p.say(
        f"  ok   auditor   tracenet archive export + verify (no server): {made.events:,} events "
        f"up to block {made.head_block}; {classes} classes reconcile (R13), "
        f"{len(report.verdicts)} claims hold, {len(mine)} holdings equal the indexer's"
    )
