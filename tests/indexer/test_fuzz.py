"""A property-based fuzz of the read API's OpenAPI (schemathesis, pinned): for every operation,
paths and queries generated from the schema, valid and invalid, with an auditor's read key on a
mirror holding the flake-to-resin story, answer no 5xx and no status the operation does not
document. Bounded and derandomised (a fixed seed): the same examples on every run."""

from __future__ import annotations

import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from tests.factories import P_AUDITOR, World
from tests.indexer.conftest import follower_for
from tests.indexer.test_reports import flakes_to_resin
from tracenet.indexer import Follower, make_engine
from tracenet.indexer.api._api import create_app
from tracenet.indexer.api._keys import create_key

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import status_code_conformance

EXAMPLES = 25  # per operation and generation mode


def test_the_openapi_fuzz_finds_no_server_error_and_no_undocumented_status(
    world: World, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/mirror.sqlite3")
    follower: Follower = follower_for(world, engine)
    flakes_to_resin(world)
    follower.catch_up()
    follower.close()
    with engine.begin() as conn:
        key = create_key(conn, P_AUDITOR)
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(engine))
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) == 13, [op.label for op in operations]
    checks = [not_a_server_error, status_code_conformance]
    seen: dict[int, int] = {}
    for op, mode in [(op, mode) for op in operations for mode in GenerationMode]:

        @settings(
            max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(case=op.as_strategy(generation_mode=mode))
        def one(case: object) -> None:
            response = case.call(headers=headers)  # type: ignore[attr-defined]
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            case.validate_response(response, checks=checks)  # type: ignore[attr-defined]

        one()
    engine.dispose()
    # The fuzz reached past the parameter checks: reports answered, unknowns and bad input refused.
    assert {200, 404, 422} <= set(seen), seen
