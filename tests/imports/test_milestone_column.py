"""The 阶段性目标 (milestones) column of a problem ledger: one yearly target
a line, “2025-12-31 完成……” or “2025年底前 完成……”, a met one ending with
（已完成 <day>）. It gives a long-term (长期坚持) case its targets, whose
earliest unmet date is the case's deadline, so a missed one is overdue. A
cell that cannot be read, or targets on a case that is not long-term,
refuses the whole file, naming the row, the column and the cell."""

import datetime

import pytest
import time_machine

from cases.milestones import add_milestone
from cases.models import Case, CaseEvent, Milestone
from imports.parsing.values import format_milestones, parse_milestones
from tests.conftest import shanghai

from .conftest import LEDGER_HEADER, ledger_row, outcomes, run_import, xlsx_bytes

HEADER = [*LEDGER_HEADER, "阶段性目标"]
TARGETS = "2025年底前 完成一期截污纳管（已完成 2025-11-20）\n2026-06-30：建成污水处理厂二期；2026年底前 出水稳定达标"


@pytest.fixture(autouse=True)
def pinned_day():
    with time_machine.travel(shanghai(2026, 3, 15, 9, 0), tick=False):
        yield


def ledger(*rows):
    return xlsx_bytes(("台账", [HEADER, *rows]))


def row(number, targets, *, deadline="长期坚持"):
    return [*ledger_row(number, deadline=deadline), targets]


def test_the_column_gives_a_long_term_case_its_targets_and_its_deadline(supervisor, central):
    job = run_import(supervisor, ledger(row(1, TARGETS)), "ledger.xlsx", central)

    assert job.state == "done", job.report
    case = Case.objects.get(reference="1")
    targets = list(case.milestones.values_list("due_on", "target", "met_on"))
    assert targets == [
        (datetime.date(2025, 12, 31), "完成一期截污纳管", datetime.date(2025, 11, 20)),
        (datetime.date(2026, 6, 30), "建成污水处理厂二期", None),
        (datetime.date(2026, 12, 31), "出水稳定达标", None),
    ]
    assert (case.deadline_type, case.deadline) == ("long_term", datetime.date(2026, 6, 30))
    assert not Case.objects.overdue().exists()
    # The same file again changes nothing.
    again = run_import(supervisor, ledger(row(1, TARGETS)), "ledger.xlsx", central)
    assert outcomes(again) == {"1": "unchanged"} and Milestone.objects.count() == 3


def test_a_missed_target_makes_the_case_overdue(supervisor, central):
    run_import(supervisor, ledger(row(1, "2025-12-31 完成一期截污纳管")), "ledger.xlsx", central)

    assert list(Case.objects.overdue().values_list("reference", flat=True)) == ["1"]


def test_the_ledger_marks_a_target_met_and_drops_one_no_longer_listed(supervisor, central):
    run_import(supervisor, ledger(row(1, TARGETS)), "ledger.xlsx", central)
    changed = "2025年底前 完成一期截污纳管（已完成 2025-11-20）\n2026-06-30：建成污水处理厂二期（已完成 2026-03-01）"

    job = run_import(supervisor, ledger(row(1, changed)), "ledger.xlsx", central)

    assert outcomes(job) == {"1": "updated"}
    case = Case.objects.get(reference="1")
    assert list(case.milestones.values_list("met_on", flat=True)) == [datetime.date(2025, 11, 20), datetime.date(2026, 3, 1)]
    assert case.deadline is None  # every target met
    event = CaseEvent.objects.filter(case=case).latest("version")
    assert "ledger.xlsx" in event.note and "milestones" in event.changes
    # The target no longer listed keeps its row, marked removed by the importer.
    [dropped] = Milestone.all_objects.filter(case=case, removed_at__isnull=False)
    assert (dropped.target, dropped.removed_by, dropped.removed_at) == ("出水稳定达标", supervisor, event.created_at)
    assert Milestone.all_objects.filter(case=case).count() == 3


