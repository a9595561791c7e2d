"""Each component's public API is its ``__all__``: complete, importable, and nothing private."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "tracenet.contracts",
    "tracenet.contracts.records",
    "tracenet.node",
    "tracenet.wallet",
    "tracenet.gateway",
    "tracenet.indexer",
    "tracenet.indexer.archive",
    "tracenet.kit",
    "tracenet.erp",
    "tracenet.console",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    package = importlib.import_module(name)
    exported = set(package.__all__)
    public = {
        attr
        for attr, value in vars(package).items()
        if not attr.startswith("_")
        and not isinstance(value, types.ModuleType)
        and attr != "annotations"
    }
    assert public == exported, f"{name}: missing {public - exported}, extra {exported - public}"
    assert all(not n.startswith("_") for n in exported)
    assert len(package.__all__) == len(exported), f"{name}: __all__ repeats a name"
