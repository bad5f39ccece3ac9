"""Celery workers and beat as real processes, for the crash tests: they can
be killed with SIGKILL (with their pool's children), their database
connections terminated, their broker stopped and started again.

They run the project's code against this test run's PostgreSQL database
(the test commits its data) and mail into a spool directory
(``mailservers.SpoolBackend``) that the test reads to count what was sent."""

import email
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from reminders.models import FINAL_STATES, DigestState, ReminderLog

CELERY = [sys.executable, "-m", "celery", "-A", "tracker"]


def database_url() -> str:
    """This test run's database (test_<name>), as a DATABASE_URL."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A Redis server of the test's own, on a free port, that the test may
    stop and start (the shared one is other tests' too)."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the private Redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class Cluster:
    """Worker and beat processes sharing one environment."""

    directory: Path
    redis_url: str
    settings: dict = field(default_factory=dict)
    processes: dict = field(default_factory=dict)

    def __post_init__(self):
        self.spool = self.directory / "spool"
        self.spool.mkdir(exist_ok=True)

    def env(self) -> dict:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reminders.worker_settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis_url,
            "REMINDER_TEST_SPOOL": str(self.spool),
            "DEBUG": "1",
        }
        env.update({key: str(value) for key, value in self.settings.items()})
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """A management command in a process of its own."""
        return subprocess.run(
            [sys.executable, "manage.py", *args], env=self.env(), capture_output=True, text=True, timeout=120
        )

    def start_worker(self, name: str) -> None:
        self._start(
            name,
            [*CELERY, "worker", "--pool", "prefork", "--concurrency", "1", "--hostname", f"{name}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
        )  # fmt: skip

    def start_beat(self) -> None:
        self._start("beat", [*CELERY, "beat", "--schedule", str(self.directory / "beat-schedule"), "--loglevel", "INFO"])

    def _start(self, name: str, command: list[str]) -> None:
        log = open(self.directory / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        # A session of its own: killing the group kills the pool's children too.
        self.processes[name] = (subprocess.Popen(command, env=self.env(), stdout=log, stderr=log, start_new_session=True), log)

    def kill(self, name: str) -> None:
        """SIGKILL to the process and all its children, as the OOM killer or
        a pulled plug would do it."""
        process, log = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.kill(name)

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def accepted(self) -> list[email.message.Message]:
        """Every message the mail server accepted, in no order."""
        return [email.message_from_bytes(path.read_bytes()) for path in self.spool.glob("*.eml")]


@dataclass(frozen=True)
class Figures:
    """What a fault did to the day's digests."""

    fault: str
    digests: int
    sent: int  # recipients whose digest reached the mail server
    stranded: int  # digests not sent in the end
    duplicated: int  # messages beyond the first for a digest
    one_message_id: bool  # every duplicate carried its first's Message-ID
    seconds: float

    def __str__(self):
        return (
            f"FAULT {self.fault}: {self.digests} digests, {self.sent} sent, {self.stranded} stranded,"
            f" {self.duplicated} duplicated (same Message-ID: {self.one_message_id}), all done in {self.seconds:.1f} s"
        )


def wait_for_every_digest(expected: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = list(ReminderLog.objects.values_list("state", flat=True))
        if len(states) == expected and all(state in FINAL_STATES for state in states):
            return True
        time.sleep(0.3)
    return False


def figures(fault: str, cluster: Cluster, recipients: list, started: float) -> Figures:
    messages = cluster.accepted()
    per_recipient = Counter(message["To"] for message in messages)
    ids = {}
    for message in messages:
        ids.setdefault(message["To"], set()).add(message["Message-ID"])
    logs = ReminderLog.objects.all()
    return Figures(
        fault=fault,
        digests=len(recipients),
        sent=sum(1 for person in recipients if per_recipient[person.email]),
        stranded=logs.exclude(state=DigestState.SENT).count() + len(recipients) - logs.count(),
        duplicated=sum(count - 1 for count in per_recipient.values()),
        one_message_id=all(len(found) == 1 for found in ids.values()),
        seconds=time.monotonic() - started,
    )
