"""A round's status, as each account reads it: the one boundary's cases
(Case.objects.for_user), read through one join of the round's rows with
their cases, so that a city's read starts from its subtree."""

import re

import pytest
from django.db import connection

from cases.models import Case, Unit
from dispatch import services
from dispatch.models import RoundCase
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_each_account_reads_exactly_the_round_rows_of_the_cases_it_may_see(opened_round, round_cases, supervisor, jiujiang_officer, xunyang_officer, nanchang_officer, readonly_client):
    housing = Unit.objects.create(name="九江市住建局", division_id="360400", kind="bureau")
    Case.objects.filter(pk=round_cases["lianxi"].pk).update(lead_unit=housing)
    Case.objects.filter(pk=round_cases["xunyang_waiting"].pk).update(withdrawn_at=opened_round.opened_at)
    unit_account = UserFactory(username="jj-housing", division_id="360400", unit=housing, city=None)
    cooperating = CaseFactory(division_id="360400", city=None, status="assigned")
    cooperating.cooperating_units.add(housing)
    services._snapshot(opened_round, Case.objects.filter(pk=cooperating.pk))
    inactive = UserFactory(username="gone", division_id="360100", city=None, is_active=False)
    accounts = (supervisor, jiujiang_officer, xunyang_officer, nanchang_officer, readonly_client, unit_account, inactive)

    for account in accounts:
        expected = set(RoundCase.objects.filter(round=opened_round, case__in=Case.objects.for_user(account)).values_list("case_id", flat=True))
        assert set(services.round_cases(opened_round, account).values_list("case_id", flat=True)) == expected, account
        assert services.round_totals([opened_round], account)[opened_round.pk].cases == len(expected), account
    assert set(services.round_cases(opened_round, unit_account).values_list("case_id", flat=True)) == {round_cases["lianxi"].pk, cooperating.pk}
    assert round_cases["xunyang_waiting"].pk not in set(services.round_cases(opened_round, supervisor).values_list("case_id", flat=True))
    assert not services.round_cases(opened_round, inactive).exists()


def test_a_citys_status_read_joins_the_case_table_once(opened_round, jiujiang_officer, django_assert_num_queries):
    with django_assert_num_queries(2) as captured:
        services.round_status(opened_round, jiujiang_officer)
    grouped = captured.captured_queries[0]["sql"]
    table = connection.ops.quote_name(Case._meta.db_table)
    assert len(re.findall(rf"(?:FROM|JOIN) {re.escape(table)} ", grouped)) == 1, grouped  # no IN (SELECT … FROM cases_case)
