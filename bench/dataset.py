"""The benchmark's dataset: a separate PostgreSQL database, migrated like
production and filled in SQL (INSERT ... SELECT over generate_series), so
that a million cases take a minute or two rather than an hour of ORM saves.

Shape (every row synthetic and saying so):
- China's administrative tree (cases/data/divisions.csv): 31 provinces,
  342 prefecture-level divisions, 2,849 county-level ones; the cases are
  spread evenly over every county-level division, 1% province-level
  (Jiangxi's) and 1% more in 浔阳区 (360403), figure 1's county, so that
  even a smoke run's county list has overdue cases;
- kinds 70% petitions, 15% provincial problems, 10% feedback problems, 5%
  warning-film items, spread over 30 campaigns;
- 5.5% assigned or in progress, 91% of those past their deadline (about
  50,000 overdue at 1,000,000), 0.5% awaiting acceptance or in publicity,
  the rest closed;
- three events per case (created, updated, then a status change or
  evidence), so 3,000,000 events at 1,000,000 cases;
- a supervisor, an officer per prefecture-level division (each with an
  e-mail address, so the reminder run has a recipient per city), the
  county bureau of 浔阳区 (360403), an administrator bound to no division
  (figures 2-4 read the whole country as it), and API tokens for the supervisor,
  that county bureau and Jiujiang's city bureau (360400, whose subtree
  holds 13 counties).

With ``one_province`` (``python -m bench --one-province``) the same shape
sits in Jiangxi alone, the supervisor's province: the cases spread evenly
over Jiangxi's 100 county-level divisions (across its 11 cities), 1%
province-level and 1% more in 浔阳区, so that the whole-province progress
report (figure 7) and the provincial supervisor's pages (figure 8) read
every case. The rest of China's tree, the people and the tokens are as
in the national layout.

Rows go in through the same triggers and constraints as production (the
feed trigger stamps every case); only the events, consistent by
construction, skip the foreign-key triggers for speed. Ids come from the
identity columns, so the sequences stay right without fix-ups.
"""

import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
from cases.divisions import reference_rows  # noqa: E402  (plain Python, no Django)

OFFICER_COUNTY = "360403"  # 浔阳区: the county bureau whose list figure 1 reads
OFFICER_CITY = "360400"  # 九江市: the city bureau whose list figure 1 reads (its counties' cases)
BATCH = 50_000  # cases per transaction while loading
BULK_CAMPAIGN = "bench-bulk"  # where figure 5 writes; emptied before each run
SEED = 0.4242
PROVINCE = "36"  # Jiangxi: the supervisor's province, and the one-province layout's


@dataclass(frozen=True)
class Dataset:
    url: str
    cases: int
    one_province: bool  # every case in Jiangxi (PROVINCE), not spread over China
    supervisor_token: str  # Jiangxi's provincial office (writes)
    national_token: str  # an administrator bound to no division: reads the whole country
    officer_token: str  # the city bureau's
    officer_city: str
    county_token: str
    officer_county: str
    bulk_campaign: str


def _dsn(url: str, **overrides) -> str:
    params = conninfo_to_dict(url.replace("postgres://", "postgresql://", 1))
    params.update(overrides)
    return make_conninfo(**params)


def database_name(url: str) -> str:
    return conninfo_to_dict(_dsn(url))["dbname"]


