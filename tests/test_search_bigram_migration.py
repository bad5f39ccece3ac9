"""Migration 0020 adds the bigram index of the two-character search on
PostgreSQL over the cases already there, keeps every case, and is undone
cleanly (index and function gone)."""

import pytest
from django.db import connection, transaction

BEFORE = [("cases", "0019_event_arrival_index")]
AFTER = [("cases", "0020_search_bigram_index")]


def installed() -> tuple[bool, bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE tablename = 'cases_case' AND indexname = 'case_search_bigram_idx'")
        index = cursor.fetchone() is not None
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'case_search_bigrams'")
        function = cursor.fetchone() is not None
    return index, function


def create_case(apps, reference, title):
    Campaign, Case = apps.get_model("cases", "Campaign"), apps.get_model("cases", "Case")
    campaign, _ = Campaign.objects.get_or_create(code="old", defaults={"kind": "central", "name": "旧批次"})
    return Case.objects.create(
        campaign=campaign, reference=reference, kind="feedback_problem", title=title, division_id="360400",
        city_id="360400", deadline_type="immediate", status="in_progress",
    )  # fmt: skip


def search(term):
    from django.http import QueryDict

    from cases.filters import CaseFilter
    from cases.models import Case

    return set(CaseFilter(QueryDict(f"q={term}"), queryset=Case.objects.all()).qs.values_list("reference", flat=True))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_bigram_index_is_built_over_existing_cases_and_undone_cleanly(migrate):
    apps = migrate(BEFORE)
    assert installed() == (False, False)
    create_case(apps, "JJ-01", "九江市某化工厂废水直排")
    create_case(apps, "NC-02", "南昌县非法采砂")

    migrate(AFTER)
    assert installed() == (True, True)
    assert search("九江") == {"JJ-01"}
    assert search("jj") == {"JJ-01"}
    with transaction.atomic(), connection.cursor() as cursor:  # the index holds the rows that existed before it
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "SELECT reference FROM cases_case "
            "WHERE case_search_bigrams(reference::text, title::text) @> ARRAY['采砂']::text[]"
        )
        assert [row[0] for row in cursor.fetchall()] == ["NC-02"]

    migrate(BEFORE)
    assert installed() == (False, False)
    assert apps.get_model("cases", "Case").objects.count() == 2


@pytest.mark.django_db
def test_sqlite_gets_no_bigram_index_and_still_searches_two_characters(nanchang):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    from tests.factories import CaseFactory

    CaseFactory(city=nanchang, reference="JJ-01", title="九江市某化工厂废水直排")
    assert search("九江") == search("jj") == {"JJ-01"}
