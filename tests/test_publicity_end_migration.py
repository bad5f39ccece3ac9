"""Migration 0017 keeps the campaigns' sign-off as it was (a person closes
after the publicity; five working days to review) and marks no case: the
daily task marks the periods already ended on its next run."""

import datetime

import pytest

BEFORE = [("cases", "0016_event_time_index_and_division_index")]
AFTER = [("cases", "0017_publicity_end_and_review_days")]


@pytest.mark.django_db(transaction=True)
def test_existing_campaigns_keep_a_person_closing_and_cases_are_not_marked(migrate):
    apps = migrate(BEFORE)
    Campaign, Case = apps.get_model("cases", "Campaign"), apps.get_model("cases", "Case")
    campaign = Campaign.objects.create(code="old", kind="central", name="旧批次", publicity_required=True)
    Case.objects.create(
        campaign=campaign, reference="P-1", kind="feedback_problem", title="公示中", division_id="360100",
        city_id="360100", deadline_type="immediate", status="in_publicity", review_stage="province",
        publicity_starts_on=datetime.date(2026, 9, 18), publicity_ends_on=datetime.date(2026, 9, 24),
    )  # fmt: skip

    apps = migrate(AFTER)
    campaign = apps.get_model("cases", "Campaign").objects.get(code="old")
    assert (campaign.close_after_publicity, campaign.review_days, campaign.publicity_required) == (False, 5, True)
    case = apps.get_model("cases", "Case").objects.get(reference="P-1")
    assert (case.status, case.ready_for_sign_off_on, case.publicity_ends_on) == (
        "in_publicity", None, datetime.date(2026, 9, 24),
    )
