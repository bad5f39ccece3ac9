"""A dry run reports per row and changes nothing; applying writes every
row in one go, each with an event naming the file and the importer, or
nothing at all when any row is invalid; the same file twice changes
nothing the second time."""

import pytest

from cases.models import Case, CaseEvent
from imports import running, services

from .conftest import LEDGER_HEADER, PETITION_HEADER, csv_bytes, ledger_row, outcomes, petition_row, run_import, xlsx_bytes


def ledger(*rows):
    return xlsx_bytes(("台账", [LEDGER_HEADER, *rows]))


def test_a_dry_run_reports_what_would_happen_and_changes_nothing(supervisor, central):
    data = ledger(ledger_row(1), ledger_row(2, deadline="明年"))

    job = run_import(supervisor, data, "ledger.xlsx", central, dry_run=True)

    assert job.dry_run and job.state == "done"
    assert outcomes(job) == {"1": "created", "2": "invalid"}
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_an_invalid_row_names_its_row_column_and_problem(supervisor, central):
    data = ledger(ledger_row(1), ledger_row(2, deadline="明年"), ledger_row(3, region="北京市"))

    job = run_import(supervisor, data, "ledger.xlsx", central, dry_run=True)

    rows = {row["reference"]: row for row in job.report["rows"]}
    assert rows["2"]["row"] == 3
    assert rows["2"]["problems"] == [
        {"column": "整改时限", "cell": "G3", "message": rows["2"]["problems"][0]["message"]}
    ]
    assert "明年" in rows["2"]["problems"][0]["message"]
    assert rows["3"]["problems"][0]["column"] == "行政区域"
    assert rows["3"]["problems"][0]["cell"] == "F4"


def test_applying_a_file_with_an_invalid_row_writes_nothing_of_it(supervisor, central):
    data = ledger(ledger_row(1), ledger_row(2, deadline="明年"), ledger_row(3, completion="已完成"))

    job = run_import(supervisor, data, "ledger.xlsx", central)

    assert job.state == "failed" and job.error_code == "invalid_rows"
    assert "1 row has errors" in job.error and "nothing of the file was imported" in job.error
    invalid = [row for row in job.report["rows"] if row["outcome"] == "invalid"]
    assert [(row["row"], row["problems"][0]["cell"]) for row in invalid] == [(3, "G3")]
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()


def test_applying_a_file_whose_rows_are_all_valid_writes_them_all(supervisor, central):
    data = ledger(ledger_row(1), ledger_row(2), ledger_row(3, completion="已完成"))

    job = run_import(supervisor, data, "ledger.xlsx", central)

    assert job.state == "done"
    assert job.counts() == {"created": 3, "updated": 0, "unchanged": 0, "invalid": 0}
    assert sorted(Case.objects.values_list("reference", flat=True)) == ["1", "2", "3"]


def test_a_dry_run_with_an_invalid_row_cannot_be_applied(supervisor, central):
    from cases.errors import InvalidInput

    dry = run_import(supervisor, ledger(ledger_row(1), ledger_row(2, deadline="明年")), "ledger.xlsx", central, dry_run=True)

    with pytest.raises(InvalidInput) as error:
        services.apply_dry_run(actor=supervisor, job=dry)
    assert error.value.field == "job" and error.value.code == "invalid_rows"
    assert not Case.objects.exists()


def test_each_created_case_gets_an_event_naming_the_file_and_the_importer(supervisor, central):
    supervisor.first_name, supervisor.last_name = "合成", "督导员"
    supervisor.save()

    run_import(supervisor, ledger(ledger_row(1)), "南昌台账.xlsx", central)

    events = list(Case.objects.get(reference="1").events.order_by("version"))
    assert [e.action for e in events] == ["created", "transition"]
    for event in events:
        assert event.actor == supervisor
        assert "南昌台账.xlsx" in event.note
        assert supervisor.get_full_name() in event.note


def test_completion_walks_the_workflow_to_closed(supervisor, central):
    run_import(supervisor, ledger(ledger_row(1, completion="已完成")), "ledger.xlsx", central)

    case = Case.objects.get(reference="1")
    assert case.status == "closed"
    steps = list(case.events.filter(action="transition").values_list("from_status", "to_status"))
    assert steps == [("assigned", "in_progress"), ("in_progress", "pending_acceptance"), ("pending_acceptance", "closed")]


def test_a_petition_without_veracity_cannot_be_closed_and_says_why(supervisor, central):
    rows = [PETITION_HEADER + ["完成情况"], petition_row(1, "X2JX202104150001", veracity="") + ["已办结"]]

    job = run_import(supervisor, csv_bytes(rows), "batch.csv", central)

    row = job.report["rows"][0]
    assert row["outcome"] == "invalid"
    assert row["problems"][0]["column"] == "是否属实"
    assert Case.objects.count() == 0