def connect(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(_dsn(url), **kwargs)


def _marker(cases: int, one_province: bool = False) -> str:
    # The national layout keeps its old marker, so that datasets built
    # before the one-province layout are still reused.
    layout = f" in one province ({PROVINCE})" if one_province else ""
    return f"bench dataset: {cases} cases{layout}, complete"


def prepare(*, url: str, cases: int, reuse: bool, log, one_province: bool = False) -> Dataset:
    """A database at ``url`` holding ``cases`` benchmark cases, over China
    or (``one_province``) all in Jiangxi: reused when asked and a complete
    dataset of that size and layout is there, otherwise dropped and built
    afresh."""
    layout = f"all in province {PROVINCE}" if one_province else "over China's counties"
    name = database_name(url)
    with psycopg.connect(_dsn(url, dbname="postgres"), autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if reuse and row is not None and row[0] == _marker(cases, one_province):
            log(f"reusing database {name} ({cases:,} cases {layout})")
            migrate(url)  # migrations added since it was built
            with connect(url, autocommit=True) as conn:
                reset_run_state(conn)
                return _dataset(conn, url=url, cases=cases, one_province=one_province)
        log(f"building database {name} with {cases:,} cases {layout}")
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    started = time.perf_counter()
    migrate(url)
    log(f"  migrated in {time.perf_counter() - started:.1f} s")
    with connect(url, autocommit=True) as conn:
        _load(conn, cases=cases, log=log, one_province=one_province)
        marker = _marker(cases, one_province)
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(marker)))
        return _dataset(conn, url=url, cases=cases, one_province=one_province)


def migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tracker.settings", "REDIS_URL": ""}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=PROJECT_ROOT, env=env, check=True
    )


def reset_run_state(conn: psycopg.Connection) -> None:
    """Undo what a previous run wrote, so every run starts from the built
    dataset: the bulk figure's cases, the day's reminder log, idempotency
    keys. A benchmark database only; the product never hard-deletes.
    ``conn`` must be in autocommit mode (for the VACUUM)."""
    with conn.transaction():
        conn.execute(
            "DELETE FROM cases_caseevent WHERE case_id IN (SELECT c.id FROM cases_case c "
            "JOIN cases_campaign p ON p.id = c.campaign_id WHERE p.code = %s)",
            [BULK_CAMPAIGN],
        )
        deleted = conn.execute(
            "DELETE FROM cases_case WHERE campaign_id = (SELECT id FROM cases_campaign WHERE code = %s)",
            [BULK_CAMPAIGN],
        ).rowcount
        conn.execute("DELETE FROM reminders_reminderlog")
        conn.execute("DELETE FROM api_idempotencykey")
    if deleted:
        # The deleted cases sit at the top of the id index as dead entries;
        # until a vacuum, the planner walks them whenever a query's id bound
        # is past its statistics (the deep page's): 1.02x became 1.26x.
        conn.execute("VACUUM (ANALYZE) cases_case")
        conn.execute("VACUUM (ANALYZE) cases_caseevent")


def _dataset(conn: psycopg.Connection, *, url: str, cases: int, one_province: bool) -> Dataset:
    tokens = dict(
        conn.execute(
            "SELECT u.username, t.key FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id"
        ).fetchall()
    )
    return Dataset(
        url=url,
        cases=cases,
        one_province=one_province,
        supervisor_token=tokens["bench-supervisor"],
        national_token=tokens["bench-national"],
        officer_token=tokens[f"bench-officer-{OFFICER_CITY}"],
        officer_city=OFFICER_CITY,
        county_token=tokens[f"bench-officer-{OFFICER_COUNTY}"],
        officer_county=OFFICER_COUNTY,
        bulk_campaign=BULK_CAMPAIGN,
    )


