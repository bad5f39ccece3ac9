"""Excel export of a case list: the rows the page shows (same filters,
same order), every page of them, with Chinese headers whatever the
viewer's language, since the ledgers go to other bureaus. Written by the
streaming writer (cases/spreadsheet.py): every cell a value, memory flat."""

import datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.constants import WITH_CITY_STATUSES, DeadlineType, Kind, Status, status_label
from cases.spreadsheet import Column, xlsx_response

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
# Plain values, not model instances: building a Case per row would cost
# more than writing it.
FIELDS = (
    "reference",
    "kind",
    "title",
    "city__name",
    "campaign__name",
    "lead_unit__name",
    "deadline_type",
    "deadline",
    "status",
    "progress",
    "updated_at",
)


def rows(cases, today: datetime.date):
    """The export's rows for ``cases`` (a queryset or the urgency order's
    segments), under the Chinese translation."""
    province = _("Province-level")
    kinds = {value: str(label) for value, label in Kind.choices}
    deadline_types = {value: str(label) for value, label in DeadlineType.choices}
    statuses = {(status, kind): status_label(status, kind) for status in Status.values for kind in kinds}
    is_open = {str(status) for status in WITH_CITY_STATUSES}
    local = timezone.get_current_timezone()
    for values in cases.values_list(*FIELDS).iterator(chunk_size=CHUNK):
        (reference, kind, title, city, campaign, unit, deadline_type, deadline, status, progress, updated_at) = values
        overdue = (today - deadline).days if status in is_open and deadline is not None and deadline < today else None
        yield (
            reference,
            kinds[kind],
            title,
            city if city is not None else province,
            campaign,
            unit,
            deadline_types[deadline_type],
            deadline,
            statuses[status, kind],
            overdue,
            progress,
            updated_at.astimezone(local).replace(tzinfo=None, microsecond=0),
        )


def case_list_response(cases, *, today: datetime.date, filename: str):
    def fill(book):
        with translation.override("zh-hans"):
            sheet = book.add_sheet(_("Cases"), [Column(_(msgid), width) for msgid, width in COLUMNS])
            for row in rows(cases, today):
                sheet.append(row)

    return xlsx_response(fill, filename=f"{filename}-{today:%Y%m%d}.xlsx")
