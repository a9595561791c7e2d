"""Issue 25 on the read API's public routes: public references that cannot be counted up to,
and a buyer's view that states the verdict without naming the competitors upstream."""

from __future__ import annotations

import hashlib
import json
import warnings
from typing import Any

from sqlalchemy import Engine

from tests.factories import (
    P_AUDITOR,
    P_BRAND,
    P_OUTSIDER,
    P_RECYCLER,
    P_RESIN,
    U_RECYCLER,
    U_RESIN,
    World,
)
from tests.indexer.test_reports import T, flakes_to_resin
from tracenet.contracts import records as R
from tracenet.indexer import Follower, IndexerSettings
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.verifier._chainread import ChainRecord, read_chain
from tracenet.indexer.verifier._public_ref import ref_of
from tracenet.indexer.verifier._redact import country, verdict_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


#: More public reads than one client's burst.
UNLIMITED = IndexerSettings(public_rate_per_minute=0)


def _setup(world: World, follower: Follower, engine: Engine) -> tuple[ChainRecord, dict[str, str]]:
    flakes_to_resin(world)  # shipments 1 (recycler → resin), 2 (resin → brand), claim 1 (brand)
    follower.catch_up()
    record = read_chain(world.w3, world.handle.deployment)
    parties = {"recycler": P_RECYCLER, "resin": P_RESIN, "brand": P_BRAND,
               "outsider": P_OUTSIDER, "auditor": P_AUDITOR}  # fmt: skip
    with engine.begin() as conn:
        keys = {name: create_key(conn, party) for name, party in parties.items()}
    return record, keys


def _upstream_secrets(record: ChainRecord) -> list[str]:
    """What the brand's buyer must not read: the recycler's and the resin maker's names, their
    units and addresses, their certificate numbers, and the upstream quantities."""
    out = []
    for party in (P_RECYCLER, P_RESIN):
        out.append(record.parties[party].name)
        out += [c.number for c in record.certificates.values() if c.holder_party_id == party]
    for unit in (U_RECYCLER, U_RESIN):
        out += [record.units[unit].name]
    return out


def test_public_references_are_128_bits_of_the_recording_transaction(
    world: World, follower: Follower, engine: Engine
) -> None:
    record, _ = _setup(world, follower, engine)
    refs = set()
    for at, e in record.events:
        if isinstance(e, (R.Shipped, R.Claimed)):
            kind, ident = (
                ("shipment", e.shipment_id) if isinstance(e, R.Shipped) else ("claim", e.claim_id)
            )
            seed = f"tracenet/public-ref/v1:{record.chain_id}:{kind}:{ident}:{at.tx_hash}"
            expected = hashlib.sha256(seed.encode()).hexdigest()[:32]
            assert ref_of(record, kind, ident) == expected
            refs.add(expected)
    assert len(refs) == 3 and all(len(r) == 32 and int(r, 16) for r in refs)


def test_a_step_s_country_is_the_code_its_address_ends_with() -> None:
    assert country("Havenweg 1, Rotterdam NL") == "NL" and country("Kanaaldok 7, BE") == "BE"
    assert country("Somewhere 1, 1000 City") is None and country("") is None
    assert country("Nl") is None and country("Dock Road 9, Bristol UKX") is None


