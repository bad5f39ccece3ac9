#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+.

    python3 dev.py demo    # venv, install, migrate, seed the demo, serve on :8000
    python3 dev.py test    # venv, install, run the whole test suite
    python3 dev.py setup   # just the venv and the packages

Extra arguments after ``test`` go to pytest. The virtual environment is
``.venv`` beside this file; packages are installed again only when a
requirements file changes.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-2024")


def run(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)


def setup(requirements: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating the virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    files = [ROOT / "requirements.txt", ROOT / requirements]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", ROOT / requirements)
    stamp.write_text(digest)


def manage(*args):
    run(PYTHON, ROOT / "manage.py", *args)


def demo() -> None:
    setup("requirements.txt")
    manage("migrate", "--noinput")
    manage("seed_demo", "--password", DEMO_PASSWORD)
    # Today's digests: with nothing configured, e-mail to this console and
    # every digest in each account's notification centre (once a day).
    manage("send_reminders")
    print(
        "\nDemo ready at http://127.0.0.1:8000  (password for every demo account: "
        f"{DEMO_PASSWORD})\n  supervisor: supervisor\n  city officers: nanchang jingdezhen pingxiang jiujiang "
        "xinyu yingtan ganzhou jian yichun fuzhou shangrao\n",
        flush=True,
    )
    manage("runserver", "127.0.0.1:8000")


def test(extra: list[str]) -> None:
    setup("requirements-dev.txt")
    result = subprocess.run([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT)
    sys.exit(result.returncode)


def main() -> None:
    command, *extra = sys.argv[1:] or ["help"]
    if command == "demo":
        demo()
    elif command == "test":
        test(extra)
    elif command == "setup":
        setup("requirements-dev.txt")
    else:
        print(__doc__)
        sys.exit(0 if command == "help" else 2)


if __name__ == "__main__":
    main()
