"""Server-sent events, read by a real HTTP client from a real server (uvicorn, eth-tester)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests import factories as f
from tests.factories import World
from tests.gateway.live import read_events, serve
from tracenet.wallet import LocalSigner

ALL_STEPS = ["queued", "signed", "submitted", "confirmed"]


def _input(n: int, unit: str = "recycling-plant", cert: int = f.CERT_RECYCLER) -> dict[str, Any]:
    return {
        "unit": unit,
        "class": "rpet-flake",
        "amount": 1_000 + n,
        "certificate": cert,
        "evidence_hash": "0x" + f.evidence(f"sse-{n}").hex(),
    }


def _steps(events: list[dict[str, Any]], request_id: str) -> list[str]:
    return [e["event"] for e in events if e["data"]["id"] == request_id]


def test_one_request_stream_tells_every_step_in_order_and_ends(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path
) -> None:
    with serve(world, world_keys, tmp_path) as live:
        key = live.key(f.P_RECYCLER)
        answer = live.post("/v1/inputs", _input(1), key)
        assert answer.status_code == 202, answer.text
        request_id = answer.json()["id"]
        with live.stream(answer.json()["events_url"], key) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = read_events(response)  # returns only when the server ends the stream
        assert [e["event"] for e in events] == ALL_STEPS
        assert [e["data"]["status"] for e in events] == ALL_STEPS
        assert [e["id"] for e in events] == [f"{events[0]['data']['seq']}-{i}" for i in range(4)]
        last = events[-1]["data"]
        stored = live.http.get(
            f"/v1/requests/{request_id}", headers={"Authorization": f"Bearer {key}"}
        ).json()
        assert last["block_number"] == stored["block_number"] and last["block_number"] > 0
        assert last["tx_hash"] == stored["tx_hash"]
        assert "InputRecorded" in [e["event"] for e in last["outcome"]["events"]]


def test_one_request_stream_ends_at_rejected(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path
) -> None:
    receipt = world.ok(
        "record_input", world.cast.recycler, f.C_FLAKE, 1_000_000, f.CERT_RECYCLER, f.evidence()
    )
    (made,) = world.events(receipt, "InputRecorded")
    claim = {
        "unit": 1,
        "lines": [{"token_id": str(made["tokenId"]), "amount": 600_000}],
        "beneficiary": "Brand",
        "product": "bottle",
        "purpose": "recycled",
    }
    with serve(world, world_keys, tmp_path) as live:
        key = live.key(f.P_RECYCLER)
        ids = [live.post("/v1/claims", claim, key).json()["id"] for _ in range(2)]
        ends = []
        for request_id in ids:
            with live.stream(f"/v1/requests/{request_id}/events", key) as response:
                ends.append(read_events(response))
    finals = sorted(events[-1]["event"] for events in ends)
    assert finals == ["confirmed", "rejected"]
    (rejected,) = [events for events in ends if events[-1]["event"] == "rejected"]
    assert [e["event"] for e in rejected] == ["queued", "signed", "submitted", "rejected"]
    assert rejected[-1]["data"]["outcome"]["error"] == "CreditsInsufficient"


def test_party_stream_follows_every_request_of_the_party_and_no_other(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path
) -> None:
    with serve(world, world_keys, tmp_path) as live:
        mine, theirs = live.key(f.P_RECYCLER, "read"), live.key(f.P_RESIN)
        writer = live.key(f.P_RECYCLER)
        with live.stream("/v1/requests/events", mine) as response:
            assert response.status_code == 200
            ids = [live.post("/v1/inputs", _input(n), writer).json()["id"] for n in range(3)]
            foreign = live.post("/v1/inputs", _input(9, "resin-a", f.CERT_RESIN), theirs)
            assert foreign.status_code == 202, foreign.text

            def all_confirmed(events: list[dict[str, Any]]) -> bool:
                return all("confirmed" in _steps(events, i) for i in ids)

            events = read_events(response, until=all_confirmed)
        assert {e["data"]["id"] for e in events} == set(ids)
        assert {e["data"]["party_id"] for e in events} == {f.P_RECYCLER}
        for request_id in ids:
            assert _steps(events, request_id) == ALL_STEPS
        seqs = sorted({e["data"]["seq"] for e in events})

        # Reconnecting with the last seq seen replays nothing; with an older one, the rest.
        with live.stream("/v1/requests/events", mine, after=seqs[0]) as response:
            replay = read_events(response, until=lambda ev: len(ev) == 8)
        assert [e["data"]["seq"] for e in replay] == [seqs[1]] * 4 + [seqs[2]] * 4
        assert [e["event"] for e in replay] == ALL_STEPS * 2


def test_party_stream_starts_with_open_requests_only(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path
) -> None:
    with serve(world, world_keys, tmp_path) as live:
        key = live.key(f.P_RECYCLER)
        done = live.post("/v1/inputs", _input(1), key).json()["id"]
        with live.stream(f"/v1/requests/{done}/events", key) as response:
            assert read_events(response)[-1]["event"] == "confirmed"
        with live.stream("/v1/requests/events", key) as response:
            later = live.post("/v1/inputs", _input(2), key).json()["id"]
            events = read_events(response, until=lambda ev: "confirmed" in _steps(ev, later))
        assert {e["data"]["id"] for e in events} == {later}


def test_streams_need_a_key_and_show_only_the_party_s_requests(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path
) -> None:
    with serve(world, world_keys, tmp_path) as live:
        key = live.key(f.P_RECYCLER)
        request_id = live.post("/v1/inputs", _input(1), key).json()["id"]
        other = live.key(f.P_RESIN)
        assert live.http.get("/v1/requests/events").status_code == 401
        assert live.http.get(f"/v1/requests/{request_id}/events").status_code == 401
        with live.stream(f"/v1/requests/{request_id}/events", other) as response:
            assert response.status_code == 404
            response.read()
            assert response.json()["code"] == "TN-GW-404-01"
        spec = live.http.get("/openapi.json").json()
        for path in ("/v1/requests/events", "/v1/requests/{request_id}/events"):
            content = spec["paths"][path]["get"]["responses"]["200"]["content"]
            assert "text/event-stream" in content, path
