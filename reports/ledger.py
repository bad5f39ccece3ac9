"""Every case list printed as a ledger (台账): a title row naming the list,
the campaign, the division and the date; the list's columns; a 合计 row;
A4 landscape (the print rules in web/static/web/site.css)."""

from django.shortcuts import render
from django.utils.translation import pgettext, pgettext_lazy

from cases.constants import Kind, status_label
from cases.models import Campaign, City
from imports.parsing.values import format_deadline

from .masking import mask_personal_data

# More rows than this are not a sheet of paper anyone reads: the ledger
# says how many there are and that the Excel export holds them all.
PRINT_LIMIT = 2000
# The list pages' link to their ledger, and the dashboard's to the
# report's campaign section (texts of this app shown on web's pages).
PRINT_LABEL = pgettext_lazy("report", "Print the ledger")
CAMPAIGNS_LINK_LABEL = pgettext_lazy("report", "Completion per campaign and per batch, in the progress report")


def labelled(headers: list, rows: list) -> list:
    """Each cell with its column's header, which a phone shows beside it."""
    return [list(zip(headers, row, strict=True)) for row in rows]


def _division(request, city_code: str | None) -> str:
    if city_code == "province":
        return pgettext("report", "Province-level")
    if city_code:
        return City.objects.filter(code=city_code).values_list("name", flat=True).first() or city_code
    if request.user.sees_whole_province:
        return pgettext("report", "Whole province")
    return request.user.division.name if request.user.division_id else ""


def printable_ledger(request, cases, *, today, title, filterset):
    """The page of the ledger of ``cases`` (already filtered, ordered and
    limited to what the viewer may see)."""
    wanted = filterset.form.cleaned_data
    campaign = Campaign.objects.filter(code=wanted.get("campaign")).first() if wanted.get("campaign") else None
    listed = list(cases[: PRINT_LIMIT + 1])
    total = len(listed) if len(listed) <= PRINT_LIMIT else cases.count()
    listed = listed[:PRINT_LIMIT]
    rows = []
    overdue = 0
    for serial, case in enumerate(listed, start=1):
        days = case.days_overdue_on(today)
        overdue += 1 if days else 0
        deadline = format_deadline(case.deadline_type, case.deadline)
        rows.append(
            [
                serial,
                case.reference,
                Kind(case.kind).label,
                mask_personal_data(case.title),
                case.city.name if case.city_id else pgettext("report", "Province-level"),
                case.lead_unit.name if case.lead_unit_id else "",
                deadline.isoformat() if hasattr(deadline, "isoformat") else deadline or "",
                status_label(case.status, case.kind),
                days or "",
            ]
        )
    headers = [
        pgettext("report", "No."),
        pgettext("report", "Reference"),
        pgettext("report", "Kind"),
        pgettext("report", "Problem"),
        pgettext("report", "City"),
        pgettext("report", "Responsible unit"),
        pgettext("report", "Deadline"),
        pgettext("report", "Status"),
        pgettext("report", "Days overdue"),
    ]
    context = {
        "title": title,
        "campaign": campaign,
        "division": _division(request, wanted.get("city")),
        "today": today,
        "headers": headers,
        "rows": rows,
        "labelled_rows": labelled(headers, rows),
        "total": total,
        "overdue": overdue,
        "limited": total > len(rows),
        "limit": PRINT_LIMIT,
    }
    return render(request, "reports/ledger.html", context)
