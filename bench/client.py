"""A plain keep-alive HTTP client and the timing helpers.

The harness is the only client and sends one request at a time, so a
timing is one request's full round trip (send, server work, body read).
"""

import http.client
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson


class BenchError(Exception):
    """Something the benchmark found wrong: the run fails (exit status 1)."""


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float

    def json(self):
        return orjson.loads(self.body)


class Client:
    def __init__(self, port: int, token: str | None = None, timeout: float = 300):
        self.port = port
        self.timeout = timeout
        self.headers = {"Authorization": f"Token {token}"} if token else {}
        self._connection = None

    def _open(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self._connection

    def request(self, method: str, path: str, body: dict | None = None, expect: int = 200) -> Reply:
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        for attempt in range(2):
            connection = self._open()
            try:
                started = time.perf_counter()
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                data = response.read()
                seconds = time.perf_counter() - started
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: reconnect
                # once; the request never reached it.
                self.close()
                if attempt:
                    raise
        if response.status != expect:
            raise BenchError(f"{method} {path} on port {self.port}: HTTP {response.status}: {data[:500]!r}")
        return Reply(response.status, data, seconds)

    def get(self, path: str, expect: int = 200) -> Reply:
        return self.request("GET", path, expect=expect)

    def post(self, path: str, body: dict, expect: int = 200) -> Reply:
        return self.request("POST", path, body=body, expect=expect)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass(frozen=True)
class Budget:
    """How long a series may run: at most ``repeats`` samples and at most
    ``seconds`` of wall time (whichever comes first), after ``warmup``
    unmeasured calls."""

    repeats: int
    seconds: float
    warmup: int = 5


def sample(calls: dict[str, Callable[[], float]], budget: Budget) -> dict[str, list[float]]:
    """Time each named call repeatedly, interleaved (a, b, c, a, b, c, ...)
    so that a noisy moment on a shared machine hits all of them alike.
    Each call returns the seconds it measured itself."""
    for _ in range(budget.warmup):
        for call in calls.values():
            call()
    samples = {name: [] for name in calls}
    stop_at = time.monotonic() + budget.seconds
    while len(next(iter(samples.values()))) < budget.repeats and time.monotonic() < stop_at:
        for name, call in calls.items():
            samples[name].append(call())
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(function: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        function()
        return time.perf_counter() - started

    return run
