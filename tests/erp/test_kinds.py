"""Every ledger write of the gateway's catalog (gateway/operations/_catalog.py) is an import kind
or marked not importable, with its reason, in erp/_columns.py; erp/COLUMNS.md documents both."""

from __future__ import annotations

from pathlib import Path

from tracenet import erp
from tracenet.erp import KINDS, NOT_IMPORTABLE
from tracenet.gateway.operations._catalog import BY_KIND, WRITES

COLUMNS_MD = (Path(erp.__file__).parent / "COLUMNS.md").read_text(encoding="utf-8")


def test_every_catalog_write_is_a_kind_or_marked_not_importable() -> None:
    routes = {k.route for k in KINDS.values()}
    missing = [w.kind for w in WRITES if w.kind not in routes and w.kind not in NOT_IMPORTABLE]
    assert not missing, f"no ERP kind nor NOT_IMPORTABLE reason (erp/_columns.py) for {missing}"
    assert not routes & set(NOT_IMPORTABLE), "a kind is both importable and not"
    assert routes | set(NOT_IMPORTABLE) <= set(BY_KIND), "a kind the gateway does not have"
    assert all(len(why) > 20 for why in NOT_IMPORTABLE.values())


def test_columns_md_documents_every_kind_and_every_write_not_importable() -> None:
    for kind in KINDS.values():
        assert f"| `{kind.name}` | `/v1/{kind.route}` |" in COLUMNS_MD, kind.name
    for route in NOT_IMPORTABLE:
        assert f"`/v1/{route}`" in COLUMNS_MD, route


def test_a_kind_sends_the_body_of_its_catalog_write() -> None:
    """Every column sent is a field of the write's body model (by its JSON name)."""
    for kind in KINDS.values():
        model = BY_KIND[kind.route].body
        fields = {f.alias or name for name, f in model.model_fields.items()}
        sent = {c.key for c in kind.columns if c.key is not None}
        assert sent <= fields, (kind.name, sent - fields)
