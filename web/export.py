"""Excel export of a case list: the rows the page shows (same filters,
same order), every page of them, with Chinese headers whatever the
viewer's language, since the ledgers go to other bureaus."""

import datetime
import tempfile

from django.http import FileResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cases.constants import DeadlineType, Kind, status_label

# Rows are read from the database in chunks so that memory stays flat
# however long the list is.
CHUNK = 2000
COLUMNS = (
    # (header msgid, column width)
    (gettext_noop("Reference"), 22),
    (gettext_noop("Kind"), 16),
    (gettext_noop("Title"), 48),
    (gettext_noop("Responsible city"), 10),
    (gettext_noop("Campaign"), 36),
    (gettext_noop("Responsible unit"), 24),
    (gettext_noop("Deadline type"), 12),
    (gettext_noop("Deadline"), 12),
    (gettext_noop("Status"), 10),
    (gettext_noop("Days overdue"), 10),
    (gettext_noop("Reported progress"), 48),
    (gettext_noop("Updated at"), 18),
)


def _row(case, today: datetime.date) -> list:
    return [
        case.reference,
        str(Kind(case.kind).label),
        case.title,
        case.city.name if case.city_id else _("Province-level"),
        case.campaign.name,
        case.responsible_unit,
        str(DeadlineType(case.deadline_type).label),
        case.deadline,
        status_label(case.status, case.kind),
        case.days_overdue_on(today) or None,
        case.progress,
        timezone.localtime(case.updated_at).replace(tzinfo=None, microsecond=0),
    ]


def xlsx_response(cases, *, today: datetime.date, filename: str) -> FileResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    with translation.override("zh-hans"):
        sheet.title = _("Cases")
        for index, (_msgid, width) in enumerate(COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        sheet.append([_header_cell(sheet, _(msgid), bold) for msgid, _width in COLUMNS])
        for case in cases.iterator(chunk_size=CHUNK):
            sheet.append(_row(case, today))
    # A spooled file keeps small exports in memory and large ones on disk.
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(output)
    output.seek(0)
    stamp = today.strftime("%Y%m%d")
    return FileResponse(
        output,
        as_attachment=True,
        filename=f"{filename}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _header_cell(sheet, value, font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell
