"""The archive: exported from a chain, checked and its books recomputed from its files alone
(no node), equal to the indexer's mirror; tampering and another fork found."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tests.factories import (
    C_FLAKE,
    C_RESIN,
    CERT_RECYCLER,
    G_FLAKE,
    G_RESIN,
    PR_RESIN,
    U_BRAND,
    U_RESIN,
    World,
    at,
    evidence,
)
from tracenet.cli import main
from tracenet.contracts import split_token_id
from tracenet.indexer import Follower
from tracenet.indexer.archive import ArchiveError, check_archive, export_archive
from tracenet.indexer.mirror._registry import table
from tracenet.indexer.mirror._tables import Balance

T = 1_000_000


def _play(world: World, docs: Path) -> None:
    """10 t of flakes in (its evidence a file), 6 t shipped, 90 % to resin, 5 t of resin to the
    brand, 1 t claimed."""
    c = world.cast
    world.travel(at(2031, 2, 1))
    docs.mkdir()
    (docs / "sd-flakes.pdf").write_bytes(b"%PDF-1.4 the recycler's SD of 10 t of flakes")
    # the evidence hash is the file's SHA-256, as a party's console computes it
    evidence_hash = hashlib.sha256((docs / "sd-flakes.pdf").read_bytes()).digest()
    r = world.ok("record_input", c.recycler, C_FLAKE, 10 * T, CERT_RECYCLER, evidence_hash)
    flake = world.events(r, "InputRecorded")[0]["tokenId"]
    world.ok("ship", c.recycler, U_RESIN, G_FLAKE, 6 * T, evidence(), [(flake, 6 * T)])
    r = world.ok("convert", c.resin, PR_RESIN, 0, [(flake, 6 * T)])
    resin = world.events(r, "Converted")[0]["outputTokenId"]
    world.ok("ship", c.resin, U_BRAND, G_RESIN, 5 * T, evidence(), [(resin, 5 * T)])
    world.ok("claim", c.brand, [(resin, T)], "Acme Bottles")


@pytest.fixture
def archived(world: World, tmp_path: Path) -> Path:
    _play(world, tmp_path / "docs")
    out = tmp_path / "archive"
    export_archive(world.w3, world.handle.deployment, out, documents=tmp_path / "docs")
    return out


def test_the_archive_holds_offline_and_its_books_are_the_ledgers(archived: Path) -> None:
    report = check_archive(archived)  # no node
    assert report.ok, [c for c in report.checks if not c.ok]
    names = {c.name for c in report.checks}
    assert {"files-intact", "events-decode", "r13-reconciles", "two-folds-agree"} <= names
    assert {"supply-equals-ledger", "counts-equal-ledger", "documents-anchored"} <= names
    assert not report.against_chain
    books = report.books
    assert books is not None
    flake, resin = books.supply[C_FLAKE], books.supply[C_RESIN]
    assert (flake.issued, flake.converted_out, flake.held) == (10 * T, 6 * T, 4 * T)
    assert (resin.converted_in, resin.claimed, resin.held) == (5_400_000, T, 4_400_000)
    assert report.verdicts and all(v.ok for v in report.verdicts.values())


def test_the_archive_matches_the_chain_and_the_indexers_mirror(
    archived: Path, world: World, follower: Follower, engine: Engine
) -> None:
    report = check_archive(archived, w3=world.w3)
    assert report.ok and report.against_chain
    assert {"chain-anchors", "chain-logs", "chain-balances"} <= {c.name for c in report.checks}
    follower.catch_up()
    with engine.connect() as conn:
        b = table(Balance)
        mirror = {
            (int(r.unit_id), int(r.class_id), int(r.vintage), int(r.batch)): int(r.amount)
            for r in conn.execute(select(b))
            if int(r.amount)
        }
    assert report.books is not None
    mine = {(u, *split_token_id(t)): g for (u, t), g in report.books.balances.items()}
    assert mine == mirror


def test_a_changed_file_or_line_is_found(archived: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(archived, copy)
    events = copy / "events.jsonl"
    lines = events.read_text().splitlines()
    first = json.loads(lines[-1])
    first["args"]["amounts"] = [a + 1 for a in first["args"].get("amounts", [1])]
    lines[-1] = json.dumps(first)
    events.write_text("\n".join(lines) + "\n")
    report = check_archive(copy)
    assert not report.ok
    (intact,) = [c for c in report.checks if c.name == "files-intact"]
    assert not intact.ok and "events.jsonl changed since export" in intact.detail
    # the manifest rewritten to match: the decoded logs still give it away
    manifest = json.loads((copy / "manifest.json").read_text())
    from tracenet.indexer.archive._format import file_digest

    manifest["files"]["events.jsonl"] = file_digest(events)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    report = check_archive(copy)
    assert [c.name for c in report.checks if not c.ok] == ["events-decode"]


def test_another_fork_is_found(archived: Path, world: World) -> None:
    blocks = archived / "blocks.jsonl"
    rows = [json.loads(line) for line in blocks.read_text().splitlines()]
    rows[-1]["hash"] = "0x" + "ab" * 32
    blocks.write_text("".join(json.dumps(r) + "\n" for r in rows))
    manifest = json.loads((archived / "manifest.json").read_text())
    from tracenet.indexer.archive._format import file_digest

    manifest["files"]["blocks.jsonl"] = file_digest(blocks)
    (archived / "manifest.json").write_text(json.dumps(manifest))
    report = check_archive(archived, w3=world.w3)
    assert {c.name for c in report.checks if not c.ok} >= {"chain-anchors"}


def test_export_refuses_a_full_folder_and_an_unanchored_document(
    world: World, tmp_path: Path
) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("x")
    with pytest.raises(ArchiveError, match="not empty"):
        export_archive(world.w3, world.handle.deployment, full)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "invoice.pdf").write_bytes(b"no event carries this")
    with pytest.raises(ArchiveError, match=r"invoice\.pdf: no event of this ledger"):
        export_archive(world.w3, world.handle.deployment, tmp_path / "out", documents=docs)


def test_verify_from_the_terminal(archived: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["archive", "verify", str(archived)]) == 0
    out = capsys.readouterr().out
    assert "The archive holds, from its files alone." in out
    assert "Claims: 1 of 1 hold" in out and "rPET" in out and " t" in out
    assert main(["archive", "verify", str(archived), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["holds"] is True
    assert main(["archive", "verify", str(archived), "--claim", "99"]) == 1
    assert "no claim 99 in the archive" in capsys.readouterr().out
    assert main(["archive", "verify", str(archived.parent / "nothing")]) == 2
    assert "no archive here" in capsys.readouterr().err
