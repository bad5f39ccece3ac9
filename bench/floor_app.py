"""The raw floor of figure 1: the least a server can do to answer the same
question. A bare WSGI callable, no framework, no authentication: one
psycopg query (the SQL the API's list runs for an account bound to
division X asking ``?overdue=true``: X's subtree as a range of division
codes) and orjson. Served by the same gunicorn settings as the product, so the
difference between the two is the framework's and the product's cost.

Run: gunicorn bench.floor_app:application (BENCH_DATABASE_URL set).
"""

import datetime
import os
import zoneinfo
from urllib.parse import parse_qs

import orjson
import psycopg
from psycopg.rows import dict_row

from cases.divisions import subtree_bounds  # plain Python: the boundary's range

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
PAGE = 50
OVERDUE_LIST_SQL = """
SELECT c.id, c.reference, p.code AS campaign, c.kind, c.title, c.city_id AS city, y.name AS city_name,
       c.division_id AS division, d.name AS division_name,
       c.status, c.deadline_type, c.deadline, c.version, c.created_at, c.updated_at, c.closed_at
FROM cases_case c
JOIN cases_campaign p ON p.id = c.campaign_id
LEFT JOIN cases_city y ON y.code = c.city_id
JOIN cases_division d ON d.code = c.division_id
WHERE c.withdrawn_at IS NULL AND c.division_id BETWEEN %s AND %s
  AND c.status IN ('assigned', 'in_progress') AND c.deadline < %s
ORDER BY c.id
LIMIT %s
"""

_connection = None


def _db() -> psycopg.Connection:
    # Opened in the worker after gunicorn forks, kept for its lifetime,
    # like the product's persistent connections (CONN_MAX_AGE).
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(
            os.environ["BENCH_DATABASE_URL"].replace("postgres://", "postgresql://", 1),
            autocommit=True,
            row_factory=dict_row,
        )
    return _connection


def _respond(start_response, status: str, body: bytes):
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/ping":
        return _respond(start_response, "200 OK", b"{}")
    if path != "/overdue":
        return _respond(start_response, "404 Not Found", b'{"code": "not_found"}')
    division = parse_qs(environ.get("QUERY_STRING", "")).get("division", [""])[0]
    today = datetime.datetime.now(SHANGHAI).date()
    rows = _db().execute(OVERDUE_LIST_SQL, [*subtree_bounds(division), today, PAGE + 1]).fetchall()
    body = orjson.dumps({"results": rows[:PAGE], "has_more": len(rows) > PAGE})
    return _respond(start_response, "200 OK", body)
