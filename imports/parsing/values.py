"""Cell values as people write them in the ledgers, read into the values
the case services take. Each parser raises ValueError with a message the
row report shows next to the column."""

import calendar
import datetime
import decimal
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cases.constants import DeadlineType, PollutionType, Status, Veracity


def normalize(value) -> str:
    """Text of a cell with full-width digits and letters folded to ASCII and
    all whitespace (including the line breaks Excel users type) removed."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def text(value) -> str:
    """A free-text cell: trimmed, inner line breaks kept."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- dates and deadlines ---

_DATE_PATTERNS = re.compile(
    r"(?P<ymd>(?<!\d)\d{4}[年\-/.]\d{1,2}[月\-/.]\d{1,2}日?)"
    r"|(?P<compact>(?<!\d)\d{8}(?!\d))"
    r"|(?P<yearend>(?<!\d)\d{4}年(?:年?底|年?末|内))"
    r"|(?P<ym>(?<!\d)\d{4}[年\-/.]\d{1,2}月?(?:底|末)?)"
    r"|(?P<yearbefore>(?<!\d)\d{4}年前)"
)
_NUMBERS = re.compile(r"\d+")


def _end_of_month(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _date_from_match(match: re.Match) -> datetime.date:
    numbers = [int(n) for n in _NUMBERS.findall(match.group(0))]
    kind = match.lastgroup
    if kind == "compact":
        raw = match.group(0)
        numbers = [int(raw[:4]), int(raw[4:6]), int(raw[6:])]
        kind = "ymd"
    if kind == "ymd":
        return datetime.date(*numbers)
    if kind == "ym":
        return _end_of_month(*numbers)
    if kind == "yearend":
        return datetime.date(numbers[0], 12, 31)
    # "2025年前": before 2025 starts.
    return datetime.date(numbers[0] - 1, 12, 31)


def _dates_in(value: str) -> list[datetime.date]:
    found = []
    for match in _DATE_PATTERNS.finditer(value):
        try:
            found.append(_date_from_match(match))
        except ValueError:
            raise ValueError(_("“%(value)s” is not a date that exists.") % {"value": match.group(0)}) from None
    return found


def parse_date(value) -> datetime.date | None:
    """A date cell: an Excel date, or text such as 2023-12-31, 2023/12/31,
    2023.12.31, 2023年12月31日 or 20231231. Empty is None."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = normalize(value)
    if not raw or raw in BLANKS:
        return None
    match = _DATE_PATTERNS.fullmatch(raw)
    if match is None or match.lastgroup not in ("ymd", "compact"):
        raise ValueError(_("“%(value)s” is not a date; write it as 2023-12-31 or 2023年12月31日.") % {"value": raw})
    try:
        return _date_from_match(match)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a date that exists.") % {"value": raw}) from None


def parse_deadline(value) -> tuple[str, datetime.date | None]:
    """整改时限 as people write it, to (deadline type, date).

    立行立改 is immediate (with a date if one is given too), 长期坚持 is
    long-term (and wins over 立行立改, as in 立行立改并长期坚持); otherwise
    the latest date mentioned is the deadline: 2023年12月底前 is the last day
    of December, 2023年底前 the last day of the year."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return DeadlineType.DATED, parse_date(value)
    raw = normalize(value)
    if not raw:
        raise ValueError(_("The deadline is empty."))
    if "长期坚持" in raw or raw == "长期":
        return DeadlineType.LONG_TERM, None
    dates = _dates_in(raw)
    if "立行立改" in raw:
        return DeadlineType.IMMEDIATE, max(dates) if dates else None
    if not dates:
        raise ValueError(
            _("“%(value)s” is not a deadline; write a date, “2023年12月底前”, “2023年底前”, “立行立改” or “长期坚持”.")
            % {"value": raw}
        )
    return DeadlineType.DATED, max(dates)


def format_deadline(deadline_type: str, deadline: datetime.date | None):
    """The inverse of parse_deadline: a date cell for dated deadlines, the
    phrase otherwise."""
    if deadline_type == DeadlineType.LONG_TERM:
        return "长期坚持"
    if deadline_type == DeadlineType.IMMEDIATE:
        if deadline is None:
            return "立行立改"
        return f"立行立改（{deadline.year}年{deadline.month}月{deadline.day}日前）"
    return deadline


# --- milestones (阶段性目标) ---

# One target a line (Alt+Enter in a cell), or several on a line separated by
# “；” where the next one starts with its date:
#     2025年底前 完成一期截污纳管（已完成 2025-11-20）
#     2026-06-30：建成污水处理厂二期；2026年底前 出水稳定达标
# The date is written as a deadline is (2025-12-31, 2025年12月31日, 2025年底前,
# 2026年6月底前); a met target ends with （已完成 <the day it was met>）.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－／．", "0123456789-/.")
_TARGET_SPLIT = re.compile(r"[\r\n]+|[；;]\s*(?=[0-9０-９]{4}(?:[年\-/.－／．]|[0-9０-９]{4}))")
_AFTER_DATE = re.compile(r"^(?:日|号)?(?:之前|以前|前)?[\s:：,，、.。\-—－]*")
_TRAILING_BRACKET = re.compile(r"[（(]([^（）()]*)[）)]\s*$")
MET_WORDS = ("已完成", "已达成", "已实现")
_MET = re.compile(
    r"^\s*(?:(?P<word>" + "|".join(MET_WORDS) + r")\s*[,，:：于]?\s*(?P<after>[^\s].*?)?"
    r"|(?P<before>.+?)\s*(?:" + "|".join(MET_WORDS) + r"|完成))\s*$"
)


def _milestone(entry: str, number: int) -> dict:
    where = _("Target %(number)d (“%(text)s”)") % {"number": number, "text": entry}
    folded = entry.translate(_FULL_WIDTH)  # same length: positions stay
    match = _DATE_PATTERNS.match(folded)
    if match is None or match.lastgroup == "yearbefore":
        raise ValueError(
            _("%(where)s does not start with its date; write one target a line, as “2025-12-31 完成……” or “2025年底前 完成……”.")
            % {"where": where}
        )
    try:
        due_on = _date_from_match(match)
    except ValueError:
        raise ValueError(_("%(where)s: “%(value)s” is not a date that exists.") % {"where": where, "value": match.group(0)}) from None
    target = entry[match.end():]
    target = target[_AFTER_DATE.match(target).end():].strip()
    met_on = None
    bracket = _TRAILING_BRACKET.search(target)
    met = _MET.match(bracket.group(1)) if bracket else None
    day = None
    if met is not None:
        day = met.group("after") if met.group("word") else met.group("before")
        # （已完成设备安装） is part of the target; （已完成 2025-11-20） marks it met.
        dated = bool(day) and day.translate(_FULL_WIDTH)[:1].isdigit()
        if not (met.group("word") and (not day or dated)) and not (met.group("before") and dated):
            met = None
    if met is not None:
        if not day:
            raise ValueError(
                _("%(where)s is marked met without the day it was met; write it as （已完成 2025-11-20）.") % {"where": where}
            )
        try:
            met_on = parse_date(day)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        target = target[: bracket.start()].strip()
    if not target:
        raise ValueError(_("%(where)s has a date but no target.") % {"where": where})
    return {"due_on": due_on.isoformat(), "target": target, "met_on": met_on.isoformat() if met_on else None}


def parse_date_or_none(value) -> datetime.date | None:
    try:
        return parse_date(value)
    except ValueError:
        return None


def parse_milestones(value) -> list[dict]:
    """阶段性目标 as people write it, to the bulk upsert's ``milestones``
    ({due_on, target, met_on} in ISO dates). Empty is none."""
    raw = text(value)
    if not raw:
        return []
    entries = [entry.strip() for entry in _TARGET_SPLIT.split(raw)]
    return [_milestone(entry, number) for number, entry in enumerate((e for e in entries if e), start=1)]


def format_milestones(milestones) -> str:
    """The inverse of parse_milestones: one target a line, by date."""
    lines = []
    for m in milestones:
        target = " ".join(m.target.split("\n")).strip()
        line = f"{m.due_on:%Y-%m-%d} {target}"
        if m.met_on:
            line += f"（已完成 {m.met_on:%Y-%m-%d}）"
        lines.append(line)
    return "\n".join(lines)


# --- places ---


@dataclass(frozen=True)
class Region:
    city_code: str | None  # None: province-level
    district: str


PROVINCE_WORDS = ("全省", "江西省", "省本级", "省直", "省级")


def parse_region(value, cities: dict[str, str], counties=None) -> Region:
    """行政区域 or 责任地 to the responsible city and the county-level
    district. ``cities`` maps full names (南昌市) to codes; ``counties``
    (optional) gives the codes of the county-level divisions a name
    without its city may mean (浔阳区 or 浔阳: 360403).

    南昌市新建区 is Nanchang with district 南昌市新建区 (the district is
    kept as written, with its city, as the ledgers show it; the upsert
    finds the division); 南昌市 alone is Nanchang without a district; 浔阳区
    is Jiujiang with district 浔阳区; 全省 or 江西省 is province-level."""
    raw = normalize(value)
    if not raw:
        raise ValueError(_("The place is empty; write the city, such as 南昌市新建区, or 全省."))
    for word in PROVINCE_WORDS:
        if raw == word:
            return Region(None, "")
    place = raw.removeprefix("江西省")
    named = [(name, code) for name, code in cities.items() if name.removesuffix("市") in place]
    matches = [
        (name, code) for name, code in named if place.startswith(name) or place.startswith(name.removesuffix("市"))
    ]
    if not matches and counties is not None:
        return _county_region(raw, place, counties(place), set(cities.values()))
    if len(named) > 1:
        raise ValueError(_("“%(value)s” names several cities; give one case per city, or write 全省.") % {"value": raw})
    if not matches:
        raise ValueError(
            _("“%(value)s” does not start with a city of Jiangxi; write it as 南昌市新建区, 南昌市 or 全省.")
            % {"value": raw}
        )
    name, code = matches[0]
    rest = place.removeprefix(name) if place.startswith(name) else place.removeprefix(name.removesuffix("市"))
    return Region(code, place if rest else "")


def _county_region(raw: str, place: str, codes: list[str], city_codes: set[str]) -> Region:
    """A place written without its city: one county-level division, or an
    error naming the value (with the codes it may mean when ambiguous)."""
    if len(codes) > 1:
        raise ValueError(
            _("“%(value)s” may mean several divisions (%(codes)s); write it with its city, such as 九江市浔阳区.")
            % {"value": raw, "codes": ", ".join(codes)}
        )
    city = codes[0][:4] + "00" if codes else None
    if city not in city_codes:
        raise ValueError(
            _("“%(value)s” is neither a city nor a county-level division of Jiangxi; write it as 南昌市新建区, 南昌市 or 全省.")
            % {"value": raw}
        )
    return Region(city, place)


def format_region(city_name: str | None, district: str) -> str:
    if city_name is None:
        return "全省"
    if not district:
        return city_name
    if district.startswith(city_name.removesuffix("市")):
        return district
    return city_name + district


# --- petition facts ---

# Keywords people use in 污染类型, most specific first.
POLLUTION_WORDS = [
    ("固废", PollutionType.SOLID_WASTE),
    ("固体废物", PollutionType.SOLID_WASTE),
    ("危废", PollutionType.SOLID_WASTE),
    ("垃圾", PollutionType.SOLID_WASTE),
    ("大气", PollutionType.AIR),
    ("空气", PollutionType.AIR),
    ("废气", PollutionType.AIR),
    ("扬尘", PollutionType.AIR),
    ("油烟", PollutionType.AIR),
    ("异味", PollutionType.AIR),
    ("恶臭", PollutionType.AIR),
    ("噪声", PollutionType.NOISE),
    ("噪音", PollutionType.NOISE),
    ("土壤", PollutionType.SOIL),
    ("生态", PollutionType.ECOLOGY),
    ("辐射", PollutionType.RADIATION),
    ("其他", PollutionType.OTHER),
    ("其它", PollutionType.OTHER),
    ("水", PollutionType.WATER),
]
POLLUTION_LABELS = {
    PollutionType.AIR: "大气",
    PollutionType.WATER: "水",
    PollutionType.NOISE: "噪声",
    PollutionType.SOIL: "土壤",
    PollutionType.ECOLOGY: "生态",
    PollutionType.SOLID_WASTE: "固废",
    PollutionType.RADIATION: "辐射",
    PollutionType.OTHER: "其他",
}
_LIST_SEPARATORS = re.compile(r"[、,，;；/|]+")


def parse_pollution_types(value) -> list[str]:
    """大气、噪声 -> ["air", "noise"], in the vocabulary's order."""
    raw = normalize(value)
    found = []
    for part in filter(None, _LIST_SEPARATORS.split(raw)):
        kind = next((kind for word, kind in POLLUTION_WORDS if word in part), None)
        if kind is None:
            raise ValueError(
                _("Unknown pollution type “%(value)s”; use %(known)s.")
                % {"value": part, "known": "、".join(POLLUTION_LABELS.values())}
            )
        found.append(kind.value)
    return sorted(set(found), key=PollutionType.values.index)


def format_pollution_types(values: list[str]) -> str:
    return "、".join(POLLUTION_LABELS[PollutionType(v)] for v in values)


VERACITY_WORDS = {
    "属实": Veracity.TRUE,
    "是": Veracity.TRUE,
    "基本属实": Veracity.MOSTLY_TRUE,
    "部分属实": Veracity.PARTLY_TRUE,
    "不属实": Veracity.FALSE,
    "否": Veracity.FALSE,
}
VERACITY_LABELS = {
    Veracity.TRUE: "属实",
    Veracity.MOSTLY_TRUE: "基本属实",
    Veracity.PARTLY_TRUE: "部分属实",
    Veracity.FALSE: "不属实",
}
# Cells that mean "nothing" in the published tables.
BLANKS = {"", "无", "/", "-", "—", "——", "－", "暂无"}


def parse_veracity(value) -> str:
    raw = normalize(value)
    if raw in BLANKS:
        return ""
    if raw not in VERACITY_WORDS:
        raise ValueError(
            _("“%(value)s” is not a veracity; use 属实, 基本属实, 部分属实 or 不属实.") % {"value": raw}
        )
    return VERACITY_WORDS[raw].value


def format_veracity(value: str) -> str:
    return VERACITY_LABELS[Veracity(value)] if value else ""


# 问责情况: the figures the published tables use, each as (field, pattern).
ACCOUNTABILITY_PATTERNS = [
    ("ordered_to_rectify", re.compile(r"责令(?:限期|立即)?(?:整改|改正)(\d+)[家个起件处]")),
    ("penalty_cases", re.compile(r"立案(?:处罚|查处)(\d+)[家个起件]")),
    ("criminal_cases", re.compile(r"(?:立案侦查|刑事立案)(\d+)[家个起件]")),
    ("detentions", re.compile(r"拘留(\d+)人")),
    ("summons", re.compile(r"约谈(\d+)[人家个次]")),
    ("people_held_accountable", re.compile(r"问责(\d+)人")),
]
_FINES = re.compile(r"罚款(?:金额)?(?:共计|合计|共)?(\d+(?:\.\d+)?)(万)?元")
ACCOUNTABILITY_FIELDS = [field for field, _pattern in ACCOUNTABILITY_PATTERNS] + ["fines_yuan"]


@dataclass(frozen=True)
class Accountability:
    figures: dict  # field -> number, every field of ACCOUNTABILITY_FIELDS
    unparsed: str  # text that named no figure, kept so nothing is lost


def parse_accountability(value) -> Accountability:
    """问责情况 such as 责令整改1家，立案处罚1件，罚款5万元，约谈2人 to the
    figures. Text that names no figure at all is kept as text."""
    raw = normalize(value)
    figures = {field: 0 for field in ACCOUNTABILITY_FIELDS}
    figures["fines_yuan"] = decimal.Decimal("0")
    if raw in BLANKS:
        return Accountability(figures, "")
    matched = False
    for field, pattern in ACCOUNTABILITY_PATTERNS:
        numbers = [int(n) for n in pattern.findall(raw)]
        if numbers:
            figures[field] = sum(numbers)
            matched = True
    for amount, ten_thousand in _FINES.findall(raw):
        figures["fines_yuan"] += decimal.Decimal(amount) * (10000 if ten_thousand else 1)
        matched = True
    figures["fines_yuan"] = figures["fines_yuan"].quantize(decimal.Decimal("0.01"))
    return Accountability(figures, "" if matched else text(value))


ACCOUNTABILITY_PHRASES = [
    ("ordered_to_rectify", "责令整改{}家"),
    ("penalty_cases", "立案处罚{}件"),
    ("fines_yuan", "罚款{}元"),
    ("criminal_cases", "立案侦查{}件"),
    ("detentions", "拘留{}人"),
    ("summons", "约谈{}人"),
    ("people_held_accountable", "问责{}人"),
]


def format_accountability(figures: dict) -> str:
    parts = []
    for field, phrase in ACCOUNTABILITY_PHRASES:
        number = figures[field]
        if number:
            if isinstance(number, decimal.Decimal):
                number = number.normalize() if number == number.to_integral() else number
                number = f"{number:f}"
            parts.append(phrase.format(number))
    return "，".join(parts)


# --- 完成情况: the status the ledger reports ---

COMPLETION_WORDS = {
    Status.CLOSED: ("已完成", "完成", "已办结", "办结", "已销号", "销号", "已整改", "完成整改", "整改完成"),
    Status.IN_PUBLICITY: ("公示中", "正在公示"),
    Status.PENDING_ACCEPTANCE: ("待验收", "待审核", "已完成待验收", "申请销号", "待销号"),
    Status.IN_PROGRESS: ("未完成", "整改中", "办理中", "推进中", "正在整改", "正在推进", "达到序时进度", "基本完成"),
    Status.ASSIGNED: ("已交办", "未开始", "待整改", "尚未开始"),
}
_COMPLETION_INDEX = {word: status for status, words in COMPLETION_WORDS.items() for word in words}


def parse_completion(value) -> str | None:
    """完成情况 to the status the case should reach; None when empty."""
    raw = normalize(value).rstrip("。")
    if raw in BLANKS:
        return None
    if raw not in _COMPLETION_INDEX:
        raise ValueError(
            _("“%(value)s” is not a completion state; use 已完成, 整改中, 待验收, 公示中 or 已交办.") % {"value": raw}
        )
    return _COMPLETION_INDEX[raw].value


COMPLETION_LABELS = {
    Status.ASSIGNED: "已交办",
    Status.IN_PROGRESS: "整改中",
    Status.PENDING_ACCEPTANCE: "待验收",
    Status.IN_PUBLICITY: "公示中",
    Status.CLOSED: "已完成",
}
PETITION_COMPLETION_LABELS = {**COMPLETION_LABELS, Status.IN_PROGRESS: "办理中", Status.CLOSED: "已办结"}


def format_completion(status: str, *, petition: bool) -> str:
    return (PETITION_COMPLETION_LABELS if petition else COMPLETION_LABELS)[Status(status)]


def parse_whole_number(value) -> int | None:
    """问题序号 and other counts: 3, 3.0, 第3项 or 问题3 -> 3."""
    if isinstance(value, bool):
        raise ValueError(_("Enter a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raw = normalize(value)
    if raw in BLANKS:
        return None
    numbers = _NUMBERS.findall(raw)
    if len(numbers) != 1 or "." in raw:
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": raw})
    return int(numbers[0])


def parse_working_days(value) -> int | None:
    """A deadline in working days: 15, 15日 or 15个工作日. Empty is None;
    the bulk upsert checks the range (1 to 365)."""
    if isinstance(value, bool):
        raise ValueError(_("“%(value)s” is not a number of working days; write it as 15 or 15个工作日.") % {"value": value})
    if isinstance(value, (int, float)) and float(value).is_integer():
        return int(value)
    raw = normalize(value)
    if not raw or raw in BLANKS:
        return None
    match = re.fullmatch(r"(\d+)(?:个)?(?:工作日|日|天)?", raw)
    if match is None:
        raise ValueError(_("“%(value)s” is not a number of working days; write it as 15 or 15个工作日.") % {"value": raw})
    return int(match.group(1))


def parse_yes_no(value) -> bool:
    raw = normalize(value)
    if raw in ("是", "重点件", "Y", "y", "1", "True", "TRUE", "√"):
        return True
    if raw in BLANKS | {"否", "N", "n", "0", "False", "FALSE"}:
        return False
    raise ValueError(_("“%(value)s” is neither 是 nor 否.") % {"value": raw})
