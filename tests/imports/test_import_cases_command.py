"""python manage.py import_cases FILE --campaign CODE [--dry-run]"""

import io

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case, CaseEvent
from tests.factories import UserFactory

from .conftest import LEDGER_HEADER, csv_bytes, ledger_row, xlsx_bytes


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_cases", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def ledger_file(tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(xlsx_bytes(("台账", [LEDGER_HEADER, ledger_row(1), ledger_row(2, deadline="明年")])))
    return path


@pytest.fixture
def valid_file(tmp_path):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(xlsx_bytes(("台账", [LEDGER_HEADER, ledger_row(1), ledger_row(2)])))
    return path


def test_a_dry_run_prints_each_row_and_changes_nothing(ledger_file, supervisor, central):
    output = run(str(ledger_file), "--campaign", central.code, "--dry-run")

    assert "台账 row 2 1: created" in output
    assert "台账 row 3 2: invalid" in output
    assert "整改时限 G3" in output
    assert "1 created" in output and "would be applied" in output
    assert not Case.objects.exists()


def test_applying_records_the_supervisor_as_importer(valid_file, supervisor, central):
    output = run(str(valid_file), "--campaign", central.code)

    assert "2 created" in output and "were applied" in output
    event = CaseEvent.objects.get(case__reference="1", action="created")
    assert event.actor == supervisor
    assert "台账.xlsx" in event.note


def test_applying_a_file_with_an_invalid_row_lists_it_fails_and_writes_nothing(ledger_file, supervisor, central):
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 row has errors"):
        call_command("import_cases", str(ledger_file), "--campaign", central.code, stdout=out)

    output = out.getvalue()
    assert "台账 row 3 2: invalid" in output
    assert "整改时限 G3" in output and "明年" in output
    assert "row 2 1: created" not in output
    assert not Case.objects.exists()


def test_the_importer_must_be_named_when_there_are_several_supervisors(valid_file, supervisor, central):
    UserFactory(username="sup2", role="supervisor", city=None)

    with pytest.raises(CommandError, match="--user"):
        run(str(valid_file), "--campaign", central.code)
    run(str(valid_file), "--campaign", central.code, "--user", "sup2")
    assert CaseEvent.objects.get(case__reference="1", action="created").actor.username == "sup2"


def test_an_officer_cannot_be_the_importer(ledger_file, nanchang_officer, central):
    with pytest.raises(CommandError, match="may not import"):
        run(str(ledger_file), "--campaign", central.code, "--user", nanchang_officer.username)
    assert not Case.objects.exists()


def test_a_refused_file_fails_the_command_with_the_reason(tmp_path, supervisor, central):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([["a"], ["1"]]))

    with pytest.raises(CommandError, match="No header row"):
        run(str(path), "--campaign", central.code)


def test_an_unknown_campaign_fails_the_command(ledger_file, supervisor, central):
    with pytest.raises(CommandError, match="Unknown campaign"):
        run(str(ledger_file), "--campaign", "nope")


def test_a_missing_file_fails_the_command(tmp_path, supervisor, central):
    with pytest.raises(CommandError, match="No such file"):
        run(str(tmp_path / "missing.xlsx"), "--campaign", central.code)


def test_verbosity_zero_lists_only_the_invalid_rows(ledger_file, supervisor, central):
    output = run(str(ledger_file), "--campaign", central.code, "--dry-run", "-v", "0")

    assert "row 3 2: invalid" in output
    assert "row 2 1: created" not in output
    assert "1 created" in output
