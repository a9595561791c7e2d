"""Messages name an entity the way a person does."""

from __future__ import annotations


def test_a_kind_is_named_as_a_person_says_it() -> None:
    from tracenet.gateway.operations._registry import Registry

    reg = Registry({"classes": {"rpet-flake": 1}, "parties": {"reloop": 4}})
    assert reg.label("classes", 1) == "rpet-flake (class 1)"
    assert reg.label("parties", 4) == "reloop (party 4)"
    assert reg.label("product_groups", 2) == "product group 2"


def test_a_display_name_resolves_when_one_bears_it_and_is_refused_when_several_do() -> None:
    """Issue 21: the API takes the names the console shows (``Plant``), any case; a key wins;
    a name two units share is a 422 naming the field, never a guess."""
    import pytest

    from tracenet.gateway.errors import CODES, RequestRejected
    from tracenet.gateway.operations._registry import Registry

    reg = Registry({"units": {"plant": 1}})
    taught = reg.learn_events([_Unit(2, "Brand DC"), _Unit(1, "Plant"), object()])
    assert taught == 2
    assert reg.resolve("units", "Brand DC", "to_unit") == 2
    assert reg.resolve("units", "  brand dc ", "to_unit") == 2
    reg.learn("units", 7, "plant")  # another unit named like the key of unit 1: the key wins
    assert reg.resolve("units", "plant", "unit") == 1
    reg.learn("units", 9, "Brand DC")
    with pytest.raises(RequestRejected) as two:
        reg.resolve("units", "Brand DC", "to_unit")
    assert (two.value.error, two.value.field, two.value.status) == ("NameAmbiguous", "to_unit", 422)
    assert "unit 2, unit 9" in str(two.value)
    assert any(row.error == "NameAmbiguous" for row in CODES.values())
    with pytest.raises(RequestRejected) as none:
        reg.resolve("units", "Nowhere", "unit")
    assert none.value.error == "UnitUnknown"


class _Unit:
    """Stands in for a decoded ``UnitRegistered`` record (its class name is what counts)."""

    def __init__(self, unit_id: int, name: str) -> None:
        self.unit_id, self.name = unit_id, name


_Unit.__name__ = "UnitRegistered"
