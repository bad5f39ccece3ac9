"""The administrative tree (GB/T 2260): its reference data, the subtree of a
division as a range of codes, and finding a division by name.

GB/T 2260 codes are hierarchical: 36 Jiangxi, 3604 九江市, 360403 浔阳区.
A province's code ends in 0000 and a prefecture-level division's in 00,
so the code alone says which leading digits its descendants share, and
"the subtree of X" is the range of codes from those digits padded with 0
to those digits padded with 9: one index range, no recursive query. A
county-level division hanging directly from its province (省直辖县级,
429004 仙桃市) keeps its province's digits, so the rule holds at any
depth the codes can express.
"""

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "divisions.csv"
CODE_PATTERN = re.compile(r"^\d{6}$")
HOME_PROVINCE = "360000"  # the product's province; its divisions come with the schema


def significant_digits(code: str) -> str:
    """The leading digits every division in ``code``'s subtree shares."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def level_of(code: str) -> str:
    """A division's level (province, city or county) read off its code, as
    the reference data's level column states it (tested): no query, so
    rules checked on in-memory rows can ask it."""
    return {2: "province", 4: "city"}.get(len(significant_digits(code)), "county")


def subtree_bounds(code: str) -> tuple[str, str]:
    """The first and last code of ``code``'s subtree (itself included)."""
    digits = significant_digits(code)
    return digits.ljust(6, "0"), digits.ljust(6, "9")


def in_subtree(code: str | None, root: str) -> bool:
    low, high = subtree_bounds(root)
    return code is not None and low <= code <= high


def on_one_line(a: str, b: str) -> bool:
    """Whether one of the two divisions is an ancestor of (or is) the other."""
    return in_subtree(a, b) or in_subtree(b, a)


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: str
    kind: str
    parent: str | None


@functools.cache
def reference_rows() -> tuple[DivisionRow, ...]:
    """Every division of divisions.csv, parents before children."""
    with DATA.open(encoding="utf-8") as source:
        rows = [DivisionRow(r["code"], r["name"], r["level"], r["kind"], r["parent"] or None) for r in csv.DictReader(source)]
    order = {"province": 0, "city": 1, "county": 2}
    return tuple(sorted(rows, key=lambda r: (order[r.level], r.code)))


def load_divisions(Division, City=None, *, provinces: set[str] | None = None) -> int:
    """Create the divisions of ``provinces`` (two-digit prefixes; all when
    None) that are missing, and a City row for each prefecture-level one
    (``Division`` and ``City`` are the models, real or historical).
    Returns how many divisions were created."""
    present = set(Division.objects.values_list("code", flat=True))
    wanted = [r for r in reference_rows() if provinces is None or r.code[:2] in provinces]
    new = [
        Division(code=r.code, name=r.name, level=r.level, kind=r.kind, parent_id=r.parent)
        for r in wanted
        if r.code not in present
    ]
    Division.objects.bulk_create(new, batch_size=1000)
    if City is not None:
        cities = set(City.objects.values_list("code", flat=True))
        slugs = set(City.objects.values_list("slug", flat=True))
        names = set(City.objects.values_list("name", flat=True))
        rows = []
        for r in wanted:
            if r.level != "city" or r.code in cities or r.code in slugs:
                continue
            # A city's name is unique; 重庆市 (500100, 500200) and the
            # 省直辖县级行政区划 entries repeat, so those carry their code.
            name = r.name if r.name not in names else f"{r.name}（{r.code}）"
            names.add(name)
            rows.append(City(code=r.code, name=name, name_en="", slug=r.code))
        City.objects.bulk_create(rows)
    return len(new)


def ancestor_line(code: str, divisions: dict) -> list[tuple[str, str, str]]:
    """``code``'s division and its ancestors as (code, name, level), itself
    first; ``divisions`` maps codes to objects with name, level, parent_id."""
    line = []
    while code is not None and code in divisions:
        division = divisions[code]
        line.append((code, division.name, division.level))
        code = division.parent_id
    return line


# --- finding a division by name ---

# Suffixes a county-level name may be written without (浔阳 for 浔阳区).
SUFFIXES = ("自治县", "自治旗", "林区", "特区", "区", "县", "市", "旗")


def short_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


class NameIndex:
    """Divisions by the ways a ledger writes them: 九江市浔阳区, 九江浔阳区,
    浔阳区 and 浔阳 all find 360403. Built from (code, name, parent code)
    triples; a name that fits several divisions is ambiguous, never guessed."""

    def __init__(self, rows):
        rows = list(rows)
        self.names = {code: name for code, name, _parent in rows}
        self.parents = {code: parent for code, _name, parent in rows}
        self._keys: dict[str, set[str]] = {}
        for code, name, _parent in rows:
            for own in {name, short_name(name)}:
                self._add(own, code)
                for ancestor in self._ancestors(code):
                    for prefix in {self.names[ancestor], short_name(self.names[ancestor])}:
                        self._add(prefix + own, code)

    def _ancestors(self, code):
        parent = self.parents.get(code)
        while parent is not None and parent in self.names:
            yield parent
            parent = self.parents.get(parent)

    def _add(self, key: str, code: str) -> None:
        self._keys.setdefault(key, set()).add(code)

    def find(self, name: str, *, within: str | None = None) -> list[str]:
        """The codes ``name`` may mean (inside ``within``'s subtree when
        given); one code when it is unambiguous."""
        key = re.sub(r"\s+", "", name or "")
        codes = self._keys.get(key, set())
        if within is not None:
            codes = {code for code in codes if in_subtree(code, within)}
        if len(codes) > 1:
            # 九江市 the city and 九江市 written for its districts' area are
            # one place: prefer the highest level among nested matches.
            top = [c for c in codes if not any(o != c and in_subtree(c, o) for o in codes)]
            codes = set(top)
        return sorted(codes)
