"""A malformed service URL stops start-up with one line naming the
variable, what is wrong with it and the forms it accepts; never a
traceback, never the password."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(command: list[str], **variables) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL")}
    env.update({"DATABASE_URL": "sqlite:////tmp/configuration-test.sqlite3", **variables})
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def manage_check(**variables) -> subprocess.CompletedProcess:
    return start([sys.executable, "manage.py", "check"], **variables)


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("EMAIL_URL", "consolemail://", "unknown scheme 'consolemail://'"),
        ("EMAIL_URL", "smtp://mail.example:twenty-five", "Port could not be cast"),
        ("EMAIL_URL", "smtp://mail.example/?timeout=soon", "cannot read"),
        ("DATABASE_URL", "postgress://tracker:pw@db:5432/tracker", "unknown scheme 'postgress://'"),
        ("DATABASE_URL", "tracker.sqlite3", "no scheme"),
        ("DATABASE_URL", "postgres://tracker:pw@db:99999/tracker", "Port out of range"),
        ("DATABASE_URL", "postgres://tracker:pw@db:5432", "no host or database name"),
        ("REDIS_URL", "http://127.0.0.1:6379/0", "unknown scheme 'http://'"),
        ("REDIS_URL", "redis://127.0.0.1:port/0", "Port could not be cast"),
        ("REDIS_URL", "redis://127.0.0.1:6379/zero", "the database 'zero' is not a number"),
    ],
)
def test_a_malformed_url_stops_start_up_with_one_line(name, value, problem):
    result = manage_check(**{name: value})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith(f"Configuration error: {name}: ")
    assert problem in lines[0]
    assert "Accepted: " in lines[0]
    assert "pw@" not in lines[0]  # the password is masked
    assert "***@" in lines[0] or "pw" not in value


def test_the_wsgi_application_refuses_to_load_the_same_way():
    result = start([sys.executable, "-c", "import tracker.wsgi"], EMAIL_URL="consolemail://")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Configuration error: EMAIL_URL: unknown scheme 'consolemail://' in 'consolemail://'. Accepted: "
        "smtp://USER:PASSWORD@HOST:PORT[/?tls=True|ssl=True], submission://..., console://, file:///PATH, "
        "memory://, dummy://."
    ]


def test_well_formed_urls_start():
    result = manage_check(
        EMAIL_URL="smtp://tracker:pw@mail.example:587/?tls=True",
        REDIS_URL="redis://127.0.0.1:6379/1",
        DATABASE_URL="postgres://tracker:pw@db:5432/tracker",
    )
    assert result.returncode == 0, result.stderr
