"""The lists' SQL must match the indexes meant for it on PostgreSQL, or
every search or sorted page reads every case: the search (``q``) the
trigram indexes, the orderings their (key, id) indexes."""

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.http import QueryDict

from cases.filters import CaseFilter, common_bigrams, order_cases
from cases.models import Case
from tests.factories import CampaignFactory, CaseFactory, UserFactory


def plan(queryset, *also_off: str) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner with the table's statistics: a province's range of
        # division codes holds every case of the province, so it is no
        # reason to leave the list's own index.
        cursor.execute("ANALYZE cases_case")
        # A table this small would otherwise be read whole, index or not.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for method in also_off:  # other plans only a tiny table makes cheapest
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def everything(db):
    """An administrator bound to no division: the list's own SQL, no
    boundary (a province-wide range of division codes on a table this
    small leads the planner to the division index instead)."""
    return UserFactory(username="admin", role="admin", division=None, city=None)


@pytest.fixture
def province_cases(cities):
    """Cases in every city and some counties, as a province holds them."""
    codes = ["360100", "360200", "360300", "360400", "360500", "360600", "360700", "360800", "360900", "361000", "361100"]
    Case.objects.bulk_create(
        CaseFactory.build(division_id=codes[n % len(codes)] if n % 4 else "360403", campaign=campaign, city=None)
        for campaign in [CampaignFactory()]
        for n in range(120)
    )


@pytest.mark.postgres
@pytest.mark.parametrize("term", ["BN-5432", "超标排污", "x2jx2021"])
def test_a_search_uses_both_trigram_indexes(everything, province_cases, term):
    searched = CaseFilter(QueryDict(f"q={term}"), queryset=Case.objects.for_user(everything)).qs
    shown = plan(searched.order_by())  # as the page's count reads it
    assert "case_search_reference_trgm" in shown, shown
    assert "case_search_title_trgm" in shown, shown
    assert "Seq Scan" not in shown, shown


@pytest.mark.postgres
@pytest.mark.parametrize("term", ["排污", "fk", "7", "另"])
def test_a_term_too_short_for_a_trigram_does_not_read_the_indexes_whole(supervisor, term):
    searched = CaseFilter(QueryDict(f"q={term}"), queryset=Case.objects.for_user(supervisor)).qs
    shown = plan(searched.order_by())
    assert "trgm" not in shown, shown


