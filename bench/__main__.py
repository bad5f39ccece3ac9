"""python -m bench --cases N [--one-province] [--reuse] [--json out.json]

Builds (or reuses) the benchmark database, starts the product, the raw
floor and the stock DRF baseline under gunicorn on 127.0.0.1, measures the
figures of issue 7, figure 7 (the progress report of issue 15) and figure 8
(the pages of issue 11, in process: bench/pages.py), and prints one table.
Exits 1 when anything goes wrong (a server error, a wrong answer); a
missed target is reported, not an error. See bench/RESULTS.md.
"""

import argparse
import os
import platform
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from .client import BenchError, Budget
from .dataset import connect, prepare

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench"
SMOKE_CASES = 100_000
SMOKE_REPEATS = 50


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[1])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in the dataset (default 1,000,000)")
    parser.add_argument(
        "--one-province", action="store_true",
        help="put every case in Jiangxi (36), the supervisor's province, over its real cities and counties "
        "(1%% province-level), so that the whole-province report (figure 7) covers all of them; "
        "default: spread over all of China's counties",
    )  # fmt: skip
    parser.add_argument(
        "--reuse", action="store_true", help="keep an existing complete dataset of this size and layout"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
        help=f"the benchmark database, dropped and rebuilt (default $BENCH_DATABASE_URL or {DEFAULT_URL})",
    )
    parser.add_argument(
        "--repeats", type=int, help=f"samples per latency series (default 200; {SMOKE_REPEATS} below {SMOKE_CASES:,} cases)"
    )
    parser.add_argument("--seconds", type=float, default=30, help="time limit per latency series (default 30)")
    parser.add_argument(
        "--rounds", type=int, help=f"rounds of the bulk, reminder and report figures (default 3; 1 below {SMOKE_CASES:,} cases)"
    )
    parser.add_argument(
        "--only", type=lambda text: {int(n) for n in text.split(",")}, default={1, 2, 3, 4, 5, 6, 7, 8},
        metavar="1,2,...", help="measure only these figures (default all eight)",
    )  # fmt: skip
    parser.add_argument(
        "--port-base", type=int, default=int(os.environ.get("BENCH_PORT_BASE", 0)) or None, metavar="PORT",
        help="serve the product, the floor and the baseline on PORT, PORT+1 and PORT+2 "
        "(default $BENCH_PORT_BASE, else free ports)",
    )
    parser.add_argument("--page-samples", type=int, default=7, help="samples per page of figure 8 (default 7)")
    parser.add_argument("--export-samples", type=int, default=3, help="samples per export of figure 8 (default 3)")
    args = parser.parse_args(argv)
    if args.cases < 1000:
        parser.error("--cases: at least 1000")
    # A smaller dataset is a smoke run (CI's): every figure checked once
    # for the right answer, fewer samples of its timings.
    smoke = args.cases < SMOKE_CASES
    args.repeats = args.repeats or (SMOKE_REPEATS if smoke else 200)
    args.rounds = args.rounds or (1 if smoke else 3)
    return args


def setup_django(*, database_url: str, secret_key: str) -> None:
    """The harness's own Django, on the benchmark database with the
    servers' secret key (figure 2 writes a list cursor) and no broker
    (figure 6 runs the reminder job in this process)."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=secret_key,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        REDIS_URL="",
        LOG_LEVEL="ERROR",
    )
    import django

    django.setup()


def machine(conn) -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
        platform.processor(),
    )
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")))
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "postgresql": conn.execute("SHOW server_version").fetchone()[0],
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if value >= 1000:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def table(figures) -> str:
    header = ("figure", "value", "floor", "ratio", "target", "")
    rows = [
        (
            f.title,
            fmt(f.value, f.unit),
            fmt(f.floor, f.unit),
            "—" if f.ratio is None else f"{f.ratio:.2f}×",
            f.target,
            {True: "pass", False: "MISS", None: ""}[f.passed],
        )
        for f in figures
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    from . import figures as f
    from . import pages
    from .servers import Server, ports, server_environment

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    secret_key = secrets.token_urlsafe(50)
    setup_django(database_url=args.database_url, secret_key=secret_key)
    started = time.time()
    dataset = prepare(
        url=args.database_url, cases=args.cases, reuse=args.reuse, log=log, one_province=args.one_province
    )
    log_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    apps = (
        ("product", "tracker.wsgi:application", "/healthz"),
        ("floor", "bench.floor_app:application", "/ping"),
        ("baseline", "bench.baseline.wsgi:application", "/api/v1/cases/"),
    )
    servers = {
        name: Server(name, app, port, log_dir / f"{name}.log", path)
        for (name, app, path), port in zip(apps, ports(args.port_base, len(apps)), strict=True)
    }
    env = server_environment(database_url=args.database_url, secret_key=secret_key)
    results = []
    try:
        for server in servers.values():
            server.start(env)
            log(f"{server.name} on 127.0.0.1:{server.port} (log {server.log_path})")
        with connect(args.database_url, autocommit=True) as db:
            run = f.Run(
                dataset=dataset,
                product=servers["product"],
                floor=servers["floor"],
                baseline=servers["baseline"],
                budget=Budget(repeats=args.repeats, seconds=args.seconds),
                db=db,
                log=log,
            )
            host = machine(db)
            steps = (
                ("1. list page", lambda: f.list_page(run)),
                ("2. deep page", lambda: f.deep_page(run)),
                ("3. statistics", lambda: f.statistics(run)),
                # Before the bulk writes, so the feed walks exactly the dataset.
                ("4. change feed", lambda: f.change_feed(run, time_limit=max(600, args.cases / 500))),
                ("5. bulk upsert", lambda: f.bulk_upsert(run, rounds=args.rounds)),
                ("6. reminder run", lambda: f.reminder_run(run, rounds=args.rounds)),
                ("7. progress report", lambda: f.progress_report(run, rounds=args.rounds)),
                (
                    "8. pages and exports",
                    lambda: pages.pages(run, samples=args.page_samples, export_samples=args.export_samples),
                ),
            )
            for number, (name, step) in enumerate(steps, start=1):
                if number not in args.only:
                    continue
                log(f"measuring {name}")
                results.extend(step())
    except (BenchError, subprocess.CalledProcessError, RuntimeError, OSError) as error:
        if results:
            print(f"\nMeasured before the failure:\n{table(results)}")
        print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
        for server in servers.values():
            tail = server.log_tail()
            if tail:
                print(f"--- {server.name} server log (last lines) ---\n{tail}", file=sys.stderr)
        return 1
    finally:
        for server in servers.values():
            server.stop()

    print()
    print(table(results))
    log(f"done in {time.time() - started:.0f} s")
    if args.json:
        report = {
            "command": "python -m bench " + shlex.join(sys.argv[1:] if argv is None else argv),
            "cases": args.cases,
            "one_province": args.one_province,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": host,
            "figures": [figure.as_dict() for figure in results],
        }
        args.json.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
