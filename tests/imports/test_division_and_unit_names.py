"""Issue 13, point 8: a ledger's 行政区域 and 责任单位 resolve to divisions
and units by name; an ambiguous or unknown name is an error naming the
row and the value, and nothing of the file is written, in a dry run and
an apply, on the page, in the API, by the command and in the worker."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from cases.models import Case, Division, Unit
from tests.conftest import token_client

from .conftest import LEDGER_HEADER, PETITION_HEADER, csv_bytes, ledger_row, petition_row, run_import, xlsx_bytes


def ledger(*rows) -> bytes:
    return xlsx_bytes(("台账", [LEDGER_HEADER, *rows]))


def invalid_rows(job) -> list[tuple]:
    """(row, column, cell, message) of every problem of the invalid rows."""
    return [
        (row["row"], problem["column"], problem["cell"], problem["message"])
        for row in job.report["rows"]
        if row["outcome"] == "invalid"
        for problem in row["problems"]
    ]


@pytest.fixture
def synthetic_twins(db):
    """合成区 in Nanchang and in Jiujiang (synthetic: no such districts)."""
    Division.objects.create(code="360198", name="合成区", level="county", kind="district", parent_id="360100")
    Division.objects.create(code="360498", name="合成区", level="county", kind="district", parent_id="360400")


def test_xunyang_is_found_however_it_is_written(supervisor, central):
    rows = [PETITION_HEADER] + [
        petition_row(n, f"X2JX2021041500{n:02d}", region=region)
        for n, region in enumerate(["浔阳区", "九江市浔阳区", "浔阳", "江西省九江市浔阳区"], start=1)
    ]

    job = run_import(supervisor, csv_bytes(rows), "batch.csv", central)

    assert job.state == "done", job.report
    assert list(Case.objects.values_list("division_id", flat=True).order_by().distinct()) == ["360403"]
    assert Case.objects.count() == 4


def test_a_ledger_s_responsible_unit_becomes_the_lead_unit(supervisor, central):
    unit = Unit.objects.create(name="九江市浔阳区人民政府", division_id="360403", kind="government")

    run_import(supervisor, ledger(ledger_row(1, region="浔阳区", unit="九江市浔阳区人民政府")), "l.xlsx", central)

    case = Case.objects.get()
    assert (case.division_id, case.lead_unit_id) == ("360403", unit.pk)


@pytest.mark.parametrize("dry_run", [True, False])
def test_unknown_and_ambiguous_names_refuse_the_whole_file_naming_row_column_and_value(
    dry_run, supervisor, central, synthetic_twins
):
    Unit.objects.create(name="合成局", division_id="360400", kind="bureau")
    Unit.objects.create(name="合成局", division_id="360403", kind="bureau")
    data = ledger(
        ledger_row(1),
        ledger_row(2, region="合成区"),  # ambiguous division
        ledger_row(3, region="九江市某某区", unit="九江市人民政府"),  # unknown division
        ledger_row(4, unit="南昌市不存在局"),  # unknown unit
        ledger_row(5, region="浔阳区", unit="合成局"),  # ambiguous unit
        ledger_row(6, region="九江市浔阳区", unit="九江市人民政府"),
    )

    job = run_import(supervisor, data, "ledger.xlsx", central, dry_run=dry_run)

    problems = invalid_rows(job)
    assert [(row, column, cell) for row, column, cell, _message in problems] == [
        (3, "行政区域", "F3"),
        (4, "行政区域", "F4"),
        (5, "责任单位", "E5"),
        (6, "责任单位", "E6"),
    ]
    for (_row, _column, _cell, message), value in zip(problems, ["合成区", "九江市某某区", "南昌市不存在局", "合成局"]):
        assert f"“{value}”" in message
    assert "360198, 360498" in problems[0][3]
    assert job.counts()["invalid"] == 4
    assert job.state == ("done" if dry_run else "failed")
    assert not Case.objects.exists()


def test_the_api_answers_a_refused_file_with_its_invalid_rows(supervisor, central):
    data = ledger(ledger_row(1), ledger_row(2, unit="南昌市不存在局"))

    response = token_client(supervisor).post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("l.xlsx", data), "campaign": central.code, "dry_run": "false"},
    )

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid_rows"
    assert [(row["row"], row["problems"][0]["cell"]) for row in body["job"]["rows"]] == [(3, "E3")]
    assert "南昌市不存在局" in body["job"]["rows"][0]["problems"][0]["message"]
    assert body["job"]["state"] == "failed"
    assert not Case.objects.exists()


def test_the_page_lists_the_rows_of_a_refused_file(client, supervisor, central):
    client.force_login(supervisor)
    upload = SimpleUploadedFile("l.xlsx", ledger(ledger_row(1), ledger_row(2, region="某某县")))

    response = client.post("/imports/", {"file": upload, "campaign": central.code}, follow=True)

    page = response.content.decode()
    assert "文件被拒绝；未作任何更改。" in page
    assert "行政区域 (F3)" in page and "“某某县”既不是江西省的设区市" in page
    assert not Case.objects.exists()


def test_the_command_lists_the_rows_of_a_refused_file(tmp_path, supervisor, central):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(ledger(ledger_row(1), ledger_row(2, unit="南昌市不存在局")))
    out = io.StringIO()

    with pytest.raises(CommandError, match="nothing of the file was imported"):
        call_command("import_cases", str(path), "--campaign", central.code, stdout=out)

    assert "台账 row 3 2: invalid" in out.getvalue()
    assert "责任单位 E3: Unknown unit “南昌市不存在局”" in out.getvalue()
    assert not Case.objects.exists()


def test_a_large_file_in_the_worker_is_all_or_nothing_too(
    supervisor, central, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_BYTES = 1024
    rows = [PETITION_HEADER] + [petition_row(n, f"X2JX20210415{n:04d}") for n in range(1, 41)]
    rows[35][3] = "某某县"

    with django_capture_on_commit_callbacks(execute=True):
        job = run_import(supervisor, csv_bytes(rows), "batch.csv", central)
        assert job.state == "queued"

    job.refresh_from_db()
    assert job.state == "failed" and job.error_code == "invalid_rows"
    assert [(row, cell) for row, _column, cell, _message in invalid_rows(job)] == [(36, "D36")]
    assert not Case.objects.exists()
