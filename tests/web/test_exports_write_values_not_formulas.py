"""Every export writes every cell as a value (issue 12, point 2): text a
spreadsheet could take for a formula is stored as text with the quote
prefix, so it is shown as typed and never evaluated, and it reads back
unchanged."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from cases.models import Unit
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

FORMULA_LIKE = {
    "title": "=1+1",
    "progress": '=HYPERLINK("http://attacker.example/","x")',
    "target": "\t=1+1",
    "measures": "\r=1+1",
}
# Units are records; their names are text a ledger shows too.
UNIT_NAMES = {"lead_unit": "-2+3", "cooperating_units": "@SUM(A1:A9)"}


@pytest.fixture
def planted(nanchang):
    lead, cooperating = (Unit.objects.create(name=name, division_id="360100") for name in UNIT_NAMES.values())
    case = CaseFactory(reference="FORMULA-1", city=nanchang, lead_unit=lead, **FORMULA_LIKE)
    case.cooperating_units.add(cooperating)
    return case


def workbook(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def cells_holding(book, texts):
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value in texts]


@pytest.mark.parametrize(
    "url",
    [
        "/cases/export.xlsx",
        "/overdue/export.xlsx",
        "/acceptance/export.xlsx",
        "/cases/ledger.xlsx",
        "/acceptance/ledger.xlsx",
        "/imports/ledger.xlsx",
    ],
)
def test_formula_like_text_is_written_as_quoted_text(client, supervisor, planted, url):
    if "acceptance" in url:
        planted.status = "pending_acceptance"
        planted.save()
    elif "overdue" in url:
        planted.status = "in_progress"
        planted.deadline = datetime.date(2020, 1, 1)
        planted.save()
    client.force_login(supervisor)
    book = workbook(client.get(url))

    cells = cells_holding(book, set(FORMULA_LIKE.values()) | set(UNIT_NAMES.values()))
    # Each export shows a different subset of the fields; each shows some.
    assert len(cells) >= 2, [cell.value for cell in cells]
    for cell in cells:
        assert cell.data_type == "s", (cell.coordinate, cell.value)
        assert cell.quotePrefix, (cell.coordinate, cell.value)
    assert not [
        cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.data_type == "f"
    ]