def searched_after_analyze(user, term):
    """The search as a request makes it once the table's statistics are
    read (which bigrams are common comes from them)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case")
    common_bigrams.forget()
    return CaseFilter(QueryDict(f"q={term}"), queryset=Case.objects.for_user(user)).qs


@pytest.mark.postgres
@pytest.mark.parametrize("term", ["九江", "排污", "FK", "Fk"])
def test_a_two_character_search_uses_the_bigram_index(everything, province_cases, term):
    """九江, the commonest kind of search (a place name), has no trigram:
    without the bigram index (cases/migrations/0020) it read every case."""
    shown = plan(searched_after_analyze(everything, term).order_by())  # as the page's count reads it
    assert "case_search_bigram_idx" in shown, shown
    assert "Seq Scan" not in shown, shown


@pytest.mark.postgres
@pytest.mark.parametrize("term", ["7", "问", "测试", "-0"])
def test_a_one_character_or_common_term_reads_the_cases_without_the_bigram_index(everything, province_cases, term):
    """A single character, or a bigram in most cases (测试 is in every
    title here, -0 in every reference), is found sooner by reading the cases
    in order: a page stops at its 50th."""
    searched = searched_after_analyze(everything, term)
    assert searched.exists()
    shown = plan(searched.order_by("id")[:51])
    assert "bigram" not in shown, shown
    assert "trgm" not in shown, shown


TWO_CHARACTER_TERMS = [
    "九江", "江市", "排污", "污水", "FK", "fk", "Fk", "fK", "k-", "-0", "07", "x2", "X2", "ab", "AB",
    "aB", "%x", "x%", "_1", "1_", "\\a", "7九", "7某", "污F", "江f", "zz", "港口",
]  # fmt: skip


def test_a_search_finds_the_same_cases_as_a_case_insensitive_contains(nanchang, supervisor):
    """The bigram index on PostgreSQL finds exactly the cases a plain
    case-insensitive "contains" on the reference or the title finds, and
    no match spans the two (reference "FK-07", title "九江…": not "7九")."""
    CaseFactory(city=nanchang, reference="FK-07", title="九江市某化工厂废水直排")
    CaseFactory(city=nanchang, reference="fk-77", title="园区污水处理厂超标排污")
    CaseFactory(city=nanchang, reference="X2JX2021%x_1", title="Ab 港口 9江F")
    CaseFactory(city=nanchang, reference="aB\\a", title="湖口县 市 排")
    CaseFactory(city=nanchang, reference="YJ-01", title="非法采砂")
    CaseFactory(city=nanchang, reference="九", title="江")
    visible = Case.objects.for_user(supervisor)

    def found(term):
        asked = QueryDict(mutable=True)
        asked["q"] = term
        return set(CaseFilter(asked, queryset=visible).qs.values_list("id", flat=True))

    def contained(term):
        return set(
            visible.filter(Q(reference__icontains=term) | Q(title__icontains=term)).values_list("id", flat=True)
        )

    for term in TWO_CHARACTER_TERMS:
        assert found(term) == contained(term), term
    if connection.vendor == "postgresql":  # and once fk, ab… are known to be common: LIKE alone
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
        common_bigrams.forget()
        assert {"fk", "ab"} <= common_bigrams(visible.db)
        for term in TWO_CHARACTER_TERMS:
            assert found(term) == contained(term), term
    assert found("九江") == contained("九江") != set()
    assert len(found("fk")) == 2 and found("FK") == found("fk") == found("Fk")
    assert found("%x") == found("_1") == found("x2") != set()  # % and _ are characters, not wildcards
    assert found("x%") == found("1_") == set()
    assert found("7九") == found("7某") == found("污F") == set()  # never across the reference and the title
    assert found("zz") == set()


def test_the_indexed_search_finds_what_contains_the_term_in_any_case(nanchang, supervisor):
    wanted = [
        CaseFactory(city=nanchang, reference="X2JX202104150007", title="某化工厂废水直排"),
        CaseFactory(city=nanchang, reference="FK-07", title="园区污水处理厂超标排污"),
        CaseFactory(city=nanchang, reference="fk-77", title="另一件"),
    ]
    CaseFactory(city=nanchang, reference="YJ-01", title="非法采砂")

    def found(term):
        return set(CaseFilter(QueryDict(f"q={term}"), queryset=Case.objects.for_user(supervisor)).qs)

    assert found("x2jx2021") == {wanted[0]}
    assert found("超标排污") == {wanted[1]}
    assert found("FK-") == {wanted[1], wanted[2]}
    assert found("废水直") == {wanted[0]}
    assert found("排污") == {wanted[1]}  # two characters: no trigram, no index, the same answer
    assert found("fk") == {wanted[1], wanted[2]}
    assert found("另") == {wanted[2]}


@pytest.mark.postgres
@pytest.mark.parametrize("ordering", ["updated_at", "-updated_at", "id", "-id"])
def test_a_page_in_either_direction_is_read_from_the_index_without_sorting(everything, province_cases, ordering):
    page = order_cases(Case.objects.for_user(everything), ordering)[:51]
    shown = plan(page)
    assert "Sort" not in shown, shown
    assert ("case_updated_idx" if "updated_at" in ordering else "cases_case_pkey") in shown, shown


@pytest.mark.postgres
def test_a_deep_page_of_the_work_list_skips_handed_in_cases_in_their_own_index(supervisor):
    from cases.querysets import local_today
    from web.urgency import by_urgency

    handed_in = by_urgency(Case.objects.for_user(supervisor), local_today()).segments[2]
    # What web.urgency._rows reads first. With a few rows in the table, a
    # bitmap scan and a sort of them is cheapest; over 945,000 it never is.
    shown = plan(handed_in.values_list("id", flat=True)[45_000:45_050], "bitmapscan")
    assert "case_handed_in_updated_idx" in shown, shown
    assert "Sort" not in shown, shown


@pytest.mark.postgres
def test_latest_deadline_first_reads_the_open_cases_index_without_sorting(everything):
    from web.urgency import by_page_ordering

    listed = by_page_ordering(Case.objects.for_user(everything).filter(status__in=["in_progress"]), "-deadline")
    shown = plan(listed.segments[0][:51], "bitmapscan")
    assert "case_open_deadline_idx" in shown, shown
    assert "Sort" not in shown, shown


@pytest.mark.postgres
def test_no_index_of_the_case_table_is_the_division_alone(db):
    """The division's own foreign-key index (and its LIKE twin) would repeat
    case_division_id_idx, which leads with the division: dropped."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases_case'")
        indexes = dict(cursor.fetchall())
    led_by_division = {name for name, sql in indexes.items() if "(division_id" in sql}
    assert led_by_division == {"case_division_id_idx", "case_open_division_idx", "case_division_feed_idx"}, indexes


