"""Operations: the health check, production settings and the compose file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_answers_anonymously_with_the_database_and_broker_state(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["broker"] in {"ok", "in-process"}


@pytest.mark.django_db
def test_a_broker_outage_does_not_take_the_site_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "unreachable"


def test_deploy_check_passes_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "k3y-" + "x7Qp9Lm2Zr8Vt4Wn6Ys1Bc5Df0Gh3Jk" * 2,
        "ALLOWED_HOSTS": "tracker.example.test",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:////tmp/deploy-check.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_compose_defines_the_stack_with_the_same_settings():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "postgres", "redis"}
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert env["DEBUG"] == "0" and "SECRET_KEY" in env
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}
    assert "gunicorn tracker.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A tracker worker")
    assert services["beat"]["command"].startswith("celery -A tracker beat")
    assert (ROOT / "Dockerfile").exists()
