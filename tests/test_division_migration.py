"""Migrations cases 0011-0013, 0018 and accounts 0003 on real rows: every case
lands in the tree, petitions in their county when their 行政区域 names
one, unit text becomes unit records, and nothing is dropped."""

import io
from contextlib import redirect_stdout

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cases", "0010_evidence_standards"), ("accounts", "0002_initial")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_cases_and_accounts_move_into_the_tree_and_nothing_is_dropped():
    old = _migrate(BEFORE)
    City, Campaign, Case = (old.get_model("cases", name) for name in ("City", "Campaign", "Case"))
    User = old.get_model("accounts", "User")
    from cases.reference import ensure_cities

    ensure_cities(City)
    campaign = Campaign.objects.create(code="c", kind="central", name="合成督察")

    def case(reference, **values):
        values.setdefault("kind", "petition" if reference.startswith("X") else "feedback_problem")
        return Case.objects.create(
            campaign=campaign, reference=reference, title="合成", deadline_type="immediate", **values
        ).pk

    ids = {
        "county": case("X1", city_id="360400", district="九江市浔阳区", responsible_unit="九江市浔阳区人民政府"),
        "short": case("X2", city_id="360100", district="新建", responsible_unit="南昌市新建区人民政府"),
        "unknown": case("X3", city_id="360100", district="湾里区", responsible_unit=""),
        "problem": case(
            "FK-1",
            city_id="360400",
            lead_unit="九江市人民政府",
            cooperating_units="市住房和城乡建设局、市水利局",
            responsible_unit="九江市人民政府",
        ),
        "province": case("FK-2", city_id=None, lead_unit="省生态环境厅", responsible_unit="省直有关部门"),
    }
    officer = User.objects.create(username="jj", role="officer", city_id="360400").pk
    supervisor = User.objects.create(username="sup", role="supervisor").pk

    output = io.StringIO()
    with redirect_stdout(output):
        new = _migrate([("cases", "0013_case_divisions_units_final"), ("accounts", "0003_user_division_unit")])
    Case, User = new.get_model("cases", "Case"), new.get_model("accounts", "User")

    def placed(key):
        row = Case.objects.get(pk=ids[key])
        return (
            row.division_id,
            row.district,
            row.lead_unit.name if row.lead_unit_id else "",
            sorted((u.name, u.division_id) for u in row.cooperating_units.all()),
        )

    assert Case.objects.count() == 5
    assert placed("county") == ("360403", "", "九江市浔阳区人民政府", [])
    assert placed("short") == ("360112", "", "南昌市新建区人民政府", [])
    # 湾里区 no longer exists: the case stays with its city, the text is kept.
    assert placed("unknown") == ("360100", "湾里区", "", [])
    assert placed("problem") == (
        "360400",
        "",
        "九江市人民政府",
        [("九江市住房和城乡建设局", "360400"), ("九江市水利局", "360400")],
    )
    # 责任单位 other than the lead becomes a cooperating unit.
    assert placed("province") == ("360000", "", "江西省生态环境厅", [("江西省直有关部门", "360000")])
    assert Case.objects.get(pk=ids["county"]).city_id == "360400"
    report = output.getvalue()
    assert "1 places name no county" in report and "X3: 湾里区" in report
    assert User.objects.get(pk=officer).division_id == "360400"
    assert User.objects.get(pk=supervisor).division_id == "360000"


@pytest.mark.django_db(transaction=True)
def test_departures_from_divisions_stay_and_units_departures_are_recorded_after_0018(migrate):
    # From the latest state back, as a deployment would roll back: 0018's
    # reverse puts 0013's triggers back.
    migrate([("cases", "0018_unit_exits")])
    apps = migrate([("cases", "0017_publicity_end_and_review_days")])
    Case, Exit, Unit = (apps.get_model("cases", name) for name in ("Case", "CaseScopeExit", "Unit"))
    campaign = apps.get_model("cases", "Campaign").objects.create(code="old", kind="central", name="旧批次")
    case = Case.objects.create(campaign=campaign, reference="OLD-1", kind="feedback_problem", title="旧案件",
                               division_id="360100", city_id="360100", deadline_type="immediate")  # fmt: skip
    Case.objects.filter(pk=case.pk).update(division_id="360400", city_id="360400")
    unit = Unit.objects.create(name="九江市住建局", division_id="360400")
    Case.objects.filter(pk=case.pk).update(lead_unit=unit)
    apps = migrate([("cases", "0018_unit_exits")])
    Case, Exit = apps.get_model("cases", "Case"), apps.get_model("cases", "CaseScopeExit")
    assert list(Exit.objects.values_list("case_id", "from_division_id", "from_unit_id")) == [(case.pk, "360100", None)]
    Case.objects.filter(pk=case.pk).update(lead_unit=None)
    assert Exit.objects.filter(from_unit_id=unit.pk, case_id=case.pk).count() == 1