def test_walking_the_public_routes_with_ids_yields_the_same_404_as_unknown(
    world: World, follower: Follower, engine: Engine
) -> None:
    record, keys = _setup(world, follower, engine)
    app = create_app(engine, chain=lambda: record, settings=UNLIMITED)
    claim = ref_of(record, "claim", 1)
    asked = [str(n) for n in range(0, 6)] + ["0" * 32, "f" * 32, claim.upper(), f"SD-1-{1}"]
    with TestClient(app) as client:
        bodies = set()
        for value in asked:
            for path in (
                f"/v1/shipments/{value}/declaration",
                f"/v1/shipments/{value}/verification",
                f"/v1/claims/{value}/verification",
            ):
                for headers in ({}, {"X-API-Key": keys["auditor"]}):
                    answer = client.get(path, headers=headers)
                    assert answer.status_code == 404, (path, answer.text)
                    body = answer.json()
                    assert (body["code"], body["error"]) == ("TN-IX-404-08", "ReferenceUnknown")
                    bodies.add(json.dumps({**body, "message": body["message"]}))
        # a claim's reference on the shipment routes: not found either (same answer as unknown)
        wrong = client.get(f"/v1/shipments/{claim}/verification").json()
        assert wrong == client.get(f"/v1/shipments/{'0' * 32}/verification").json()
        assert client.get(f"/v1/claims/{claim}/verification").status_code == 200
    # nothing in the answers differs between an id, an unknown and a malformed reference
    assert len(bodies) == 2  # "no shipment …" / "no claim …": the route's kind, never the value


def test_the_buyer_reads_the_verdict_not_the_competitors(
    world: World, follower: Follower, engine: Engine
) -> None:
    record, keys = _setup(world, follower, engine)
    app = create_app(engine, chain=lambda: record, settings=UNLIMITED)
    claim, sd = ref_of(record, "claim", 1), ref_of(record, "shipment", 2)
    hidden = _upstream_secrets(record)
    with TestClient(app) as client:

        def get(path: str, who: str | None = None) -> dict[str, Any]:
            answer = client.get(path, headers={"X-API-Key": keys[who]} if who else {})
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        for who in (None, "outsider", "recycler"):  # anyone; another member; an upstream party
            public = get(f"/v1/claims/{claim}/verification", who)
            text = json.dumps(public)
            assert public["view"] == "public" and public["holds"] is True
            assert [s for s in hidden if s in text] == []
            assert "tx_hash" not in text and "detail" not in text
            steps = public["chain_of_custody"]
            assert [s["kind"] for s in steps] == [
                "input", "shipment", "conversion", "shipment", "claim",
            ]  # fmt: skip
            assert steps[0]["role"] == "certified point of origin"
            assert steps[0]["certificate_status"] == "ISCC PLUS certificate valid at input"
            assert steps[2]["summary"].startswith("certified converter")
            assert [s["party"] for s in steps] == [None] * 4 + [record.parties[P_BRAND].name]
            assert all(s["credits_g"] is None for s in steps[:-1])  # shares, not grams
            assert steps[-1]["credits_g"] == T
            # one path from one input: every step carries all of the claim, whatever the yield
            assert [s["share_of_target_bps"] for s in steps] == [10_000] * 5
            # the verdict is the full view's, check for check
            full = get(f"/v1/claims/{claim}/verification", "auditor")
            assert (
                full["view"] == "full"
                and full["lineage"]["target"]["kind"] == "claim"
                and full["lineage"]["target"]["id"] == 1
            )
            assert verdict_of(public) == verdict_of(full)
            assert len(public["checks"]) == len(full["checks"]) > 10

        sd_public = get(f"/v1/shipments/{sd}/declaration")
        text = json.dumps(sd_public)
        assert sd_public["supplier"]["name"] == record.parties[P_RESIN].name  # direct supplier
        assert sd_public["recipient"]["name"] is None and sd_public["recipient"]["unit"] is None
        assert record.parties[P_RECYCLER].name not in text
        assert "ISCC-PLUS-REC-001" not in text and "order_reference" not in text
        assert sd_public["origins"] == [
            {"country": None, "share_of_credits_bps": 10_000, "certificate": None,
             "credits_g": None, "input_g": None}
        ]  # fmt: skip
        assert sd_public["conversion_factors_upstream"][0]["site"] is None
        assert (sd_public["quantity_g"], sd_public["credits_g"]) == (4 * T, 2 * T)
        for who in ("brand", "resin", "auditor"):  # the parties and auditors: the full view
            full = get(f"/v1/shipments/{sd}/declaration", who)
            assert full["view"] == "full" and full["recipient"]["name"]
            assert full["origins"][0]["certificate"] == "ISCC-PLUS-REC-001"
        # the recycler is no party to shipment 2: the buyer's view
        assert get(f"/v1/shipments/{sd}/declaration", "recycler")["view"] == "public"
        shipment = get(f"/v1/shipments/{sd}/verification")
        assert verdict_of(shipment) == verdict_of(get(f"/v1/shipments/{sd}/verification", "brand"))


