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
    from tracenet.erp import parse_hash

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
        (5, "unit", "TN-GW-422-05", "UnitUnknown"),
        (6, "unit", "TN-GW-403-02", "UnitNotOwned"),
        (7, "document", "TN-IMP-4226", "ColumnInvalid"),
        (7, "quantity", "TN-IMP-4226", "ColumnInvalid"),
        (7, "unit", "TN-IMP-4226", "ColumnInvalid"),
        (8, "quantity", "TN-IMP-4224", "ColumnInvalid"),
    ]
    assert live.store.count_requests() == 0
    assert recorded(live) == Counter()
    offline = tracenet("import", "productions", str(data), "--check", "--offline", env=env)
    assert offline.returncode == 1 and "7 rows checked, 4 with 6 problems" in offline.stdout


def test_an_xlsx_of_shipments_records_the_good_rows_and_gives_each_refusal_its_reason(
    live: Live, tmp_path: Path
) -> None:
    import openpyxl

    w = live.world
    receipt = w.ok(
        "record_input", w.cast.recycler, f.C_FLAKE, 10_000_000, f.CERT_RECYCLER, f.evidence("x")
    )
    token = w.events(receipt, "InputRecorded")[0]["tokenId"]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Werk", "Kunde", "Gruppe", "Menge", "Lieferschein", "Auftrag", "Produkt",
                  "Gutschriften", "Datum"])  # fmt: skip
    base = ["recycling-plant", "resin-a", "pet-flakes"]
    sheet.append([*base, "6 t", "DN-1", "PO-1", "flakes", f"{token}:6 t", "2031-01-05"])
    sheet.append([*base, "1 t", "DN-2", "PO-2", "flakes", f"{token}:2 t", "2031-01-06"])
    sheet.append([*base, "11 t", "DN-3", "PO-3", "flakes", f"{token}:11 t", "2031-01-07"])
    data = tmp_path / "deliveries.xlsx"
    book.save(data)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "unit: Werk\nto_unit: Kunde\nproduct_group: Gruppe\nquantity: Menge\n"
        "document: Lieferschein\norder_ref: Auftrag\nproduct: Produkt\nlines: Gutschriften\n"
        "date: Datum\n"
    )
    env = import_env(live, tmp_path, f.P_RECYCLER)
    done = tracenet("import", "shipments", str(data), "--mapping", str(mapping), env=env)
    assert done.returncode == 1, done.stderr
    assert "1 confirmed, 0 already done (skipped), 2 rejected" in done.stdout, done.stdout
    assert "1 × CapExceeded (Gutschriften)" in done.stdout
    assert "1 × CreditsInsufficient (Gutschriften)" in done.stdout
    rows = {r["row"]: r for r in result_rows(tmp_path / "deliveries.xlsx.result.csv")}
    assert rows["2"]["outcome"] == "confirmed" and rows["2"]["transaction"].startswith("0x")
    assert (rows["3"]["outcome"], rows["3"]["error"]) == ("rejected", "CapExceeded")
    assert (rows["4"]["outcome"], rows["4"]["error"]) == ("rejected", "CreditsInsufficient")
    assert rows["3"]["request_id"] == "" and rows["3"]["Auftrag"] == "PO-2"
    logs = w.ledger.events.Shipped().get_logs(from_block=0)
    assert [e["args"]["quantity"] for e in logs] == [6_000_000]


def test_ctrl_c_stops_with_one_line_and_the_rerun_resumes(live: Live, tmp_path: Path) -> None:
    import signal
    import time

    from tests.erp.conftest import start

    n = 60
    env = import_env(live, tmp_path, f.P_RECYCLER)
    env["TRACENET_IMPORT_BATCH_ITEMS"] = "3"
    data = tmp_path / "prod.csv"
    data.write_text(
        "unit,product_group,quantity,document\n"
        + "".join(f"recycling-plant,pet-flakes,{i + 1} kg,CC-{i}\n" for i in range(n))
    )
    victim = start("import", "productions", str(data), env=env)
    deadline = time.monotonic() + 120
    while live.store.count_requests() < 6:
        assert victim.poll() is None, victim.communicate()
        assert time.monotonic() < deadline, "the import accepted nothing"
        time.sleep(0.01)
    victim.send_signal(signal.SIGINT)
    _, err = victim.communicate(timeout=60)
    assert victim.returncode == 130, err
    last = [line for line in err.splitlines() if line.startswith("tracenet:")]
    assert last == ["tracenet: error: interrupted; run the same command again to resume"]
    assert "Traceback" not in err
    assert live.store.count_requests() < n
    rerun = tracenet("import", "productions", str(data), env=env)
    assert rerun.returncode == 0, rerun.stderr + rerun.stdout
    assert live.store.count_requests() == n
    docs = Counter(doc for _, doc in recorded(live).elements())
    assert len(docs) == n and set(docs.values()) == {1}
