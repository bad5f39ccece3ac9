"""Every message the project shows a person exists in Chinese: each app's
catalogue is complete and its compiled .mo matches its .po."""

import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def entries(po: Path):
    """(context, msgid, msgstr) of each non-obsolete entry, strings joined."""
    text = po.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~") or "msgid" not in block:
            continue
        fuzzy = "#, fuzzy" in block or re.search(r"^#,.*fuzzy", block, re.M)
        ctx = _field(block, "msgctxt")
        msgid = _field(block, "msgid")
        plural = _field(block, "msgid_plural")
        msgstr = _field(block, "msgstr") if plural is None else _field(block, r"msgstr\[0\]")
        if msgid:
            yield ctx, msgid, msgstr, bool(fuzzy)


def _field(block: str, name: str):
    match = re.search(rf'^{name} "(.*)"\n?((?:".*"\n?)*)', block, re.M)
    if not match:
        return None
    parts = [match.group(1)] + re.findall(r'^"(.*)"$', match.group(2), re.M)
    return "".join(parts).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_there_are_catalogues_for_the_apps():
    apps = {po.parts[-5] for po in CATALOGUES}
    assert {"cases", "accounts"} <= apps


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_message_has_a_chinese_translation_and_is_compiled(po):
    compiled = gettext.GNUTranslations(open(po.with_suffix(".mo"), "rb"))
    untranslated, stale = [], []
    for ctx, msgid, msgstr, fuzzy in entries(po):
        if not msgstr or fuzzy:
            untranslated.append(msgid)
            continue
        got = compiled.pgettext(ctx, msgid) if ctx else compiled.gettext(msgid)
        if got != msgstr:
            stale.append(msgid)
    assert not untranslated, f"untranslated in {po}: {untranslated[:10]}"
    assert not stale, f"{po.with_suffix('.mo')} is out of date; run compilemessages: {stale[:10]}"


def test_every_message_in_the_code_and_templates_is_in_a_catalogue_and_translated(tmp_path):
    """The catalogues hold what the code and templates say today: messages
    are extracted afresh (makemessages, on a copy of the tree) and every one
    of them must have its Chinese. A string wrapped for translation but
    never added to a catalogue would otherwise show in English only."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("xgettext") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs GNU gettext (xgettext) to check the catalogues")
        pytest.skip("needs GNU gettext (xgettext); runs in CI")
    copy = tmp_path / "tree"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "media", "staticfiles", "__pycache__", "*.sqlite3")
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy, check=True, capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tracker.settings"},
    )  # fmt: skip
    missing = {
        str(po.relative_to(copy)): [msgid for _ctx, msgid, msgstr, fuzzy in entries(po) if not msgstr or fuzzy]
        for po in sorted(copy.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
    }
    assert not {po: ids for po, ids in missing.items() if ids}
