"""Responsible units (责任单位) written as text: where a name belongs in the
tree, and how a list of them is split. Used by the data migration that
turned the old text columns into records, and by the ways in that still
take names (imports, the API's names)."""

import re

from .divisions import NameIndex, ancestor_line, on_one_line

UNIT_SEPARATORS = re.compile(r"[、，,；;／/\n]+")
LEVEL_WORDS = {"省": "province", "市": "city", "县": "county", "区": "county"}


def split_units(text: str) -> list[str]:
    """``"市住建局、市水利局"`` -> the names, blanks dropped, order kept."""
    names = [name.strip() for name in UNIT_SEPARATORS.split(text or "")]
    return list(dict.fromkeys(name for name in names if name))


def place_unit(name: str, *, line: list[tuple[str, str, str]], index: NameIndex) -> tuple[str, str]:
    """The division a unit named ``name`` belongs to, and its full name.

    ``line`` is the case's division and its ancestors as (code, name,
    level), the case's own first. A name that starts with a division's
    name (九江市浔阳区人民政府) belongs to that division, when it is above
    or below the case's; one that starts with a level word (市住建局, 省生态
    环境厅) to the case's division of that level, and gets its name
    (九江市住建局); any other to the case's division."""
    case_division = line[0][0]
    for length in range(len(name) - 1, 1, -1):
        codes = [code for code in index.find(name[:length]) if on_one_line(code, case_division)]
        if len(codes) == 1:
            return codes[0], name
    level = LEVEL_WORDS.get(name[:1])
    for code, division_name, division_level in line:
        if level is not None and division_level == level:
            return code, division_name + name[1:]
    return line[0][0], name


# --- resolving what a client or a ledger writes ---


def division_line(code: str) -> list[tuple[str, str, str]]:
    """``code``'s division and its ancestors as (code, name, level)."""
    from .models import Division

    return ancestor_line(code, Division.objects.in_bulk(_ancestor_codes(code)))


def _ancestor_codes(code: str) -> list[str]:
    codes = [code]
    if not code.endswith("00"):
        codes.append(code[:4] + "00")
    if not code.endswith("0000"):
        codes.append(code[:2] + "0000")
    return codes


def resolve_division(value) -> "Division":  # noqa: F821
    """A division given by its code or its name (九江市浔阳区, 浔阳区, 浔阳)."""
    from django.utils.translation import gettext as _

    from .divisions import CODE_PATTERN
    from .models import Division

    if isinstance(value, Division):
        return value
    text = str(value or "").strip()
    if CODE_PATTERN.match(text):
        division = Division.objects.filter(code=text).first()
        if division is None:
            raise ValueError(_("Unknown division code “%(value)s”.") % {"value": text})
        return division
    codes = division_names().find(text)
    if len(codes) == 1:
        return Division.objects.get(code=codes[0])
    if codes:
        raise ValueError(_("“%(value)s” may mean several divisions (%(codes)s); give the code.") % {"value": text, "codes": ", ".join(codes)})
    raise ValueError(_("Unknown division “%(value)s”; give a GB/T 2260 code or a name such as 九江市浔阳区.") % {"value": text})


_names: tuple[float, int, NameIndex | None] = (0.0, -1, None)
NAMES_TTL = 300  # seconds: divisions are reference data that almost never change


def division_names() -> NameIndex:
    """Every division by name, built at most every few minutes (and again
    when the number of divisions changed)."""
    import time

    from .models import Division

    global _names
    read_at, count, index = _names
    if index is None or time.monotonic() - read_at > NAMES_TTL or Division.objects.count() != count:
        rows = list(Division.objects.values_list("code", "name", "parent_id"))
        index = NameIndex(rows)
        _names = (time.monotonic(), len(rows), index)
    return index


def resolve_unit(value, *, division: str):
    """A unit given by its id or its name, for a case in ``division``: the
    name is looked for above and below the division (市住建局 written for a
    case of 九江 finds 九江市住建局)."""
    from django.utils.translation import gettext as _

    from .models import Unit

    if isinstance(value, Unit):
        unit = value
    elif isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, str) and value.strip().isdigit()):
        unit = Unit.objects.filter(pk=int(value)).first()
        if unit is None:
            raise ValueError(_("Unknown unit %(value)s.") % {"value": value})
    elif isinstance(value, str) and value.strip():
        name = value.strip()
        candidates = [u for u in Unit.objects.filter(name=name) if on_one_line(u.division_id, division)]
        if not candidates:
            code, full_name = place_unit(name, line=division_line(division), index=division_names())
            candidates = list(Unit.objects.filter(division_id=code, name=full_name))
        if len(candidates) > 1:
            raise ValueError(_("“%(value)s” names several units; give the unit's id.") % {"value": name})
        if not candidates:
            raise ValueError(_("Unknown unit “%(value)s” in this case's division.") % {"value": name})
        unit = candidates[0]
    else:
        raise ValueError(_("Give a unit's id or its name."))
    refusal = unit_refusal(unit, division)
    if refusal:
        raise ValueError(refusal)
    return unit


def unit_refusal(unit, division: str) -> str | None:
    """Why ``unit`` may not work on a case of ``division`` (None when it
    may): a unit sits on the case's line of the tree, above or below it."""
    from django.utils.translation import gettext as _

    if on_one_line(unit.division_id, division):
        return None
    return _("“%(unit)s” is not in this case's division (%(division)s), above it or below it.") % {
        "unit": unit.name,
        "division": division,
    }


def resolve_units(value, *, division: str) -> list:
    """Cooperating units: a list of ids or names, or names in one text
    (``"市住建局、市水利局"``)."""
    from django.utils.translation import gettext as _

    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = split_units(value)
    if not isinstance(value, (list, tuple)):
        raise ValueError(_("Give a list of units."))
    units = [resolve_unit(item, division=division) for item in value]
    return list({unit.pk: unit for unit in units}.values())


def resolve_county(value, *, within: str):
    """A county-level division of ``within`` given by code or name
    (浔阳区, 九江市浔阳区, 浔阳)."""
    from django.utils.translation import gettext as _

    from .divisions import in_subtree
    from .models import Division

    text = str(value or "").strip()
    if text.isdigit():
        division = resolve_division(text)
        codes = [division.code] if in_subtree(division.code, within) and not division.code.endswith("00") else []
    else:
        codes = [c for c in division_names().find(text, within=within) if not c.endswith("00")]
    if len(codes) > 1:
        raise ValueError(_("“%(value)s” may mean several divisions (%(codes)s); give the code.") % {"value": text, "codes": ", ".join(codes)})
    if not codes:
        raise ValueError(_("“%(value)s” is no county-level division of %(within)s.") % {"value": text, "within": within})
    return Division.objects.get(code=codes[0])
