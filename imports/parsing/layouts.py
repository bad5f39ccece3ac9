"""The two layouts the bureaus use, and finding them in a sheet by the
header text, whatever the order of the columns.

- Petition batches, as in the published tables of transferred petitions
  (序号, 受理编号, 交办问题基本情况, 行政区域, 污染类型, ...).
- Problem ledgers (整改台账) of feedback, provincial and warning-film
  problems (问题序号, 督察问题, 整改目标, 整改措施, ...).
"""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .reader import FileProblem, Sheet


@dataclass(frozen=True)
class Column:
    key: str
    headers: tuple[str, ...]  # the first is the one the export writes
    required: bool = False

    @property
    def header(self) -> str:
        return self.headers[0]


@dataclass(frozen=True)
class Layout:
    name: str
    label: str
    columns: tuple[Column, ...]
    # A header row with this column is this layout (and no other).
    signature: str

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


PETITIONS = Layout(
    name="petitions",
    label="信访件",
    signature="acceptance_number",
    columns=(
        Column("serial", ("序号",)),
        Column("acceptance_number", ("受理编号",), required=True),
        Column("summary", ("交办问题基本情况", "信访问题基本情况", "问题基本情况"), required=True),
        Column("region", ("行政区域", "所在地区", "所属区域"), required=True),
        Column("pollution_types", ("污染类型",)),
        Column("investigation", ("调查核实情况",)),
        Column("veracity", ("是否属实",)),
        Column("handling", ("处理和整改情况", "处理整改情况")),
        Column("accountability", ("问责情况",)),
        Column("batch", ("批次", "交办批次")),
        Column("transferred_on", ("交办日期", "交办时间")),
        Column("key_case", ("重点件", "是否重点件")),
        Column("responsible_unit", ("责任单位",)),
        Column("deadline", ("整改时限", "办理时限")),
        Column(
            "deadline_working_days",
            ("办理时限（工作日）", "整改时限（工作日）", "办结时限（工作日）", "时限（工作日）", "工作日时限", "办理时限工作日数"),
        ),
        Column("milestones", ("阶段性目标", "阶段性整改目标", "年度目标")),
        Column("completion", ("完成情况", "办理状态", "办结情况", "是否办结")),
        Column("campaign", ("督察任务",)),
    ),
)

LEDGER = Layout(
    name="ledger",
    label="整改台账",
    signature="problem_number",
    columns=(
        Column("problem_number", ("问题序号",), required=True),
        Column("reference", ("编号", "案件编号")),
        Column("title", ("督察问题", "问题", "问题描述", "存在问题"), required=True),
        Column("target", ("整改目标",)),
        Column("measures", ("整改措施",)),
        Column("responsible_unit", ("责任单位",)),
        Column("lead_unit", ("牵头单位",)),
        Column("cooperating_units", ("配合单位",)),
        Column("region", ("行政区域", "责任地", "责任地区"), required=True),
        Column("deadline", ("整改时限", "整改期限", "完成时限"), required=True),
        Column(
            "deadline_working_days",
            ("办理时限（工作日）", "整改时限（工作日）", "办结时限（工作日）", "时限（工作日）", "工作日时限", "办理时限工作日数"),
        ),
        Column("transferred_on", ("交办日期", "交办时间")),
        Column("milestones", ("阶段性目标", "阶段性整改目标", "年度目标")),
        Column("progress", ("整改进展", "整改进展情况", "进展情况")),
        Column("completion", ("完成情况", "整改完成情况", "办理状态")),
        Column("film_year", ("警示片年份", "年份")),
        Column("found_on", ("发现时间", "发现日期")),
        Column("campaign", ("督察任务",)),
    ),
)

LAYOUTS = (PETITIONS, LEDGER)
HEADER_SEARCH_ROWS = 20


def normalize_header(value) -> str:
    """Header text without spaces, line breaks, a required-marker asterisk or
    a trailing note in brackets: “整改时限\n（年月日）*” is 整改时限. A note
    saying the deadline is in working days stays: “办理时限（工作日）” is
    another column than 办理时限."""
    if value is None:
        return ""
    header = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    header = header.strip("*")
    return re.sub(r"\((?![^)]*工作日).*\)$", "", header)


@dataclass
class HeaderRow:
    layout: Layout
    row_number: int
    positions: dict[str, int]  # column key -> 0-based position
    header_texts: dict[str, str]  # column key -> header as written
    ignored: list[str]  # headers of columns that are not imported

    def where(self, key: str) -> str:
        """How the report names a column: its header as written."""
        return self.header_texts[key]


def _match(layout: Layout, cells: list) -> tuple[dict, dict, list]:
    index = {}
    for column in layout.columns:
        for header in column.headers:
            index.setdefault(normalize_header(header), column.key)
    positions, texts, ignored = {}, {}, []
    for position, cell in enumerate(cells):
        header = normalize_header(cell)
        if not header:
            continue
        key = index.get(header)
        if key is None or key in positions:
            ignored.append(str(cell).strip())
        else:
            positions[key] = position
            texts[key] = str(cell).strip()
    return positions, texts, ignored


def find_header(sheet: Sheet) -> HeaderRow | None:
    """The header row of ``sheet`` among its first rows, or None when the
    sheet holds no known layout (a cover or notes sheet). A row that looks
    like a header but lacks a required column is a FileProblem."""
    for number, cells in sheet.rows[:HEADER_SEARCH_ROWS]:
        candidates = [(layout, *_match(layout, cells)) for layout in LAYOUTS]
        signed = [c for c in candidates if c[0].signature in c[1]]
        if signed:
            layout, positions, texts, ignored = signed[0]
        else:
            # Three known headers without the key column is a header that
            # lost a column, not a row of data.
            layout, positions, texts, ignored = max(candidates, key=lambda c: len(c[1]))
            if len(positions) < 3:
                continue
        missing = [c.header for c in layout.columns if c.required and c.key not in positions]
        if missing:
            raise FileProblem(
                _("The %(layout)s header in row %(row)d lacks the required column(s) %(missing)s.")
                % {"layout": layout.label, "row": number, "missing": "、".join(missing)},
                code="missing_columns",
                where=_("sheet “%(sheet)s”") % {"sheet": sheet.name},
            )
        return HeaderRow(layout, number, positions, texts, ignored)
    return None


def expected_headers() -> str:
    return "; ".join(
        f"{layout.label}: " + "、".join(c.header for c in layout.columns if c.required) for layout in LAYOUTS
    )