@pytest.mark.postgres
@pytest.mark.parametrize("division", ["360403", "360400"])
def test_the_overdue_list_of_a_county_or_a_city_reads_the_open_division_index(division, province_cases):
    import datetime

    Case.objects.filter(id__in=Case.objects.order_by("id").values("id")[:60]).update(
        deadline=datetime.date(2020, 1, 1), status="in_progress"
    )
    officer = UserFactory(username=f"officer-{division}", division_id=division, city=None)
    overdue = CaseFilter(QueryDict("overdue=true"), queryset=Case.objects.for_user(officer)).qs
    shown = plan(overdue.order_by("deadline", "id")[:50])
    assert "case_open_division_idx" in shown, shown


@pytest.mark.postgres
def test_a_past_date_finds_the_cases_moved_since_in_the_event_time_index(supervisor, province_cases):
    """reports/progress.py: a past date's statuses look up the cases whose
    status changed since; without this index every event is read."""
    import datetime

    from cases.models import CaseEvent
    from reports.progress import cases_at_end_of, end_of

    cases = list(Case.objects.order_by("id")[:40])
    now = end_of(datetime.date(2024, 3, 1))
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case, action=action, from_status="assigned", to_status="in_progress", version=version,
            created_at=now - datetime.timedelta(days=400 - 10 * n - version),
        )  # fmt: skip
        for n, case in enumerate(cases)
        for version, action in enumerate(["created", "transition", "updated"], start=1)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_caseevent")
    day = datetime.date(2024, 3, 1) - datetime.timedelta(days=30)
    shown = plan(cases_at_end_of(user=supervisor, day=day).values("city_id", "status_then"))
    assert "event_transition_time_idx" in shown, shown


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_review_queue_reads_when_each_case_arrived_from_the_arrival_index(supervisor, province_cases):
    """The province's queue orders by arrival at its level: each row's
    latest move into awaiting acceptance comes from the partial index of
    those moves, not from the case's whole timeline."""
    from cases.models import CaseEvent
    from web.filters import annotate_queue

    cases = list(Case.objects.all()[:40])
    CaseEvent.objects.bulk_create(
        CaseEvent(case=case, version=case.version + 1, action="transition", from_status="in_progress",
                  to_status="pending_acceptance", note="")
        for case in cases
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_caseevent")
    queue = annotate_queue(Case.objects.filter(pk__in=[c.pk for c in cases])).order_by("submitted_at", "id")
    shown = plan(queue, "bitmapscan")
    assert "event_arrival_idx" in shown, shown
