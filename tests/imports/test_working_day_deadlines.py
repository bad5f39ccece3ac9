"""A deadline stated as working days from the 交办日期 (办理时限（工作日）,
e.g. a petition's 15个工作日): the import counts them on China's working-day
calendar, as the bulk upsert's ``deadline_working_days`` does. A count that
cannot be read, out of range, given beside a date in 办理时限 or without a
交办日期 refuses the file naming the row, the column and the cell."""

import datetime

import pytest

from cases.models import Case

from .conftest import LEDGER_HEADER, PETITION_HEADER, ledger_row, petition_row, run_import, xlsx_bytes

HEADER = [*PETITION_HEADER, "交办日期", "办理时限（工作日）"]


def petitions(*rows, header=HEADER):
    return xlsx_bytes(("信访件", [header, *rows]))


def row(serial, number, transferred_on, days):
    return [*petition_row(serial, number), transferred_on, days]


def test_working_days_count_from_the_transfer_date_over_the_holidays(supervisor, central):
    # 2026-09-25 (Friday, Mid-Autumn) + 15 working days: 09-25..27 and National Day
    # 10-01..07 are off, Saturday 10-10 is a make-up working day: 09-28, 29, 30,
    # 10-08, 09, 10, 12..16, 19..22.
    data = petitions(
        row(1, "X2JX202609250001", "2026-09-25", 15),
        row(2, "X2JX202609250002", "2026-09-25", "15个工作日"),
    )

    job = run_import(supervisor, data, "batch.xlsx", central)

    assert job.state == "done", job.report
    deadlines = set(Case.objects.values_list("deadline_type", "deadline"))
    assert deadlines == {("dated", datetime.date(2026, 10, 22))}
    again = run_import(supervisor, data, "batch.xlsx", central)
    assert again.counts()["unchanged"] == 2


@pytest.mark.parametrize(
    "days, transferred_on, says",
    [
        ("半个月", "2026-09-25", "number of working days"),
        (400, "2026-09-25", "from 1 to 365"),
        (15, "", "transfer date"),
    ],
)
def test_a_count_that_cannot_be_used_refuses_the_file_naming_the_cell(supervisor, central, days, transferred_on, says):
    data = petitions(row(1, "X2JX202609250001", "2026-09-25", 10), row(2, "X2JX202609250002", transferred_on, days))

    job = run_import(supervisor, data, "batch.xlsx", central)

    assert job.state == "failed" and job.error_code == "invalid_rows"
    [invalid] = [r for r in job.report["rows"] if r["outcome"] == "invalid"]
    [problem] = invalid["problems"]
    assert (invalid["row"], problem["column"], problem["cell"]) == (3, "办理时限（工作日）", "K3")
    assert says in problem["message"]
    assert not Case.objects.exists()


def test_a_date_and_working_days_together_are_refused(supervisor, central):
    header = [*HEADER, "办理时限"]
    data = petitions([*row(1, "X2JX202609250001", "2026-09-25", 15), "2026-10-31"], header=header)

    job = run_import(supervisor, data, "batch.xlsx", central)

    assert job.state == "failed"
    [problem] = job.report["rows"][0]["problems"]
    assert problem["column"] == "办理时限（工作日）" and "not both" in problem["message"]


def test_a_problem_ledger_takes_the_column_and_its_transfer_date_too(supervisor, central):
    header = [h for h in LEDGER_HEADER if h != "整改时限"] + ["交办日期", "整改时限（工作日）"]
    cells = [c for i, c in enumerate(ledger_row(1)) if LEDGER_HEADER[i] != "整改时限"]
    # 整改时限 is required in a ledger: here it is there but empty, the working days stand for it.
    data = xlsx_bytes(("台账", [[*header, "整改时限"], [*cells, "2026-03-02", "30", None]]))

    job = run_import(supervisor, data, "ledger.xlsx", central)

    assert job.state == "done", job.report
    case = Case.objects.get()
    assert (case.transferred_on, case.deadline_type, case.deadline) == (
        datetime.date(2026, 3, 2), "dated", datetime.date(2026, 4, 14)
    )