def test_importing_the_same_file_twice_changes_nothing_the_second_time(supervisor, central):
    # A city's petition: the province closes it after the city's submission
    # (a county's would wait for its city's review first, below).
    data = xlsx_bytes(
        ("信访件", [PETITION_HEADER + ["完成情况"], petition_row(1, "X2JX202104150001", region="南昌市") + ["已办结"]]),
        ("台账", [LEDGER_HEADER, ledger_row(1, completion="已完成"), ledger_row(2)]),
    )
    run_import(supervisor, data, "both.xlsx", central)
    versions = dict(Case.objects.values_list("reference", "version"))
    event_count = CaseEvent.objects.count()

    again = run_import(supervisor, data, "both.xlsx", central)

    assert again.counts() == {"created": 0, "updated": 0, "unchanged": 3, "invalid": 0}
    assert dict(Case.objects.values_list("reference", "version")) == versions
    assert CaseEvent.objects.count() == event_count


def test_a_changed_row_is_reported_updated_with_the_fields_that_changed(supervisor, central):
    run_import(supervisor, ledger(ledger_row(1)), "v1.xlsx", central)
    changed = ledger_row(1, deadline="2024年6月底前")
    changed[7] = "管网改造完成过半（合成数据）"

    job = run_import(supervisor, ledger(changed), "v2.xlsx", central, dry_run=True)

    assert job.report["rows"][0]["outcome"] == "updated"
    assert job.report["rows"][0]["changed_fields"] == ["deadline", "progress"]
    assert Case.objects.get(reference="1").progress == "正在推进管网改造（合成数据）"


def test_a_reference_twice_in_one_file_is_refused_for_the_second_row(supervisor, central):
    job = run_import(supervisor, ledger(ledger_row(1), ledger_row(1)), "twice.xlsx", central)

    assert [row["outcome"] for row in job.report["rows"]] == ["created", "invalid"]
    assert "row 2" in job.report["rows"][1]["problems"][0]["message"]
    assert job.state == "failed" and not Case.objects.exists()


def test_a_row_of_another_campaign_is_not_imported_into_this_one(supervisor, central):
    rows = [LEDGER_HEADER + ["督察任务"], ledger_row(1) + [central.name], ledger_row(2) + ["别的督察（合成）"]]

    job = run_import(supervisor, xlsx_bytes(("台账", rows)), "mixed.xlsx", central)

    assert outcomes(job) == {"1": "created", "2": "invalid"}
    assert job.state == "failed" and not Case.objects.exists()


def test_applying_is_all_or_nothing_when_a_batch_fails(supervisor, central, monkeypatch):
    # Two batches of one row each; the second blows up after the first was
    # written inside the same transaction.
    monkeypatch.setattr(running, "MAX_ITEMS", 1)
    real = running.upsert_cases
    calls = []

    def failing_second_batch(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(running, "upsert_cases", failing_second_batch)

    job = run_import(supervisor, ledger(ledger_row(1), ledger_row(2)), "ledger.xlsx", central)

    assert job.state == "failed"
    assert "nothing was changed" in job.error
    assert Case.objects.count() == 0


def test_applying_a_checked_dry_run_imports_the_same_file(supervisor, central):
    dry = run_import(supervisor, ledger(ledger_row(1)), "ledger.xlsx", central, dry_run=True)

    applied = services.apply_dry_run(actor=supervisor, job=dry)

    assert not applied.dry_run
    assert applied.counts()["created"] == 1
    assert Case.objects.filter(reference="1").exists()


@pytest.mark.parametrize("bad", ["", "nonexistent"])
def test_an_unknown_campaign_is_refused_naming_the_field(bad, supervisor, central):
    from cases.errors import InvalidInput

    with pytest.raises(InvalidInput) as error:
        services.start_import(actor=supervisor, data=ledger(ledger_row(1)), filename="l.xlsx", campaign_code=bad, dry_run=True)
    assert error.value.field == "campaign"


def test_a_ledger_without_references_updates_the_problems_by_their_number(supervisor, central, nanchang, jiujiang):
    from tests.factories import CaseFactory

    CaseFactory(campaign=central, reference="FK-01", problem_number=1, city=nanchang, status="in_progress")
    CaseFactory(campaign=central, reference="FK-02-NC", problem_number=2, city=nanchang, status="in_progress")
    CaseFactory(campaign=central, reference="FK-02-JJ", problem_number=2, city=jiujiang, status="in_progress")

    job = run_import(
        supervisor, ledger(ledger_row(1), ledger_row(2, region="九江市", unit="九江市人民政府"), ledger_row(3)), "ledger.xlsx", central
    )

    assert outcomes(job) == {"FK-01": "updated", "FK-02-JJ": "updated", "3": "created"}
    assert Case.objects.count() == 4
    assert Case.objects.get(reference="FK-02-JJ").title == "合成问题 2：污水处理厂进水浓度偏低"


def test_the_province_closes_a_county_s_petition_recording_its_citys_review_from_the_ledger(supervisor, central):
    # Issue 14.2: a province loads ledgers of petitions already handled; the
    # city's review is recorded as the city's, by the importer (据台账补录).
    from cases.models import Review

    rows = [PETITION_HEADER + ["完成情况"], petition_row(1, "X2JX202104150001", region="南昌市新建区") + ["已办结"]]

    job = run_import(supervisor, csv_bytes(rows), "batch.csv", central)

    assert job.state == "done", job.report
    case = Case.objects.get()
    assert case.status == "closed"
    assert list(Review.objects.filter(case=case).order_by("version").values_list("level", "reviewer")) == [
        ("city", supervisor.pk), ("province", supervisor.pk),
    ]  # fmt: skip
