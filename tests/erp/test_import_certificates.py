"""``tracenet import certificates FILE`` (issue 20): a certification body's published list,
checked, recorded, run again (nothing twice), and a later list that suspends and reinstates."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from tests import factories as f
from tests.erp.conftest import import_env, tracenet
from tests.gateway.live import Live
from tracenet.kit import iso_time

HEADER = "number,holder,scheme,classes,units,valid_from,valid_until,status,status_from,reason\n"


def rows(path: Path) -> dict[int, dict[str, Any]]:
    with path.open(newline="") as handle:
        return {int(r["row"]): r for r in csv.DictReader(handle)}


def status(live: Live, number: str) -> tuple[int, int]:
    c = live.world.consortium.functions
    cid = c.certificateByNumber(f.S_PLUS, number).call()
    return cid, (c.certificate(cid).call()[5] if cid else -1)


def test_a_published_list_is_recorded_once_with_its_statuses(live: Live, tmp_path: Path) -> None:
    env = import_env(live, tmp_path, f.P_CERTIFIER)
    now = live.world.now()
    start, until = iso_time(now - 10 * 86_400)[:10], iso_time(now + 365 * 86_400)[:10]
    since = iso_time(now - 5 * 86_400)
    scope = "iscc-plus,rpet-flake,recycling-plant"
    data = tmp_path / "list.csv"
    data.write_text(
        HEADER
        + f"CB-A-1,recycler,{scope},{start},{until},valid,,\n"  # row 2: new, valid
        + f"CB-A-2,recycler,{scope},{start},{until},Suspended,{since},late audit\n"  # row 3
        + f"ISCC-PLUS-REC-001,recycler,{scope},{start},{until},,,\n"  # row 4: on chain already
        + f"CB-A-4,recycler,{scope},{start},{until},revoked,{since},\n"  # row 5: no such status
        + f"CB-A-5,recycler,{scope},{start},{until},withdrawn,,\n"  # row 6: no effective date
        + f"CB-A-6,recycler,{scope},{start},{until},expired,,\n"  # row 7: by date, nothing stated
    )
    checked = tracenet("import", "certificates", str(data), "--check", env=env)
    assert checked.returncode == 1, checked.stderr
    report = rows(tmp_path / "list.csv.errors.csv")
    assert {(n, r["column"], r["code"]) for n, r in report.items()} == {
        (5, "status", "TN-IMP-4231"), (6, "status_from", "TN-IMP-4226"),
    }  # fmt: skip
    assert live.store.count_requests() == 0

    done = tracenet("import", "certificates", str(data), env=env)
    assert done.returncode == 1, done.stderr  # rows 5 and 6 are invalid
    outcome = {n: r["outcome"] for n, r in rows(tmp_path / "list.csv.result.csv").items()}
    assert outcome == {
        2: "confirmed", 3: "confirmed", 4: "already-done", 5: "invalid", 6: "invalid",
        7: "confirmed",
    }  # fmt: skip
    assert status(live, "CB-A-1")[1] == 0 and status(live, "CB-A-6")[1] == 0
    assert status(live, "CB-A-2")[1] == 1  # suspended, as listed
    requests = live.store.count_requests()

    again = tracenet("import", "certificates", str(data), env=env)
    outcome = {n: r["outcome"] for n, r in rows(tmp_path / "list.csv.result.csv").items()}
    assert again.returncode == 1 and {outcome[n] for n in (2, 3, 4, 7)} == {"already-done"}
    assert status(live, "CB-A-2")[1] == 1

    later = tmp_path / "list-later.csv"  # the body's next list: reinstated, another terminated
    back = iso_time(now - 1)
    later.write_text(
        HEADER
        + f"CB-A-2,recycler,{scope},{start},{until},valid,{back},corrective action closed\n"
        + f"CB-A-1,recycler,{scope},{start},{until},terminated,{back},\n"
    )
    assert tracenet("import", "certificates", str(later), env=env).returncode == 0
    assert status(live, "CB-A-2")[1] == 0 and status(live, "CB-A-1")[1] == 3
    assert live.store.count_requests() > requests
