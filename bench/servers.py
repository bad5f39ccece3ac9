"""The servers under test, all under the same gunicorn settings on
127.0.0.1: the product (tracker.wsgi, DEBUG off), the raw floor
(bench.floor_app) and the stock DRF baseline (bench.baseline.wsgi).

One worker each: the harness sends one request at a time, and a single
worker makes its peak memory (VmHWM) the server's peak memory.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .dataset import PROJECT_ROOT

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ports(base: int | None, count: int) -> list[int]:
    """``count`` ports from ``base`` on, or free ones when no base is given."""
    return [free_port() for _ in range(count)] if base is None else list(range(base, base + count))


def server_environment(*, database_url: str, secret_key: str) -> dict:
    """Production-like settings for the product and the baseline, on the
    benchmark database. No broker: nothing measured here enqueues a task."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "BENCH_DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "REDIS_URL": "",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(PROJECT_ROOT),
    }


@dataclass
class Server:
    name: str
    app: str
    port: int
    log_path: Path
    ready_path: str  # any answer to it means the worker is serving
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, env: dict) -> None:
        command = [
            sys.executable, "-m", "gunicorn", self.app,
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", "1",
            # gthread with one thread: one request at a time, like sync,
            # but with HTTP keep-alive, so no request pays for a new socket.
            "--worker-class", "gthread", "--threads", "1", "--keep-alive", "60",
            "--timeout", "300",
            "--error-logfile", "-",
        ]  # fmt: skip
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited at start:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", self.ready_path)
                connection.getresponse().read()
                connection.close()
                if self.worker_pid():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} server did not answer within {STARTUP_SECONDS} s:\n{self.log_tail()}")

    def worker_pid(self) -> int | None:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0]) if children else None

    def reset_peak_memory(self) -> None:
        """Lower the worker's high-water mark (VmHWM) to its resident memory
        now, so that a figure's peak is its own, not an earlier figure's."""
        with open(f"/proc/{self.worker_pid()}/clear_refs", "w") as refs:
            refs.write("5")

    def memory_kb(self) -> dict[str, int]:
        """The worker's resident memory now (VmRSS) and at its peak (VmHWM)."""
        values = {}
        for line in Path(f"/proc/{self.worker_pid()}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
        return values

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
