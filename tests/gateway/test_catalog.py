"""The catalog of ledger writes (gateway/operations/_catalog.py) is what the gateway serves: one
route per row as OpenAPI documents it (with the kind and the roles it publishes), the batch kinds,
and per row the access the row declares — refused without a key, with a read key and to a party
without its roles, accepted from a party with them (as a dry run and for real, stored as the row's
operation)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests import factories as f
from tests.gateway.conftest import Harness
from tests.gateway.writes import SAMPLES
from tracenet.contracts import Role
from tracenet.gateway import GatewaySettings, create_app
from tracenet.gateway.operations._catalog import CERTIFICATION_BATCH, WRITES, Write

_ROLES = {f.P_RECYCLER: Role.member | Role.origin, f.P_RESIN: Role.member | Role.origin,
          f.P_BRAND: Role.member}  # fmt: skip


def _openapi() -> dict[str, Any]:
    doc: dict[str, Any] = create_app(GatewaySettings(deployment="unused.json")).openapi()
    return doc


def test_openapi_publishes_every_row_and_no_other_ledger_write() -> None:
    doc = _openapi()
    ledger = {
        p for p, ops in doc["paths"].items() if "ledger" in ops.get("post", {}).get("tags", [])
    }
    assert ledger == {w.path for w in WRITES}
    for w in WRITES:
        op = doc["paths"][w.path]["post"]
        assert op["summary"] == w.summary
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        assert schema["$ref"] == f"#/components/schemas/{w.body.__name__}"
        assert op["x-tracenet-kind"] == w.kind
        assert op["x-tracenet-roles"] == [r.name for r in w.roles]
        assert {"202", "401", "403", "422"} <= set(op["responses"])
    item = doc["components"]["schemas"]["BatchItem"]["properties"]["kind"]
    # …and the certification writes a published certificate list imports with (issue 20)
    assert item["enum"] == [w.kind for w in (*WRITES, *CERTIFICATION_BATCH)]
    # The admin's and the certification body's writes publish their role the same way.
    for path, ops in doc["paths"].items():
        tags = ops.get("post", {}).get("tags", [])
        if "admin" in tags or "certification" in tags:
            expected = ["admin"] if "admin" in tags else ["certifier"]
            if path == "/v1/admin/units/{unit}/scope":  # Catalog.setUnitScope: either role
                expected = ["admin", "certifier"]
            assert ops["post"]["x-tracenet-roles"] == expected, path
            assert "x-tracenet-kind" not in ops["post"]


def test_kinds_and_operations_are_unique() -> None:
    assert len({w.kind for w in WRITES}) == len({w.operation for w in WRITES}) == len(WRITES)


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.kind)
def test_a_write_is_open_to_its_roles_only(harness: Harness, write: Write) -> None:
    world = harness.world
    caller, body = SAMPLES[write.kind](world)  # KeyError: add the new write to writes.py
    key, read = harness.key(caller), harness.key(caller, "read")
    no_key = harness.post(write.path, body, None)
    assert (no_key.status_code, no_key.json()["code"]) == (401, "TN-GW-401-01")
    read_only = harness.post(write.path, body, read)
    assert (read_only.status_code, read_only.json()["code"]) == (403, "TN-GW-403-01")

    def dry_run(as_key: str) -> dict[str, Any]:
        item = {"kind": write.kind, "body": body}
        answer = harness.post("/v1/batch", {"operations": [item], "dry_run": True}, as_key)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()["results"][0]
        return result

    assert dry_run(key)["status"] == 204, dry_run(key)
    if not write.roles:  # any party: one with none of the roles that hold credits, too
        assert dry_run(harness.key(f.P_AUDITOR))["status"] == 204
    accepted = harness.post(write.path, body, key)
    assert accepted.status_code == 202, accepted.text
    stored = harness.client.get(accepted.json()["status_url"], headers={"X-API-Key": key})
    assert stored.json()["operation"] == write.operation
    # the pipeline and this test share one in-process chain (not thread-safe): the write ends
    # before the test sends anything itself
    harness.wait(stored.json()["id"], key)
    if not write.roles:
        return
    # The caller's party loses the row's roles on chain: refused before anything is stored.
    without = _ROLES[caller] & ~sum(write.roles, Role(0))
    world.send(world.consortium.functions.setRoles(caller, int(without)), world.cast.admin)
    harness.client.app.state.gateway.views.forget()  # type: ignore[attr-defined]
    count = harness.store.count_requests()
    refused = harness.post(write.path, body, key)
    assert refused.status_code == 403, refused.text
    assert (refused.json()["code"], refused.json()["error"]) == (
        "TN-GW-403-03",
        "AccessRoleMissing",
    )
    assert refused.json()["args"]["role"] in [int(r) for r in write.roles]
    assert (dry_run(key)["status"], dry_run(key)["error"]) == (403, "AccessRoleMissing")
    assert harness.store.count_requests() == count


def test_the_readme_lists_at_most_ten_files_to_add_a_write_and_they_exist() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Adding a ledger write", 1)[1].split("\n#", 1)[0]
    steps = re.findall(r"^\d+\. `([^`]+)`", section, re.M)
    assert 0 < len(steps) <= 10 and "gateway/operations/_catalog.py" in steps
    for path in steps:
        assert (Path(__file__).parents[2] / path).is_file(), path
