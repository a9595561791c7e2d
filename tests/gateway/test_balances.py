"""GET /v1/balances/{unit}: explicit token ids, class × vintage, or the enumeration of windows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests import factories as f
from tests.factories import World
from tests.gateway.conftest import Harness, open_harness
from tracenet.wallet import LocalSigner

Q1, Q3 = 244, 246  # vintages (quarters since 1970) of Q1 and Q3 2031


def _token(class_id: int, vintage: int, batch: int = 0) -> int:
    return (class_id << 64) | (vintage << 32) | batch


def _get(h: Harness, unit: str, key: str | None, **params: Any) -> Any:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return h.client.get(f"/v1/balances/{unit}", params=params, headers=headers)


def _held(body: dict[str, Any]) -> dict[int, int]:
    return {int(b["token_id"]): int(b["amount_g"]) for b in body["balances"]}


def _stock(world: World) -> dict[str, int]:
    """Flake (mass balance), bio-oil (book and claim) and cullet (segregated) at the plant."""
    w, rec = world, world.cast.recycler
    made = {}
    for name, class_id, amount, cert in [
        ("flake", f.C_FLAKE, 1_000_000, f.CERT_RECYCLER),
        ("bio", f.C_BIO, 70_000, f.CERT_BIO),
        ("glass", f.C_GLASS, 30_000, f.CERT_RECYCLER),
    ]:
        receipt = w.ok("record_input", rec, class_id, amount, cert, f.evidence(name))
        (event,) = w.events(receipt, "InputRecorded")
        made[name] = int(event["tokenId"])
    return made


def test_without_ids_every_class_and_window_vintage_is_read(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path
) -> None:
    made = _stock(world)
    assert made["flake"] == _token(f.C_FLAKE, Q1)
    with open_harness(world, world_keys, tmp_path) as h:
        key = h.key(f.P_RECYCLER, "read")
        answer = _get(h, "recycling-plant", key)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["enumerated"] is True and body["unit"] == f.U_RECYCLER
        assert _held(body) == {
            made["flake"]: world.balance(f.U_RECYCLER, made["flake"]),
            made["bio"]: world.balance(f.U_RECYCLER, made["bio"]),
        }
        assert _held(body)[made["flake"]] == 1_000_000
        assert body["not_enumerable_classes"] == [f.C_GLASS, f.C_CONTAINER]
        assert any("segregated" in n for n in body["notes"])
        windows = {w["credit_class"]: (w["first_vintage_index"], w["current_vintage_index"])
                   for w in body["windows"]}  # fmt: skip
        assert windows[f.C_FLAKE] == (Q1 - 1, Q1)  # window of 2 quarters
        bio_month = made["bio"] >> 32 & 0xFFFFFFFF
        assert windows[f.C_BIO] == (bio_month - 2, bio_month)  # window of 3 months
        assert set(windows) == {f.C_FLAKE, f.C_RESIN, f.C_BIO}
        assert body["block_number"] == world.w3.eth.block_number

        # Segregated credits by their token id; zeros on request.
        exact = _held(_get(h, "recycling-plant", key, token_id=[str(made["glass"])]).json())
        assert exact == {made["glass"]: 30_000}
        zeros = _get(h, "recycling-plant", key, include_zero="true").json()
        assert len(zeros["balances"]) == 2 + 2 + 3  # flake, resin, bio window vintages
        only = _get(h, "1", key, **{"class": "rpet-flake"}).json()
        assert _held(only) == {made["flake"]: 1_000_000}


def test_past_the_window_only_an_explicit_vintage_finds_credits(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path
) -> None:
    made = _stock(world)
    world.travel(f.at(2031, 8, 1))  # Q3: Q1 credits are past their window, not lapsed yet
    world.w3.provider.ethereum_tester.mine_blocks(1)  # type: ignore[attr-defined]
    with open_harness(world, world_keys, tmp_path) as h:
        key = h.key(f.P_RECYCLER, "read")
        body = _get(h, "recycling-plant", key).json()
        assert made["flake"] not in _held(body)
        assert {w["credit_class"]: w["first_vintage_index"] for w in body["windows"]}[
            f.C_FLAKE
        ] == Q3 - 1
        asked = _get(
            h,
            "recycling-plant",
            key,
            **{"class": "rpet-flake", "vintage": [f"index:{Q1}", "2031-Q3"]},
        )
        assert asked.json()["enumerated"] is False
        assert _held(asked.json()) == {made["flake"]: 1_000_000, _token(f.C_FLAKE, Q3): 0}
        by_label = _get(h, "recycling-plant", key, **{"class": "rpet-flake", "vintage": "2031-Q1"})
        (balance,) = by_label.json()["balances"]
        assert (balance["class_key"], balance["vintage_index"], balance["vintage"]) == (
            "rpet-flake", Q1, "2031-Q1",
        )  # fmt: skip
        assert int(balance["amount_g"]) == 1_000_000
        monthly = _get(h, "recycling-plant", key, **{"class": "rpet-flake", "vintage": "2031-03"})
        assert (monthly.status_code, monthly.json()["field"]) == (422, "vintage[0]")
        assert "2027-Q1" in monthly.json()["message"]
        # Issue 26: bare digits are a year label, never an index; a quarterly class has none.
        year = _get(h, "recycling-plant", key, **{"class": "rpet-flake", "vintage": str(Q1)})
        assert (year.status_code, year.json()["field"]) == (422, "vintage[0]")
        assert "index:<n>" in year.json()["message"]
        # A vintage without a class: that vintage in every class whose period length it fits.
        alone = _get(h, "recycling-plant", key, vintage="2031-Q1")
        assert alone.status_code == 200, alone.text
        assert _held(alone.json()) == {made["flake"]: 1_000_000}
        assert alone.json()["enumerated"] is False
        month = made["bio"] >> 32 & 0xFFFFFFFF
        by_index = _get(h, "recycling-plant", key, vintage=[f"index:{month}", f"index:{Q1}"])
        assert _held(by_index.json()) == {made["bio"]: 70_000, made["flake"]: 1_000_000}
        for bad in ("-1", "2031-Q5", "index:", "Q1"):
            refused = _get(h, "recycling-plant", key, vintage=bad)
            assert (refused.status_code, refused.json()["code"], refused.json()["field"]) == (
                422, "TN-GW-422-00", "vintage[0]"
            ), bad  # fmt: skip


def test_another_party_s_unit_is_forbidden_but_an_auditor_reads_all(
    world: World, _world_session: World, world_keys: list[LocalSigner], tmp_path: Path
) -> None:
    made = _stock(world)
    with open_harness(world, world_keys, tmp_path) as h:
        resin = h.key(f.P_RESIN)
        for params in ({}, {"token_id": [str(made["flake"])]}):
            foreign = _get(h, "recycling-plant", resin, **params)
            assert foreign.status_code == 403, foreign.text
            assert foreign.json()["code"] == "TN-GW-403-02" and foreign.json()["field"] == "unit"
        assert _get(h, "recycling-plant", None).status_code == 401
        auditor = _get(h, "recycling-plant", h.key(f.P_AUDITOR, "read"))
        assert auditor.status_code == 200
        assert _held(auditor.json())[made["flake"]] == 1_000_000
        mine = h.key(f.P_RECYCLER, "read")
        bad = _get(h, "recycling-plant", mine, token_id=["12x"])
        assert (bad.status_code, bad.json()["code"], bad.json()["field"]) == (
            422, "TN-GW-422-06", "token_id[0]"
        )  # fmt: skip
        assert _get(h, "nowhere", mine).json()["code"] == "TN-GW-422-05"
        assert _get(h, "recycling-plant", mine, **{"class": "unobtainium"}).status_code == 422
        negative = _get(h, "recycling-plant", mine, **{"class": "rpet-flake", "vintage": -1})
        assert (negative.status_code, negative.json()["code"]) == (422, "TN-GW-422-00")