def test_a_target_the_ledger_drops_no_longer_makes_the_case_overdue(client, supervisor, central):
    import io

    from openpyxl import load_workbook

    run_import(supervisor, ledger(row(1, "2025-12-31 完成一期截污纳管\n2026-12-31 出水稳定达标")), "ledger.xlsx", central)
    assert list(Case.objects.overdue().values_list("reference", flat=True)) == ["1"]

    job = run_import(supervisor, ledger(row(1, "2026-12-31 出水稳定达标")), "ledger.xlsx", central)

    assert outcomes(job) == {"1": "updated"}
    case = Case.objects.get(reference="1")
    assert case.deadline == datetime.date(2026, 12, 31) and not Case.objects.overdue().exists()
    assert Milestone.all_objects.get(case=case, target="完成一期截污纳管").removed_at is not None
    client.force_login(supervisor)
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert [m["target"] for m in detail["milestones"]] == ["出水稳定达标"]
    # The ledger export writes the targets left, so it imports back unchanged.
    book = load_workbook(io.BytesIO(b"".join(client.get("/imports/ledger.xlsx").streaming_content)), read_only=True)
    [header, line] = list(book.worksheets[0].iter_rows(values_only=True))[:2]
    assert line[header.index("阶段性目标")] == "2026-12-31 出水稳定达标"


@pytest.mark.parametrize(
    "cell, says",
    [
        ("完成一期截污纳管", "does not start with its date"),
        ("2025-02-30 完成一期截污纳管", "not a date that exists"),
        ("2025-12-31 完成一期截污纳管（已完成）", "without the day it was met"),
        ("2025-12-31", "no target"),
        ("2025-12-31 完成一期（已完成 2026-04-01）", "day still to come"),
    ],
)
def test_a_cell_that_cannot_be_read_refuses_the_file_naming_row_column_and_value(supervisor, central, cell, says):
    job = run_import(supervisor, ledger(row(1, TARGETS), row(2, cell)), "ledger.xlsx", central)

    assert job.state == "failed" and job.error_code == "invalid_rows"
    [invalid] = [r for r in job.report["rows"] if r["outcome"] == "invalid"]
    [problem] = invalid["problems"]
    assert (invalid["sheet"], invalid["row"], problem["column"], problem["cell"]) == ("台账", 3, "阶段性目标", "J3")
    assert says in problem["message"]
    assert not Case.objects.exists() and not Milestone.objects.exists()


def test_targets_on_a_dated_case_refuse_the_file(supervisor, central):
    job = run_import(supervisor, ledger(row(1, TARGETS, deadline="2026年底前")), "ledger.xlsx", central)

    assert job.state == "failed"
    [problem] = job.report["rows"][0]["problems"]
    assert (problem["column"], problem["cell"]) == ("阶段性目标", "J2")
    assert "long-term" in problem["message"]
    assert not Case.objects.exists()


def test_the_message_is_in_chinese_for_a_chinese_reader(supervisor, central):
    from django.utils import translation

    with translation.override("zh-hans"):
        job = run_import(supervisor, ledger(row(1, "完成一期截污纳管")), "ledger.xlsx", central)
    message = job.report["rows"][0]["problems"][0]["message"]
    assert "第1条" in message and "日期" in message


def test_what_the_export_writes_reads_back_the_same(supervisor, nanchang):
    from tests.factories import CaseFactory

    case = CaseFactory(city=nanchang, status="in_progress", deadline_type="long_term", deadline=None)
    add_milestone(case=case, actor=supervisor, due_on="2025-12-31", target="一期（合成）\n含两项", met_on="2025-12-01")
    add_milestone(case=case, actor=supervisor, due_on="2026-12-31", target="二期（已完成设备安装）")
    cell = format_milestones(case.milestones.all())
    assert cell == "2025-12-31 一期（合成） 含两项（已完成 2025-12-01）\n2026-12-31 二期（已完成设备安装）"
    assert [(m["due_on"], m["met_on"]) for m in parse_milestones(cell)] == [("2025-12-31", "2025-12-01"), ("2026-12-31", None)]
