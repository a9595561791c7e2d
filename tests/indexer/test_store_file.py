"""The mirror's SQLite file holds the read keys' hashes: created owner-only (0600), its WAL
too, whatever the umask; an existing file left readable by others is tightened (issue 26)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.factories import P_AUDITOR, World
from tests.indexer.conftest import follower_for
from tracenet.indexer import make_engine
from tracenet.indexer.api._keys import create_key


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_mirror_file_is_created_owner_only(world: World, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{tmp_path}/idx/mirror.sqlite3")
        follower = follower_for(world, engine)
        follower.catch_up()
        with engine.begin() as conn:
            create_key(conn, P_AUDITOR)
        follower.close()
        for name in ("mirror.sqlite3", "mirror.sqlite3-wal"):
            assert _mode(tmp_path / "idx" / name) == 0o600, name
        engine.dispose()
        loose = tmp_path / "idx" / "mirror.sqlite3"
        loose.chmod(0o644)
        make_engine(f"sqlite:///{loose}").dispose()
        assert _mode(loose) == 0o600
    finally:
        os.umask(old)
