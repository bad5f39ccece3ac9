"""The schema: migrations up to date, reference data present, demo data
absent, and database constraints that state the domain's rules."""

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.models import User
from cases.models import Case, City
from tests.factories import CaseFactory


@pytest.mark.django_db
def test_migrations_are_up_to_date():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:
        pytest.fail(f"models have changes without a migration:\n{out.getvalue()}" if exit_.code else "")


@pytest.mark.django_db
def test_a_fresh_database_has_the_eleven_cities_and_no_demo_accounts_or_cases():
    assert sorted(City.objects.values_list("code", flat=True)) == [
        "360100", "360200", "360300", "360400", "360500", "360600",
        "360700", "360800", "360900", "361000", "361100",
    ]  # fmt: skip
    assert not User.objects.exists()
    assert not Case.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"deadline_type": "dated", "deadline": None},
        {"status": "done"},
        {"kind": "complaint"},
        {"deadline_type": "someday"},
        {"veracity": "perhaps"},
        {"reference": ""},
    ],
)
def test_the_database_refuses_a_case_that_breaks_a_rule(nanchang, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(city=nanchang, **fields)


@pytest.mark.django_db
def test_a_reference_is_unique_within_its_campaign_only(nanchang):
    first = CaseFactory(city=nanchang, reference="FK-01")
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(city=nanchang, reference="FK-01", campaign=first.campaign)
    from tests.factories import CampaignFactory

    CaseFactory(city=nanchang, reference="FK-01", campaign=CampaignFactory(code="other-campaign"))


@pytest.mark.django_db
@pytest.mark.parametrize("role,division,city", [("officer", None, None), ("supervisor", "360000", "360100")])
def test_the_database_refuses_an_account_without_a_division_and_a_supervisor_with_a_city(role, division, city, cities):
    # bulk_create skips the model's own checks: the database holds the rule too.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username="x", role=role, division_id=division, city_id=city)])
