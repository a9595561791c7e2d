"""Cells and columns of an import, without a gateway: units to grams exactly, every rule's code."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracenet.contracts import MAX_QUANTITY_G
from tracenet.erp import (
    KINDS,
    FileError,
    RowError,
    build,
    load_mapping,
    parse_date,
    parse_grams,
    read_table,
)


@pytest.mark.parametrize(
    ("text", "grams"),
    [
        ("6 t", 6_000_000),
        ("0.1 t", 100_000),
        ("12.5 kg", 12_500),
        ("250000 g", 250_000),
        ("1.001kg", 1_001),
        (" 7 T ", 7_000_000),
        ("1000000000 t", MAX_QUANTITY_G),
    ],
)
def test_quantities_become_exact_grams(text: str, grams: int) -> None:
    assert parse_grams(text, "quantity") == grams


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("1.0005 kg", "TN-IMP-4222"),
        ("0.5 g", "TN-IMP-4222"),
        ("0 kg", "TN-IMP-4223"),
        ("-3 t", "TN-IMP-4223"),
        ("1000000000.000001 t", "TN-IMP-4224"),
        ("6", "TN-IMP-4225"),
        ("6 lb", "TN-IMP-4225"),
        ("1e3 kg", "TN-IMP-4221"),
        ("1,5 t", "TN-IMP-4221"),
        ("six t", "TN-IMP-4221"),
    ],
)
def test_bad_quantities_are_refused_with_their_code(text: str, code: str) -> None:
    with pytest.raises(RowError) as info:
        parse_grams(text, "quantity")
    assert (info.value.code, info.value.field) == (code, "quantity")


@settings(max_examples=200)
@given(
    grams=st.integers(min_value=1, max_value=MAX_QUANTITY_G),
    unit=st.sampled_from([("g", 1), ("kg", 1_000), ("t", 1_000_000)]),
)
def test_any_whole_gram_amount_round_trips_in_every_unit(grams: int, unit: tuple[str, int]) -> None:
    name, factor = unit
    text = format(Decimal(grams) / factor, "f")
    assert parse_grams(f"{text} {name}", "q") == grams
    assert parse_grams(text, "q", name) == grams


def test_dates_are_iso_8601_with_a_zone() -> None:
    assert parse_date("2027-03-31", "date") == "2027-03-31"
    assert parse_date("2027-03-31T14:00:00+02:00", "date") == "2027-03-31T12:00:00Z"
    for bad in ("31.03.2027", "2027-03-31T12:00:00", "2027-02-30"):
        with pytest.raises(RowError) as info:
            parse_date(bad, "date")
        assert info.value.code == "TN-IMP-4228"


def test_a_shipment_row_becomes_the_gateway_body() -> None:
    row = {
        "unit": "resin-a", "to_unit": "4", "product_group": "pet-resin", "quantity": "6 t",
        "document": "DN-2027-00042", "order_ref": "PO-1", "product": "rPET",
        "lines": "79228162514264337593543950337:5.4 t; 0x1000000010000000000000002:1 kg",
    }  # fmt: skip
    body, errors = build(KINDS["shipments"], row)
    assert errors == []
    assert body["unit"] == "resin-a" and body["to_unit"] == 4 and body["quantity_g"] == "6000000"
    assert body["document_hash"].startswith("0x") and len(body["document_hash"]) == 66
    assert body["lines"] == [
        {"token_id": "79228162514264337593543950337", "amount_g": "5400000"},
        {"token_id": str(0x1000000010000000000000002), "amount_g": "1000"},
    ]


def test_every_bad_cell_of_a_row_is_reported() -> None:
    row = {"unit": "", "to_unit": "x", "product_group": "g", "quantity": "1.5 g",
           "document": "d", "order_ref": "o" * 33, "product": "p", "lines": "12"}  # fmt: skip
    _, errors = build(KINDS["shipments"], row)
    assert {(e.field, e.code) for e in errors} == {
        ("unit", "TN-IMP-4226"),
        ("quantity", "TN-IMP-4222"),
        ("order_ref", "TN-IMP-4227"),
        ("lines", "TN-IMP-4230"),
    }


def test_a_mapping_renames_the_partys_columns_and_a_missing_one_is_named(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("unit: Werk\nquantity: Menge\ndocument: Lieferschein\n")
    data = tmp_path / "p.csv"
    data.write_text("Werk;product_group;Menge;Lieferschein\nrecycling-plant;pet-flakes;2 t;LS-1\n")
    table = read_table(data, KINDS["productions"], load_mapping(mapping))
    ((number, cells),) = table.rows
    body, errors = build(KINDS["productions"], table.documented(cells))
    assert number == 2 and errors == []
    assert body["quantity_g"] == "2000000" and body["unit"] == "recycling-plant"
    assert table.column_of("quantity") == "Menge"
    data.write_text("Werk;product_group;Lieferschein\nx;y;z\n")
    with pytest.raises(FileError, match="Menge"):
        read_table(data, KINDS["productions"], load_mapping(mapping))


def test_xlsx_cells_read_like_csv_cells(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["unit", "product_group", "quantity", "quantity_unit", "document"])
    sheet.append(["recycling-plant", 1, 0.1, "t", "LS-1"])
    sheet.append([None, None, None, None, None])  # an empty row is skipped
    sheet.append(["recycling-plant", 1, 12.5, "kg", "LS-2"])
    path = tmp_path / "p.xlsx"
    book.save(path)
    table = read_table(path, KINDS["productions"], {})
    bodies = [build(KINDS["productions"], table.documented(c))[0] for _, c in table.rows]
    assert [n for n, _ in table.rows] == [2, 4]
    assert [b["quantity_g"] for b in bodies] == ["100000", "12500"]
    assert bodies[0]["product_group"] == 1


def test_a_rolling_average_claim_row_names_class_and_quantity() -> None:
    """R8 (issue 10): no lines, the class and the claimed product quantity; the gateway takes the
    unit's share in force of that quantity."""
    row = {"unit": "brand-dc", "beneficiary": "Acme", "product": "crate", "purpose": "recycled",
           "class": "rhdpe-pellet", "quantity": "5 t"}  # fmt: skip
    body, errors = build(KINDS["claims"], row)
    assert errors == []
    assert (body["class"], body["quantity_g"]) == ("rhdpe-pellet", "5000000")
    assert "lines" not in body