def _load(conn: psycopg.Connection, *, cases: int, log, one_province: bool) -> None:
    started = time.perf_counter()
    with conn.transaction():
        _reference_data(conn)
        _people(conn)
    log(f"  divisions, cities, campaigns and people in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    # The county-level divisions the cases spread over: every one of
    # China's ('%' matches every code), or Jiangxi's.
    counties = f"{PROVINCE}%" if one_province else "%"
    conn.execute("SELECT setseed(%s)", [SEED])
    for low in range(1, cases + 1, BATCH):
        high = min(low + BATCH - 1, cases)
        # One transaction per batch: the feed trigger stamps each batch
        # with its own transaction id, as real writes would spread.
        with conn.transaction():
            conn.execute(CASES_SQL, {"low": low, "high": high, "county": OFFICER_COUNTY, "counties": counties})
    log(f"  {cases:,} cases in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    (low_id, high_id) = conn.execute("SELECT min(id), max(id) FROM cases_case").fetchone()
    for low in range(low_id, high_id + 1, BATCH * 2):
        with conn.transaction():
            # The events reference cases and a user that exist by
            # construction: skip the per-row foreign-key triggers.
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute(EVENTS_SQL, {"low": low, "high": low + BATCH * 2 - 1})
    events = conn.execute("SELECT count(*) FROM cases_caseevent").fetchone()[0]
    log(f"  {events:,} events in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    conn.execute("VACUUM (ANALYZE) cases_case")
    conn.execute("VACUUM (ANALYZE) cases_caseevent")
    conn.execute("ANALYZE")
    log(f"  vacuum and analyze in {time.perf_counter() - started:.1f} s")


def _reference_data(conn: psycopg.Connection) -> None:
    """Every division of China (Jiangxi's came with the migrations), and a
    city row for each prefecture-level one."""
    rows = [(r.code, r.name, r.level, r.kind, r.parent) for r in reference_rows()]  # parents first
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO cases_division (code, name, level, kind, parent_id) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (code) DO NOTHING",
            rows,
        )
    conn.execute(
        """
        INSERT INTO cases_city (code, name, name_en, slug)
        SELECT code, CASE WHEN count(*) OVER (PARTITION BY name) > 1 OR name IN (SELECT name FROM cases_city)
                          THEN name || '（' || code || '）' ELSE name END, '', code
        FROM cases_division d WHERE level = 'city' AND NOT EXISTS (SELECT 1 FROM cases_city c WHERE c.code = d.code)
        """
    )
    conn.execute(
        """
        INSERT INTO cases_campaign (
            code, kind, name, name_en, round, batch, year, started_on, accepting_level, publicity_required, publicity_days,
            standards_required, allow_acceptance_without_evidence, close_after_publicity, review_days)
        SELECT 'bench-' || kind || '-' || n, kind,
               '合成督察 ' || kind || ' ' || n || '（基准测试数据）', 'Synthetic ' || kind || ' ' || n,
               n, 1, 2015 + n, make_date(2015 + n, 5, 1), 'province', false, 5, true, false, false, 5
        FROM unnest(ARRAY['central', 'provincial', 'warning_film']) kind, generate_series(1, 10) n
        UNION ALL
        SELECT %s, 'central', '基准测试批量写入', 'Benchmark bulk upserts', 9, 1, 2026, NULL, 'province', false, 5, true,
               false, false, 5
        """,
        [BULK_CAMPAIGN],
    )


def _people(conn: psycopg.Connection) -> None:
    conn.execute(
        """
        INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                   is_active, date_joined, role, can_write, language, city_id, division_id)
        SELECT '!bench', false, 'bench-supervisor', '', '', 'bench-supervisor@bench.invalid', false,
               true, now(), 'supervisor', false, 'zh-hans', NULL, '360000'
        UNION ALL
        SELECT '!bench', false, 'bench-national', '', '', 'bench-national@bench.invalid', false,
               true, now(), 'admin', false, 'zh-hans', NULL, NULL
        UNION ALL
        SELECT '!bench', false, 'bench-officer-' || code, '', '', 'bench-officer-' || code || '@bench.invalid', false,
               true, now(), 'officer', false, 'zh-hans', code, code
        FROM cases_city
        UNION ALL
        SELECT '!bench', false, 'bench-officer-' || %(county)s, '', '', 'bench-officer-' || %(county)s || '@bench.invalid',
               false, true, now(), 'officer', false, 'zh-hans', left(%(county)s, 4) || '00', %(county)s
        """,
        {"county": OFFICER_COUNTY},
    )
    for username in ("bench-supervisor", "bench-national", f"bench-officer-{OFFICER_CITY}", f"bench-officer-{OFFICER_COUNTY}"):
        conn.execute(
            "INSERT INTO authtoken_token (key, created, user_id) SELECT %s, now(), id FROM accounts_user WHERE username = %s",
            [secrets.token_hex(20), username],
        )


CASES_SQL = """
WITH draws AS (
    SELECT n, random() AS r_kind, random() AS r_status, random() AS r_city, random() AS r_age, random() AS r_deadline
    FROM generate_series(%(low)s::bigint, %(high)s::bigint) n
), shaped AS (
    SELECT n, r_deadline,
        CASE WHEN r_kind < 0.70 THEN 'petition' WHEN r_kind < 0.85 THEN 'provincial_problem'
             WHEN r_kind < 0.95 THEN 'feedback_problem' ELSE 'warning_item' END AS kind,
        CASE WHEN r_status < 0.020 THEN 'assigned' WHEN r_status < 0.055 THEN 'in_progress'
             WHEN r_status < 0.0575 THEN 'pending_acceptance' WHEN r_status < 0.060 THEN 'in_publicity'
             ELSE 'closed' END AS status,
        CASE WHEN r_city < 0.01 THEN '360000'
             WHEN r_city < 0.02 THEN %(county)s
             ELSE (SELECT array_agg(code ORDER BY code) FROM cases_division
                   WHERE level = 'county' AND code LIKE %(counties)s)
                  [1 + floor((r_city - 0.02) / 0.98
                             * (SELECT count(*) FROM cases_division
                                WHERE level = 'county' AND code LIKE %(counties)s))::int]
        END AS division_id,
        now() - interval '1 day' * (30 + floor(r_age * 1800)) AS created_at,
        (now() AT TIME ZONE 'Asia/Shanghai')::date AS today
    FROM draws
), dated AS (
    SELECT *,
        CASE WHEN status IN ('assigned', 'in_progress') THEN 'dated'
             WHEN status <> 'closed' THEN 'dated'
             WHEN r_deadline < 0.10 THEN 'long_term'
             WHEN r_deadline < 0.30 THEN 'immediate'
             ELSE 'dated' END AS deadline_type,
        CASE WHEN status IN ('assigned', 'in_progress') THEN
                 CASE WHEN r_deadline < 0.91 THEN today - (1 + floor(r_deadline / 0.91 * 720))::int
                      ELSE today + floor((r_deadline - 0.91) / 0.09 * 120)::int END
             WHEN status <> 'closed' THEN today + 30 - floor(r_deadline * 200)::int
             WHEN r_deadline < 0.10 THEN NULL
             ELSE created_at::date + (30 + floor(r_deadline * 300))::int END AS deadline,
        created_at + (now() - created_at) * ((n %% 97) / 97.0) AS updated_at,
        (SELECT array_agg(id ORDER BY code) FROM cases_campaign WHERE kind = 'central' AND code <> %(bulk)s) AS central,
        (SELECT array_agg(id ORDER BY code) FROM cases_campaign WHERE kind = 'provincial') AS provincial,
        (SELECT array_agg(id ORDER BY code) FROM cases_campaign WHERE kind = 'warning_film') AS films
    FROM shaped
)
INSERT INTO cases_case (
    reference, kind, title, description, deadline_type, deadline, status, progress, version,
    reopened_count, created_at, updated_at, closed_at, withdrawn_at, problem_number, target, measures,
    acceptance_number, petition_batch, transferred_on, district, pollution_types, is_key_case,
    investigation, veracity, handling, ordered_to_rectify, penalty_cases, fines_yuan, criminal_cases, detentions,
    summons, people_held_accountable, film_year, found_on, campaign_id, duplicate_of_id, division_id, city_id,
    review_stage)
SELECT
    'BN-' || n,
    kind,
    '合成案件第' || n || '号（基准测试）',
    '合成数据，仅用于性能基准测试，并非真实案件。Synthetic benchmark data, not a real case.',
    deadline_type,
    deadline,
    status,
    CASE WHEN status = 'assigned' THEN '' ELSE '合成整改进展' END,
    3,
    CASE WHEN status = 'closed' AND n %% 50 = 0 THEN 1 ELSE 0 END,
    created_at,
    updated_at,
    CASE WHEN status = 'closed' THEN updated_at END,
    NULL,
    CASE WHEN kind IN ('feedback_problem', 'provincial_problem') THEN 1 + n %% 500 END,
    CASE WHEN kind IN ('feedback_problem', 'provincial_problem') THEN '合成整改目标' ELSE '' END,
    CASE WHEN kind IN ('feedback_problem', 'provincial_problem') THEN '合成整改措施' ELSE '' END,
    CASE WHEN kind = 'petition' THEN 'XBN' || lpad(n::text, 12, '0') END,
    CASE WHEN kind = 'petition' THEN 1 + n %% 30 END,
    CASE WHEN kind = 'petition' THEN created_at::date END,
    '',
    CASE WHEN kind = 'petition'
         THEN jsonb_build_array((ARRAY['air', 'water', 'noise', 'soil', 'solid_waste'])[1 + n %% 5])
         ELSE '[]'::jsonb END,
    kind = 'petition' AND n %% 50 = 0,
    CASE WHEN kind = 'petition' AND status = 'closed' THEN '合成调查核实情况' ELSE '' END,
    CASE WHEN kind = 'petition' AND status = 'closed' THEN 'true' ELSE '' END,
    CASE WHEN kind = 'petition' AND status = 'closed' THEN '合成处理和整改情况' ELSE '' END,
    CASE WHEN kind = 'petition' AND status = 'closed' THEN n %% 3 ELSE 0 END,
    0,
    CASE WHEN kind = 'petition' AND status = 'closed' AND n %% 20 = 0 THEN 10000 ELSE 0 END,
    0, 0, 0, 0,
    CASE WHEN kind = 'warning_item' THEN 2018 + n %% 5 END,
    CASE WHEN kind = 'warning_item' THEN created_at::date END,
    CASE WHEN kind = 'provincial_problem' THEN provincial[1 + n %% array_length(provincial, 1)]
         WHEN kind = 'warning_item' THEN films[1 + n %% array_length(films, 1)]
         ELSE central[1 + n %% array_length(central, 1)] END,
    NULL,
    division_id,
    CASE WHEN division_id LIKE '%%0000' THEN NULL ELSE left(division_id, 4) || '00' END,
    -- The level each awaiting case waits at, as the workflow writes it: a
    -- county's case at its city's review or (half of them, passed on) at the
    -- province; a city's or the province's own case and one in publicity
    -- at the province, every campaign's accepting level.
    CASE WHEN status = 'in_publicity' THEN 'province'
         WHEN status = 'pending_acceptance' THEN
              CASE WHEN division_id LIKE '%%00' OR n %% 2 = 0 THEN 'province' ELSE 'city' END
    END
FROM dated
""".replace("%(bulk)s", f"'{BULK_CAMPAIGN}'")

# created (v1), progress reported (v2), then the move into the current
# status, or evidence for a case still assigned (v3).
EVENTS_SQL = """
INSERT INTO cases_caseevent (case_id, actor_id, created_at, action, from_status, to_status, note, changes, version)
SELECT c.id,
       CASE WHEN v = 1 THEN NULL ELSE (SELECT id FROM accounts_user WHERE username = 'bench-supervisor') END,
       c.created_at + (c.updated_at - c.created_at) * ((v - 1) / 2.0),
       CASE v WHEN 1 THEN 'created' WHEN 2 THEN 'updated'
              ELSE CASE WHEN c.status = 'assigned' THEN 'evidence' ELSE 'transition' END END,
       CASE WHEN v = 3 THEN
            CASE c.status WHEN 'in_progress' THEN 'assigned' WHEN 'pending_acceptance' THEN 'in_progress'
                          WHEN 'in_publicity' THEN 'pending_acceptance' WHEN 'closed' THEN 'pending_acceptance'
                          ELSE '' END
            ELSE '' END,
       CASE WHEN v = 1 THEN 'assigned' WHEN v = 3 AND c.status <> 'assigned' THEN c.status ELSE '' END,
       CASE WHEN v = 1 THEN '合成数据导入' ELSE '合成记录' END,
       CASE WHEN v = 2 THEN '{"progress": ["", "合成整改进展"]}'::jsonb ELSE '{}'::jsonb END,
       v
FROM cases_case c CROSS JOIN generate_series(1, 3) v
WHERE c.id BETWEEN %(low)s AND %(high)s
  AND c.campaign_id <> (SELECT id FROM cases_campaign WHERE code = '""" + BULK_CAMPAIGN + """')
"""
