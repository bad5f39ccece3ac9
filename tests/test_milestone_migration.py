"""Migration cases 0015 on real rows: the existing cases are left exactly as
they were (long-term ones keep no deadline and get no milestones), and the
case table still stamps the feed and keeps the counts afterwards (SQLite
rebuilds the table to drop the long-term rule, and its triggers with it)."""

import datetime

import pytest

BEFORE = [("cases", "0014_event_action_reported")]
AFTER = [("cases", "0015_milestones")]
COLUMNS = ("id", "reference", "deadline_type", "deadline", "status", "version", "updated_at", "feed_xid", "division_id")


@pytest.mark.django_db(transaction=True)
def test_existing_cases_are_unchanged_and_long_term_ones_get_no_milestones(migrate):
    apps = migrate(BEFORE)
    Campaign, Case, CaseTally = (apps.get_model("cases", m) for m in ("Campaign", "Case", "CaseTally"))
    campaign = Campaign.objects.create(code="old", kind="central", name="旧批次")
    for reference, deadline_type, deadline, status in (
        ("long-open", "long_term", None, "in_progress"),
        ("long-closed", "long_term", None, "closed"),
        ("dated-late", "dated", datetime.date(2020, 1, 1), "in_progress"),
        ("now", "immediate", None, "assigned"),
    ):
        Case.objects.create(
            campaign=campaign, reference=reference, kind="feedback_problem", title=reference, division_id="360102",
            city_id="360100", deadline_type=deadline_type, deadline=deadline, status=status,
        )  # fmt: skip
    before = {row["reference"]: row for row in Case.objects.values(*COLUMNS)}
    tallies = sum(CaseTally.objects.values_list("cases", flat=True))

    apps = migrate(AFTER)
    Case, CaseTally, Milestone = (apps.get_model("cases", m) for m in ("Case", "CaseTally", "Milestone"))
    assert {row["reference"]: row for row in Case.objects.values(*COLUMNS)} == before
    assert not Milestone.objects.exists()
    assert sum(CaseTally.objects.values_list("cases", flat=True)) == tallies == 4

    # The triggers are in place: a change is stamped for the feed and counted.
    long_open = Case.objects.get(reference="long-open")
    Case.objects.filter(pk=long_open.pk).update(status="closed", version=2, deadline=datetime.date(2025, 12, 31))
    changed = Case.objects.get(pk=long_open.pk)
    assert changed.feed_xid is not None and changed.feed_xid != before["long-open"]["feed_xid"]
    closed = CaseTally.objects.filter(status="closed").values_list("cases", flat=True)
    assert sum(closed) == 2


@pytest.mark.django_db(transaction=True)
def test_0021_keeps_every_milestone_live_and_counting(migrate):
    """Migration cases 0021 (removed_at, removed_by) on real rows: every
    milestone stays as it was, none removed, and they still set the case's
    deadline, its overdue and its API list."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    apps = migrate([("cases", "0020_search_bigram_index")])
    Campaign, Case, Milestone = (apps.get_model("cases", m) for m in ("Campaign", "Case", "Milestone"))
    campaign = Campaign.objects.create(code="old", kind="central", name="旧批次")
    case = Case.objects.create(
        campaign=campaign, reference="long", kind="feedback_problem", title="长期（合成）", division_id="360102",
        city_id="360100", deadline_type="long_term", deadline=datetime.date(2025, 12, 31), status="in_progress",
    )  # fmt: skip
    for due_on, target, met_on in (
        (datetime.date(2024, 12, 31), "零期（合成）", datetime.date(2024, 12, 1)),
        (datetime.date(2025, 12, 31), "一期（合成）", None),
        (datetime.date(2026, 12, 31), "二期（合成）", None),
    ):
        Milestone.objects.create(case=case, due_on=due_on, target=target, met_on=met_on)
    fields = ("id", "case_id", "due_on", "target", "met_on", "met_by_id", "note")
    before = list(Milestone.objects.order_by("id").values(*fields))

    apps = migrate([("cases", "0021_milestone_removed_at")])
    Milestone = apps.get_model("cases", "Milestone")
    assert list(Milestone.objects.order_by("id").values(*fields)) == before
    assert set(Milestone.objects.values_list("removed_at", "removed_by")) == {(None, None)}

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    from cases.models import Case as LiveCase
    from cases.models import Milestone as LiveMilestone
    from cases.models import next_target_on

    assert LiveMilestone.objects.filter(case_id=case.pk).count() == 3
    assert next_target_on(case.pk) == datetime.date(2025, 12, 31)
    assert list(LiveCase.objects.overdue(datetime.date(2026, 3, 15)).values_list("pk", flat=True)) == [case.pk]
    assert [m.target for m in LiveCase.objects.get(pk=case.pk).milestones.all()] == ["零期（合成）", "一期（合成）", "二期（合成）"]
