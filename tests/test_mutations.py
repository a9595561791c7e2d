"""The committed list of rule mutations (``make mutate``, tests/mutate.py) still matches the
sources: every original snippet occurs exactly once, every rule is R1…R13, every test path exists.
A refactoring that moves a guarded line fails here, not silently in the next mutation run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import mutate


def test_every_mutation_matches_its_source() -> None:
    mutations = mutate.load()
    assert len(mutations) >= 25
    assert {m.file.split("/")[0] for m in mutations} >= {"contracts", "gateway", "indexer"}
    rules = {m.rule for m in mutations}
    assert {"R1", "R3", "R4", "R5", "R6", "R7", "R8"} <= rules


def test_a_snippet_that_moved_is_named(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "a.py").write_text("if x > cap:\n    pass\nif x > cap:\n")
    listing = tmp_path / "mutations.yaml"
    listing.write_text(
        "mutations:\n"
        "  - {id: twice, rule: R6, file: a.py, original: 'if x > cap:', mutated: 'if x:',"
        " tests: tests, why: w}\n"
        "  - {id: gone, rule: R14, file: b.py, original: o, mutated: m, tests: tests/x.py,"
        " why: w}\n"
    )
    with pytest.raises(mutate.ListError) as info:
        mutate.load(listing, tmp_path)
    message = str(info.value)
    assert "(twice): the original occurs 2 times in a.py, not once" in message
    assert "(gone): rule 'R14' is not R1…R13" in message
    assert "(gone): no file b.py" in message
    assert "(gone): no tests at tests/x.py" in message
