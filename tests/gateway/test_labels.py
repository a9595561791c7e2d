"""Messages name an entity the way a person does."""

from __future__ import annotations


def test_a_kind_is_named_as_a_person_says_it() -> None:
    from tracenet.gateway.operations._registry import Registry

    reg = Registry({"classes": {"rpet-flake": 1}, "parties": {"reloop": 4}})
    assert reg.label("classes", 1) == "rpet-flake (class 1)"
    assert reg.label("parties", 4) == "reloop (party 4)"
    assert reg.label("product_groups", 2) == "product group 2"
