"""The supervisor's import pages: upload, follow the job, read the
per-row report, apply a dry run. Chinese first, like every page."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from cases.models import Case
from imports.models import ImportJob

from .conftest import LEDGER_HEADER, csv_bytes, ledger_row


def upload(rows, name="ledger.csv"):
    return SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")


def test_the_upload_page_offers_the_campaigns_and_states_the_limits(client, supervisor, central, settings):
    settings.IMPORT_MAX_ROWS = 50000
    client.force_login(supervisor)

    response = client.get("/imports/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    page = response.content.decode()
    assert response.status_code == 200
    assert "导入表格" in page
    assert central.name in page
    assert "50000" in page
    assert '<input type="checkbox" name="dry_run" id="id_dry_run" checked>' in page


def test_a_dry_run_leads_to_the_report_with_row_column_and_problem(client, supervisor, central):
    client.force_login(supervisor)
    rows = [LEDGER_HEADER, ledger_row(1), ledger_row(2, deadline="明年")]

    response = client.post("/imports/", {"file": upload(rows), "campaign": central.code, "dry_run": "on"}, follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert "试运行" in page
    assert "整改时限 (G3)" in page
    assert "明年" in page
    # All or nothing: a file with an invalid row cannot be applied.
    assert "正式导入此文件" not in page
    assert "此文件不能导入：有 1 行有错误" in page
    assert not Case.objects.exists()


def test_applying_from_the_report_page_creates_the_rows(client, supervisor, central):
    client.force_login(supervisor)
    rows = [LEDGER_HEADER, ledger_row(1), ledger_row(2)]
    dry = client.post("/imports/", {"file": upload(rows), "campaign": central.code, "dry_run": "on"})
    assert "正式导入此文件" in client.get(dry["Location"], HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    response = client.post(dry["Location"] + "apply/", follow=True)

    assert response.status_code == 200
    assert sorted(Case.objects.values_list("reference", flat=True)) == ["1", "2"]


def test_an_applied_file_with_an_invalid_row_is_refused_and_lists_it(client, supervisor, central):
    client.force_login(supervisor)
    rows = [LEDGER_HEADER, ledger_row(1), ledger_row(2, deadline="明年")]

    response = client.post("/imports/", {"file": upload(rows), "campaign": central.code}, follow=True)

    page = response.content.decode()
    assert "文件被拒绝；未作任何更改。" in page
    assert "有 1 行有错误" in page
    assert "整改时限 (G3)" in page and "明年" in page
    assert "合成问题 1" not in page and "<td class=\"ref\" data-label=\"编号\">1</td>" not in page
    assert not Case.objects.exists()


def test_a_refused_file_shows_the_reason_in_chinese(client, supervisor, central):
    client.force_login(supervisor)

    response = client.post(
        "/imports/", {"file": upload([["甲", "乙"], ["1", "2"]]), "campaign": central.code}, follow=True
    )

    page = response.content.decode()
    assert "文件被拒绝；未作任何更改。" in page
    assert "没有找到表头行" in page


def test_a_file_of_the_wrong_type_is_a_form_error_naming_the_field(client, supervisor, central):
    client.force_login(supervisor)

    with translation.override("zh-hans"):
        response = client.post(
            "/imports/", {"file": SimpleUploadedFile("notes.txt", b"hello"), "campaign": central.code}
        )

    assert response.status_code == 400
    assert "只能导入 .xlsx 和 .csv 文件。" in response.content.decode()
    assert not Case.objects.exists()


def test_the_event_note_names_file_and_importer_in_chinese(client, supervisor, central):
    client.force_login(supervisor)

    client.post("/imports/", {"file": upload([LEDGER_HEADER, ledger_row(1)], "台账.csv"), "campaign": central.code})

    note = Case.objects.get().events.first().note
    job = ImportJob.objects.get()
    assert note == f"由 {supervisor.username} 从“台账.csv”导入（导入任务 #{job.pk}）。"