def test_a_party_that_discloses_is_named_on_public_views(
    world: World, follower: Follower, engine: Engine
) -> None:
    record, _ = _setup(world, follower, engine)
    recycler = record.parties[P_RECYCLER].name
    disclosure: dict[str, Any] = {str(P_RECYCLER): "all", recycler + "x": ["name"]}
    shown = IndexerSettings(public_rate_per_minute=0, disclosure=disclosure)
    app = create_app(engine, chain=lambda: record, settings=shown)
    with TestClient(app) as client:
        body = client.get(f"/v1/claims/{ref_of(record, 'claim', 1)}/verification").json()
        origin = body["chain_of_custody"][0]
        assert (origin["party"], origin["certificates"]) == (recycler, ["ISCC-PLUS-REC-001"])
        assert origin["credits_g"] is not None and origin["address"] is not None
        assert body["chain_of_custody"][2]["party"] is None  # the resin maker did not disclose
        sd = client.get(f"/v1/shipments/{ref_of(record, 'shipment', 2)}/declaration").json()
        assert sd["origins"][0]["certificate"] == "ISCC-PLUS-REC-001"


def test_the_parties_and_auditors_read_the_reference_others_do_not(
    world: World, follower: Follower, engine: Engine
) -> None:
    """``/v1/{kind}s/{id}/reference``: from the mirror, the same reference as the chain's."""
    record, keys = _setup(world, follower, engine)
    app = create_app(engine, chain=lambda: record, settings=UNLIMITED)
    with TestClient(app) as client:

        def get(who: str, path: str) -> Any:
            return client.get(path, headers={"X-API-Key": keys[who]})

        for who in ("resin", "brand", "auditor"):
            body = get(who, "/v1/shipments/2/reference").json()
            assert body["public_ref"] == ref_of(record, "shipment", 2)
            assert body["verify_path"] == f"/verify/shipment/{body['public_ref']}"
        assert get("brand", "/v1/claims/1/reference").json()["public_ref"] == ref_of(
            record, "claim", 1
        )
        for who, path in [("recycler", "/v1/shipments/2/reference"),
                          ("outsider", "/v1/claims/1/reference")]:  # fmt: skip
            refused = get(who, path)
            assert (refused.status_code, refused.json()["error"]) == (403, "NotCounterparty")
        assert client.get("/v1/shipments/2/reference").status_code == 401
        assert get("auditor", "/v1/claims/9/reference").status_code == 404


def test_shares_split_by_inflow_and_pass_through_a_yield() -> None:
    """Two lots make the claim, 3 g and 1 g; the first came out of a conversion of 6 g of
    another class: 75 % and 25 %, and the conversion's input 75 %, not 150 %."""
    from tracenet.indexer.lineage._lineage import Edge, Lineage, Node
    from tracenet.indexer.verifier._redact import target_shares

    def node(key: str, grams: int) -> Node:
        return Node(key, key.split(":")[0], None, grams)

    nodes = (node("input:1", 6), node("input:2", 1), node("conversion:1", 3), node("claim:1", 4))
    edges = (
        Edge("input:1", "conversion:1", 1, 6),
        Edge("conversion:1", "claim:1", 2, 3),
        Edge("input:2", "claim:1", 2, 1),
    )
    lineage = Lineage(nodes[-1], nodes, edges, (), 0)
    shares = target_shares(lineage)
    assert {k: round(v * 10_000) for k, v in shares.items()} == {
        "claim:1": 10_000, "conversion:1": 7_500, "input:1": 7_500, "input:2": 2_500,
    }  # fmt: skip
