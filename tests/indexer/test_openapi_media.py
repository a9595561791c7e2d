"""What the read API documents is what it answers (issue 26): the declaration page's errors are
the JSON error body, and OpenAPI says so (it listed them as ``text/html``); a trailing slash is
no route, never a redirect to another route's answer."""

from __future__ import annotations

import warnings

from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from tests.factories import P_AUDITOR, World
from tests.indexer.test_reports import TestClient, flakes_to_resin
from tracenet.indexer import Follower
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key
from tracenet.indexer.verifier._chainread import read_chain

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        status_code_conformance,
    )


def test_every_error_is_documented_as_json_and_answered_so(
    world: World, follower: Follower, engine: Engine
) -> None:
    flakes_to_resin(world)
    follower.catch_up()
    record = read_chain(world.w3, world.handle.deployment)
    with engine.begin() as conn:
        key = create_key(conn, P_AUDITOR)
    app = create_app(engine, chain=lambda: record)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        paths = client.get("/openapi.json").json()["paths"]
        html = paths["/v1/shipments/{shipment_id}/declaration.html"]["get"]["responses"]
        assert list(html["200"]["content"]) == ["text/html"]
        for path, operations in paths.items():
            for method, op in operations.items():
                for status, doc in op["responses"].items():
                    if not status.startswith("2"):
                        assert list(doc["content"]) == ["application/json"], (path, method, status)
        bad = client.get("/v1/shipments/-1/declaration.html", headers=headers)
        assert (bad.status_code, bad.headers["content-type"]) == (422, "application/json")
        assert bad.json()["code"] == "TN-IX-422-00"
        slash = client.get("/v1/shipments/", headers=headers)
        assert (slash.status_code, slash.json()["code"]) == (404, "TN-IX-404-01")

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance]
    operation = schema["/v1/shipments/{shipment_id}/declaration.html"]["GET"]
    for mode in GenerationMode:

        @settings(
            max_examples=10, derandomize=True, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(case=operation.as_strategy(generation_mode=mode))
        def one(case: object) -> None:
            response = case.call(headers=headers)  # type: ignore[attr-defined]
            case.validate_response(response, checks=checks)  # type: ignore[attr-defined]

        one()
