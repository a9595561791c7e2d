"""One wire convention for both services (issue 18, README "API conventions"): every property
of every schema in the gateway's and the indexer's OpenAPI is

- snake_case (``^[a-z][a-z0-9]*(_[a-z0-9]+)*$``; ``from`` and ``to`` are words too);
- a quantity with its unit: an integer property one of whose words (split at ``_``) is a
  quantity word (``QUANTITY_WORDS``: quantity, amount, held, claimed, lapsed, credits, stock…)
  ends in a unit suffix (``UNITS``: ``_g`` grams, ``_bps`` basis points, ``_gco2e_per_kg``
  emission factors, ``_mgco2e`` milligrams CO2e); a share or a yield ends in ``_bps``; an
  integer ``…_factor`` ends in ``_gco2e_per_kg``; a string described as grams (a decimal
  string past 2^53) is a quantity too. Ids, indexes, versions and counts
  (``COUNTED``) are no quantities;
- a vintage or period by its label: no integer ``…vintage`` or ``…period`` (the index only as
  ``…_index``);
- an enumeration by name: no integer ``enum`` and no integer property named like one
  (``ENUM_NAMES``: model, attribution, raw_material, custody, reason, role…);

and every JSON success answer is a declared model (a ``$ref``, or a list of them), so no route
escapes the walk by answering a bare dict.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from tracenet.gateway import GatewaySettings
from tracenet.gateway import create_app as gateway_app
from tracenet.indexer.api._api import create_app as indexer_app

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
UNITS = ("_g", "_bps", "_gco2e_per_kg", "_mgco2e")
QUANTITY_WORDS = {
    "quantity", "amount", "amounts", "held", "claimed", "lapsed", "credits", "stock", "created",
    "received", "sent", "shipped", "opening", "closing", "volume", "grams", "sustainable",
    "conventional", "physical", "carried", "loss", "converted", "transferred", "lapsing",
    "unexplained", "emissions", "footprint", "balance", "supply",
}  # fmt: skip
SHARE_WORDS = {"share", "yield", "deviation", "allocated", "cap"}
#: Last words that make an integer a reference or a count, not a quantity.
COUNTED = {"id", "ids", "index", "version", "count", "months", "periods", "number", "batch"}
ENUM_NAMES = {
    "model", "attribution", "raw_material", "custody", "reason", "role", "roles", "mode",
    "operation", "scope_kind", "lapse_reason",
}  # fmt: skip


def _integer(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "integer":
        return True
    return any(_integer(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def _int_enum(schema: dict[str, Any]) -> bool:
    values = schema.get("enum") or []
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return True
    return any(_int_enum(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def departures(name: str, schema: dict[str, Any]) -> list[str]:
    """How property ``name`` of type ``schema`` departs from the convention (empty: it keeps it)."""
    found = []
    if not SNAKE.match(name):
        found.append("not snake_case")
    words = name.split("_")
    if _int_enum(schema) or (_integer(schema) and name in ENUM_NAMES):
        found.append("an enumeration as an integer (give its name)")
    if _integer(schema) and words[-1] in ("vintage", "period"):
        found.append("a vintage or period as an index (its label; the index only as *_index)")
    grams = schema.get("type") == "string" and "gram" in str(schema.get("description", ""))
    if (_integer(schema) or grams) and words[-1] not in COUNTED and not name.endswith(UNITS):
        if words[-1] == "factor":
            found.append("an emission factor without _gco2e_per_kg")
        elif set(words) & QUANTITY_WORDS:
            found.append(f"a quantity without its unit suffix {UNITS}")
        elif set(words) & SHARE_WORDS:
            found.append("a share without _bps")
    return found


def test_the_rule_itself() -> None:
    integer = {"type": "integer"}
    assert departures("quantity_g", integer) == departures("share_bps", integer) == []
    assert departures("product_group_id", integer) == departures("factor_version", integer) == []
    assert departures("sustainable_factor_gco2e_per_kg", integer) == []
    assert departures("quantity", integer) and departures("held", integer)
    assert departures("sustainable_factor", integer) and departures("share", integer)
    assert departures("blockNumber", integer) and departures("unitId", {"type": "string"})
    assert departures("custody", integer) and departures("kind", {"enum": [0, 1, 2]})
    assert departures("custody", {"type": "string"}) == []
    assert departures("first_vintage", integer) and departures("vintage_index", integer) == []
    assert departures("amount", {"type": "string", "description": "grams, decimal"})
    nullable = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert departures("lapsed", nullable) and departures("lapsed_g", nullable) == []


def _specs(tmp_path: Path) -> dict[str, dict[str, Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gateway = gateway_app(
            GatewaySettings(deployment=tmp_path / "none.json", database_url="sqlite://")
        ).openapi()
        # With a chain record and a ledger, as the tests build it: every route is published.
        indexer = indexer_app(
            create_engine("sqlite://"), chain=lambda: None, ledger=lambda: None
        ).openapi()
    return {"gateway": gateway, "indexer": indexer}


def _walk(spec: dict[str, Any]) -> list[str]:
    out = []

    def visit(where: str, schema: dict[str, Any]) -> None:
        for name, prop in (schema.get("properties") or {}).items():
            out.extend(f"{where}.{name}: {d}" for d in departures(name, prop))
            visit(f"{where}.{name}", prop)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                visit(where, schema[key])
        for sub in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
            visit(where, sub)

    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        visit(name, schema)
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                if p.get("in") == "query":
                    where = f"{method.upper()} {path} ?{p['name']}"
                    out.extend(f"{where}: {d}" for d in departures(p["name"], p["schema"]))
            for body in (op.get("requestBody") or {}).get("content", {}).values():
                visit(f"{method.upper()} {path} body", body.get("schema") or {})
    return out


def _untyped(spec: dict[str, Any]) -> list[str]:
    """JSON success answers that are no declared model (a bare dict escapes the walk)."""
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                schema = (answer.get("content") or {}).get("application/json", {}).get("schema")
                if not status.startswith("2") or schema is None:
                    continue
                if "$ref" not in schema and "$ref" not in schema.get("items", {}):
                    out.append(f"{method.upper()} {path} {status}")
    return out


@pytest.mark.parametrize("service", ["gateway", "indexer"])
def test_every_schema_keeps_the_wire_convention(service: str, tmp_path: Path) -> None:
    spec = _specs(tmp_path)[service]
    assert len(spec["paths"]) > 10  # the walk saw the service
    problems = _walk(spec)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service", ["gateway", "indexer"])
def test_every_json_answer_is_a_declared_model(service: str, tmp_path: Path) -> None:
    problems = _untyped(_specs(tmp_path)[service])
    assert not problems, "\n".join(problems)
