"""Who sees what (issue 25): Acme's claim as its buyer reads it — the link only, no key — beside
Acme's own full page, read with its key. The verdict must be the same in both; the buyer's side
must name no upstream company (ReLoop, the recycler, has not chosen to disclose itself), give no
certificate number of it and no grams of it; the sequential id must open nothing."""

from __future__ import annotations

from typing import Any

import httpx

from tracenet.demo._audit import read_indexer
from tracenet.demo._play import Player
from tracenet.demo.errors import DemoError, SurpriseError

__all__ = ["side_by_side"]

_WIDTH = 76


def _public(p: Player, path: str) -> httpx.Response:
    with httpx.Client(base_url=p.net.indexer_url, trust_env=False) as http:
        return http.get(path, timeout=30.0)


def _verdict(body: dict[str, Any]) -> tuple[Any, ...]:
    checks = sorted((c["code"], c["rule"], c["ok"], c["warning"]) for c in body["checks"])
    return body["holds"], body["failed"], body["warnings"], tuple(checks)


def _columns(left: list[str], right: list[str]) -> list[str]:
    rows = max(len(left), len(right))
    left += [""] * (rows - len(left))
    right += [""] * (rows - len(right))
    return [f"  {a[:_WIDTH]:<{_WIDTH}} │ {b}" for a, b in zip(left, right, strict=True)]


def side_by_side(p: Player) -> None:
    net, key = p.net, p.net.indexer_keys["brand"]
    claim = int(p.facts["claim"])
    p.chapter("12. Who sees what: Acme's claim as its buyer reads it, beside Acme's own page")
    ref = read_indexer(net, key, f"/v1/claims/{claim}/reference")["public_ref"]
    shipment = int(p.facts["resin_shipment"])
    p.facts["claim_ref"] = ref
    p.facts["shipment_ref"] = read_indexer(net, key, f"/v1/shipments/{shipment}/reference")[
        "public_ref"
    ]
    route = f"/v1/claims/{ref}/verification"
    answer = _public(p, route)
    if answer.status_code != 200:
        raise DemoError(f"indexer {route}: HTTP {answer.status_code} {answer.text[:200]}")
    public: dict[str, Any] = answer.json()
    full: dict[str, Any] = read_indexer(net, key, route)
    walked = _public(p, f"/v1/claims/{claim}/verification").status_code
    recycler = next(party.name for party in net.config.parties if party.key == "recycler")
    if _verdict(public) != _verdict(full) or public["view"] != "public" or full["view"] != "full":
        raise SurpriseError("buyer vs Acme", "one verdict in both views", f"{public['holds']}")
    if recycler in answer.text or walked != 404:
        raise SurpriseError("buyer", "no upstream name, the id opening nothing", answer.text[:200])
    word = "HOLDS" if public["holds"] else "FAILS"
    left = [f"buyer, the link only: {word}, {len(public['checks'])} checks"]
    left += [
        f"{s['step']}. {s['role']}"
        + (f", {s['country']}" if s["country"] else "")
        + f", {' / '.join(s['schemes']) or 'no scheme'}: {s['share_of_target_bps'] / 100:.2f} %"
        + (f", {s['party']}" if s["party"] else ", name not disclosed")
        for s in public["chain_of_custody"]
    ]
    right = [f"Acme, its own key: {word}, {len(full['checks'])} checks"]
    nodes = {n["key"]: n for n in full["lineage"]["nodes"]}
    right += [f"{key} {n['amount_g']:,} g" for key, n in nodes.items()]
    right += [
        f"input {o['input_id']} certificate id {o['certificate_id']}, {o['amount_g']:,} g"
        for o in full["lineage"]["origins"]
    ]
    for line in _columns(left, right):
        p.say(line)
    p.say(
        f"  ok   buyer     GET {net.indexer_url}{route} (no key): the verdict Acme reads, "
        f"{recycler} not named; GET /v1/claims/{claim}/verification: {walked}"
    )
