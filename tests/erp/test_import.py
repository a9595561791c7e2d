"""``tracenet import --check`` on the fast tier (eth-tester, in-thread gateway): every bad row is
reported with its column and code, nothing is recorded. The 1,000-row import, its re-run and the
SIGKILL resume run on anvil (test_import_anvil.py)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from tests import factories as f
from tests.erp.conftest import import_env, tracenet
from tests.gateway.live import Live

HEADER = "Werk,product_group,Menge,Lieferschein,date\n"
MAPPING = "unit: Werk\nquantity: Menge\ndocument: Lieferschein\n"


def productions_file(path: Path, n: int, tag: str) -> Path:
    rows = [f"recycling-plant,pet-flakes,{i + 1}.5 kg,LS-{tag}-{i},2031-01-0{1 + i % 9}\n"
            for i in range(n)]  # fmt: skip
    path.write_text(HEADER + "".join(rows))
    return path


def recorded(live: Live) -> Counter[tuple[int, bytes]]:
    """(quantity, document hash) of every ProductionRecorded event on the chain."""
    logs = live.world.ledger.events.ProductionRecorded().get_logs(from_block=0)
    return Counter((e["args"]["quantity"], bytes(e["args"]["documentHash"])) for e in logs)


def expected(n: int, tag: str) -> Counter[tuple[int, bytes]]:
    from erp import parse_hash

    return Counter(
        (1_000 * (i + 1) + 500, bytes.fromhex(parse_hash(f"LS-{tag}-{i}", "d")[2:]))
        for i in range(n)
    )


def result_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_check_reports_every_bad_row_and_records_nothing(live: Live, tmp_path: Path) -> None:
    env = import_env(live, tmp_path, f.P_RECYCLER)
    data = tmp_path / "bad.csv"
    data.write_text(
        "unit,product_group,quantity,document\n"
        "recycling-plant,pet-flakes,2 t,ok-1\n"  # row 2: fine
        "recycling-plant,pet-flakes,1.0005 kg,bad-3\n"  # row 3: fractional grams
        "recycling-plant,pet-flakes,2 lb,bad-4\n"  # row 4: unknown unit
        "no-such-unit,pet-flakes,2 t,bad-5\n"  # row 5: the gateway knows no such unit
        "resin-a,pet-flakes,2 t,bad-6\n"  # row 6: another party's unit
        ",pet-flakes,,\n"  # row 7: three empty required cells
        "recycling-plant,pet-flakes,2000000000 t,bad-8\n"  # row 8: above MAX_QUANTITY_G
    )
    checked = tracenet("import", "productions", str(data), "--check", env=env)
    assert checked.returncode == 1, checked.stderr
    assert "7 rows checked, 6 with 8 problems" in checked.stdout, checked.stdout
    report = [
        (int(r["row"]), r["column"], r["code"], r["error"])
        for r in result_rows(tmp_path / "bad.csv.errors.csv")
    ]
    assert sorted(report) == [
        (3, "quantity", "TN-IMP-4222", "ColumnInvalid"),
        (4, "quantity", "TN-IMP-4225", "ColumnInvalid"),
        (5, "unit", "TN-GW-4225", "UnitUnknown"),
        (6, "unit", "TN-GW-4032", "UnitNotOwned"),
        (7, "document", "TN-IMP-4226", "ColumnInvalid"),
        (7, "quantity", "TN-IMP-4226", "ColumnInvalid"),
        (7, "unit", "TN-IMP-4226", "ColumnInvalid"),
        (8, "quantity", "TN-IMP-4224", "ColumnInvalid"),
    ]
    assert live.store.count_requests() == 0
    assert recorded(live) == Counter()
    offline = tracenet("import", "productions", str(data), "--check", "--offline", env=env)
    assert offline.returncode == 1 and "7 rows checked, 4 with 6 problems" in offline.stdout
