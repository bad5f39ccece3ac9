"""The provincial office imports a ledger of county cases already closed
(完成情况 已完成): its walk passes the city's review, recorded as the
city's review signed by the importer with the opinion “recorded from the
ledger” (据台账补录). The province-wide machine account, which may import
but reviews at no level, is refused the same file whole, naming the row and
the 完成情况 cell (city and county accounts do not import at all:
test_who_may_import.py)."""

from cases.constants import Level, ReviewResult
from cases.models import Case, Review
from .conftest import LEDGER_HEADER, ledger_row, outcomes, run_import, xlsx_bytes


def ledger():
    rows = [
        ledger_row(1, region="九江市浔阳区", unit="九江市人民政府", completion="已完成"),
        ledger_row(2, region="九江市浔阳区", unit="九江市人民政府", completion="整改中"),
    ]
    return xlsx_bytes(("台账", [LEDGER_HEADER, *rows]))


def test_the_province_imports_closed_county_cases_recording_the_citys_review(supervisor, central):
    job = run_import(supervisor, ledger(), "历史台账.xlsx", central)

    assert job.state == "done", job.report
    assert outcomes(job) == {"1": "created", "2": "created"}
    closed = Case.objects.get(reference="1")
    assert (closed.status, closed.division_id) == ("closed", "360403")
    city = Review.objects.get(case=closed, level=Level.CITY)
    assert (city.result, city.reviewer) == (ReviewResult.APPROVED, supervisor)
    assert city.opinion.startswith("Recorded from the ledger by the provincial office (据台账补录)")
    assert Review.objects.get(case=closed, level=Level.PROVINCE).result == ReviewResult.CLOSED
    assert Case.objects.get(reference="2").status == "in_progress"
    # The same ledger again: nothing changes.
    assert set(outcomes(run_import(supervisor, ledger(), "历史台账.xlsx", central)).values()) == {"unchanged"}


def test_the_province_wide_system_importing_the_same_ledger_is_refused_whole(central, province_client):
    job = run_import(province_client, ledger(), "历史台账.xlsx", central)

    assert job.state == "failed" and job.error_code == "invalid_rows"
    [invalid] = [row for row in job.report["rows"] if row["outcome"] == "invalid"]
    assert (invalid["row"], invalid["problems"][0]["column"], invalid["problems"][0]["cell"]) == (2, "完成情况", "I2")
    assert "reviewing level" in invalid["problems"][0]["message"]
    assert not Case.objects.exists() and not Review.objects.exists()
