"""The ledger's integers by name on the pages: enumerations through contracts' vocabulary
(``contracts._vocab``: models, attribution methods, raw materials, roles), entities by the name
the registry gives them (``Plant (unit 1)``, ``ISCC PLUS (1)``)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from tracenet.console._clients import IndexerClient
from tracenet.console._web import attempt
from tracenet.contracts import Attribution, Model, RawMaterial, Role

__all__ = ["named_rows", "unit_names"]

_ENUMS: dict[str, type[IntEnum]] = {
    "model": Model, "attribution": Attribution, "raw_material": RawMaterial,
}  # fmt: skip


def _enum(enum: type[IntEnum], value: Any) -> Any:
    try:
        member = enum[value] if isinstance(value, str) else enum(int(value))
    except (KeyError, TypeError, ValueError):
        return value  # a value this console does not know: as it came
    return member.label if isinstance(member, RawMaterial) else member.name


def _roles(value: Any) -> Any:
    if isinstance(value, list):  # the indexer's role names
        return " ".join(str(n) for n in value) or "none"
    try:
        mask = int(value)
    except (TypeError, ValueError):
        return value
    names = [r.name for r in Role if mask & r]
    return " ".join(str(n) for n in names) or "none"


def named_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A registry listing's rows with each enumeration by name in place of its integer, and
    each referenced entity by name with its id (one column, not two)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        named: dict[str, Any] = {}
        for key, value in row.items():
            if key + "_id" in row and row.get(key) is not None:
                continue  # shown beside its id (below)
            base = key.removesuffix("_id")
            if base != key and row.get(base) is not None:
                named[base] = f"{row[base]} ({value})"  # scheme_id 1, scheme → "ISCC PLUS (1)"
                continue
            if key in _ENUMS:
                value = _enum(_ENUMS[key], value)
            elif key == "roles":
                value = _roles(value)
            named[key] = value
        out.append(named)
    return out


async def unit_names(indexer: IndexerClient) -> dict[int, str]:
    """Unit id → ``Name (unit id)`` from the registry (any read key); empty if unreadable."""
    found, _ = await attempt(indexer.get("/v1/registry/units", limit=1000))
    names: dict[int, str] = {}
    for row in (found or {}).get("rows") or []:
        try:
            ident = int(row["id"])
        except (KeyError, TypeError, ValueError):
            continue
        names[ident] = f"{row.get('name') or 'unit'} (unit {ident})"
    return names
