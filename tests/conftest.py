"""Shared fixtures: fixed actors whose names say what they may do.

- ``supervisor``: province-wide, accepts and reopens.
- ``nanchang_officer`` / ``jiujiang_officer``: bound to one city each.
- ``readonly_client`` (Nanchang), ``write_client`` (Nanchang),
  ``province_client`` (province-wide, read-write): API machine accounts.
"""

import contextlib
import datetime
import io
import os
import zoneinfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from tests.factories import CaseFactory, UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
IN_CI = bool(os.environ.get("CI"))


def pytest_configure(config):
    # In CI the services must be there: a missing PostgreSQL or Redis is a
    # failure, never a silent skip.
    if IN_CI and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise pytest.UsageError("CI must run on PostgreSQL: set DATABASE_URL=postgres://...")
    if IN_CI and not os.environ.get("REDIS_URL"):
        raise pytest.UsageError("CI must run with Redis: set REDIS_URL=redis://...")
    # Factories and the demo give every account a password; Django's real
    # hasher (a million PBKDF2 rounds each) would be a large share of the
    # suite's time for nothing it tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# On SQLite a transactional test's flush empties the tables in an order
# Django takes from a set (it changes with the hash seed). Deleting a
# cooperation link or a case fires the feed's and the tallies' triggers,
# which insert rows referencing the case, unit or city: into a table the
# flush may already have emptied, so the commit's foreign-key check failed
# now and then. Emptying these tables first makes every flush the same (the
# product itself never deletes a case).
FLUSH_FIRST = ("cases_case_cooperating_units", "cases_case")


@pytest.fixture(autouse=True, scope="session")
def _flush_trigger_tables_first():
    if connection.vendor != "sqlite":
        yield
        return
    operations = type(connection.ops)
    flush = operations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        first = [table for table in FLUSH_FIRST if table in tables]
        return flush(self, style, first + sorted(set(tables) - set(first)), **kwargs)

    operations.sql_flush = sql_flush
    yield
    operations.sql_flush = flush


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); runs in CI")
    skip_redis = pytest.mark.skip(reason="needs Redis (set REDIS_URL); runs in CI")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


def shanghai(*args) -> datetime.datetime:
    """An aware datetime in Asia/Shanghai, for pinning time."""
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _forget_working_days():
    """A test's schedule rows are rolled back without a signal: forget the
    working-day answers kept from them."""
    from workdays.calendar import forget_remembered

    forget_remembered()


@pytest.fixture(autouse=True)
def _not_inside_a_worker():
    """Celery keeps one process-wide mark "this process is a worker, joining
    a result would block", set when a worker's pool is built. The in-process
    worker of ``redis_worker`` builds one; a worker thread that outlives its
    test (its shutdown timed out) can leave the mark behind, and the next
    eager test's ``.delay().get()`` then fails with "Never call result.get()
    within a task!" (CI, stop 18). No test here runs inside a task."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


def ensure_cities():
    """Jiangxi's divisions and its 11 cities come from data migrations; a
    transactional test's flush removes them, so put them back the same way."""
    from cases.constants import CampaignKind
    from cases.divisions import HOME_PROVINCE, load_divisions
    from cases.models import City, Division, EvidenceStandard
    from cases.reference import ensure_cities as create_missing
    from cases.reference import ensure_evidence_standards

    if not Division.objects.filter(code=HOME_PROVINCE).exists():
        load_divisions(Division, provinces={HOME_PROVINCE[:2]})
    create_missing(City)
    ensure_evidence_standards(EvidenceStandard, CampaignKind.values)


@pytest.fixture
def migrate():
    """Migrate the test database to the given nodes and return the models as
    they were there; afterwards, back to the latest migrations."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def to(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield to
    to(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.fixture
def cities(db):
    ensure_cities()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Every test with database access starts with the 11 cities, even right
    after a transactional test flushed them."""
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames):
        request.getfixturevalue("_django_db_helper")
        ensure_cities()


@pytest.fixture
def nanchang(cities):
    from cases.models import City

    return City.objects.get(code="360100")


@pytest.fixture
def jiujiang(cities):
    from cases.models import City

    return City.objects.get(code="360400")


@pytest.fixture
def supervisor(cities):
    return UserFactory(username="sup", role="supervisor", city=None)


@pytest.fixture
def nanchang_officer(nanchang):
    return UserFactory(username="nc_officer", role="officer", city=nanchang)


@pytest.fixture
def jiujiang_officer(jiujiang):
    return UserFactory(username="jj_officer", role="officer", city=jiujiang)


@pytest.fixture
def readonly_client(nanchang):
    return UserFactory(username="nc_reader", role="api_client", city=nanchang, can_write=False)


@pytest.fixture
def write_client(nanchang):
    return UserFactory(username="nc_writer", role="api_client", city=nanchang, can_write=True)


@pytest.fixture
def province_client(cities):
    return UserFactory(username="prov_writer", role="api_client", city=None, can_write=True)


@pytest.fixture
def admin_user(cities):
    return UserFactory(username="root", role="admin", city=None, is_staff=True, is_superuser=True)


@pytest.fixture
def nanchang_case(nanchang):
    return CaseFactory(city=nanchang, status="in_progress")


@pytest.fixture
def jiujiang_case(jiujiang):
    return CaseFactory(city=jiujiang, status="in_progress")


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def demo_loaded(django_db_blocker, today: datetime.date):
    """Load the demo once for a module, inside a transaction rolled back at
    the end (as TestCase.setUpTestData does); each test runs in a savepoint.
    Use from a module-scoped fixture that depends on django_db_setup."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", "--password", "pw-for-tests", "--today", today.isoformat(), stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def token_client(user):
    """An API client that sends ``user``'s token, as integrations do."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def redis_worker():
    """A real Celery worker on the Redis of REDIS_URL (not eager mode), in a
    thread of this process: it shares the in-memory mail outbox and, with
    transaction=True tests, sees their committed data."""
    from celery.contrib.testing.worker import start_worker

    from tracker.celery import app

    assert not app.conf.task_always_eager, "this test is about the broker; run it with REDIS_URL set"
    # Messages other tests queued for a worker that never came must not run
    # against this test's database.
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield app
