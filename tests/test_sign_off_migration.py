"""Migration 0008 places the cases that were waiting when the sign-off
chain arrived: awaiting acceptance or in publicity, they wait at the
province (the only acceptor before); a case in publicity gets its period
from the day it entered publicity, five working days; no row is lost."""

import datetime

import pytest

BEFORE = [("cases", "0007_text_limits"), ("workdays", "0001_initial")]
AFTER = [("cases", "0008_sign_off_chain")]


@pytest.mark.django_db(transaction=True)
def test_waiting_cases_wait_at_the_province_and_a_running_publicity_gets_its_period(migrate):
    apps = migrate(BEFORE)
    City, Campaign, Case, CaseEvent = (apps.get_model("cases", m) for m in ("City", "Campaign", "Case", "CaseEvent"))
    city = City.objects.get_or_create(code="360100", defaults={"name": "南昌市", "slug": "nanchang"})[0]
    campaign = Campaign.objects.create(code="old", kind="central", name="旧批次")
    entered = datetime.datetime(2026, 9, 18, 2, tzinfo=datetime.timezone.utc)  # 10:00 in Shanghai, a Friday
    ids = {}
    for status in ("assigned", "in_progress", "pending_acceptance", "in_publicity", "closed"):
        case = Case.objects.create(
            campaign=campaign, reference=status, kind="feedback_problem", title=status, city=city,
            deadline_type="immediate", status=status, version=2,
        )  # fmt: skip
        ids[status] = case.pk
        CaseEvent.objects.create(case=case, action="created", to_status="assigned", version=1, created_at=entered)
        CaseEvent.objects.create(
            case=case, action="transition", from_status="pending_acceptance", to_status=status, version=2,
            created_at=entered,
        )  # fmt: skip

    apps = migrate(AFTER)
    Case = apps.get_model("cases", "Case")
    rows = {row["reference"]: row for row in Case.objects.values("reference", "review_stage", "publicity_starts_on", "publicity_ends_on")}
    assert len(rows) == 5  # nothing dropped
    assert {ref: row["review_stage"] for ref, row in rows.items()} == {
        "assigned": None, "in_progress": None, "pending_acceptance": "province", "in_publicity": "province", "closed": None,
    }  # fmt: skip
    publicity = rows["in_publicity"]
    # Sun 20 September 2026 is a make-up working day: 20, 21, 22, 23, 24.
    assert (publicity["publicity_starts_on"], publicity["publicity_ends_on"]) == (
        datetime.date(2026, 9, 18), datetime.date(2026, 9, 24),
    )
    assert rows["pending_acceptance"]["publicity_ends_on"] is None
    campaign = apps.get_model("cases", "Campaign").objects.get(code="old")
    assert (campaign.accepting_level, campaign.publicity_required, campaign.publicity_days) == ("province", False, 5)
