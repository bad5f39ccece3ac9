"""The progress report as the documents that are sent out: a Word notice
(通报) and an Excel workbook. Both are in Chinese whatever the producer's
language, since they go to the cities; the page shows the same tables in
the reader's language.

The notice lists the ``REPORT_NOTICE_OVERDUE_ROWS`` most overdue cases;
the workbook lists all of them (streamed, so memory stays flat)."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import pgettext

from cases.spreadsheet import Column, write_xlsx
from imports.parsing.values import format_deadline

from . import documents as doc
from .masking import mask_personal_data
from .models import Light
from .progress import CityLine, ProgressReport

CHUNK = 2000
SECTION_NUMBERS = "一二三四五六七八九十"


def _percent(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _date(day) -> str:
    return pgettext("report", "%(year)s-%(month)s-%(day)s") % {"year": day.year, "month": day.month, "day": day.day}


def total_label() -> str:
    return pgettext("table", "Total")


def city_name(line: CityLine) -> str:
    return line.name or pgettext("report", "Province-level")


# Each table: headers and rows as plain values, shared by Word, Excel and
# the page.


def campaign_table(report: ProgressReport) -> tuple[list, list, list]:
    headers = [pgettext("report", "Campaign and batch"), pgettext("report", "Cases"), pgettext("report", "Closed"), pgettext("report", "Completion (%)"), pgettext("report", "Overdue"), pgettext("report", "Awaiting acceptance")]
    rows = []
    for line in report.campaigns:
        name = line.campaign.name if line.batch is None else pgettext("report", "  batch %(batch)s") % {"batch": line.batch}
        f = line.figures
        rows.append([name, f.total, f.closed, _percent(f.completion), f.overdue, f.awaiting_acceptance])
    t = report.totals
    total = [total_label(), t.total, t.closed, _percent(t.completion), t.overdue, t.awaiting_acceptance]
    return headers, rows, total


def completion_table(report: ProgressReport) -> tuple[list, list, list]:
    headers = [
        pgettext("report", "Rank"), pgettext("report", "City"), pgettext("report", "Cases"), pgettext("report", "Closed"), pgettext("report", "Completion (%)"),
        pgettext("report", "Behind the leader (points)"), pgettext("report", "Overdue"), pgettext("report", "Light"),
    ]  # fmt: skip
    rows = [
        [
            line.completion_rank if line.completion_rank else "",
            city_name(line),
            line.figures.total,
            line.figures.closed,
            _percent(line.figures.completion),
            _percent(line.gap_to_leader) if line.completion_rank else "",
            line.figures.overdue,
            line.light_label if line.completion_rank else "",
        ]
        for line in report.cities
    ]
    t = report.totals
    total = [total_label(), "", t.total, t.closed, _percent(t.completion), "", t.overdue, ""]
    return headers, rows, total


def overdue_ranking_table(report: ProgressReport) -> tuple[list, list, list]:
    headers = [
        pgettext("report", "Rank"),
        pgettext("report", "City"),
        pgettext("report", "Overdue"),
        pgettext("report", "Most days overdue"),
        pgettext("report", "Overdue share (%)"),
        pgettext("report", "Light"),
        pgettext("report", "Why"),
    ]
    rows = [
        [
            line.overdue_rank,
            city_name(line),
            line.figures.overdue,
            line.max_days_overdue,
            _percent(line.measure("overdue_percent")),
            line.light_label,
            "；".join(rule_text(rule) for rule in line.reasons),
        ]
        for line in report.by_overdue
    ]
    total = [total_label(), "", report.totals.overdue, max((l.max_days_overdue for l in report.cities), default=0), "", "", ""]
    return headers, rows, total


def changes_table(report: ProgressReport) -> tuple[list, list, list]:
    headers = [pgettext("report", "City"), pgettext("report", "Newly closed"), pgettext("report", "Newly overdue"), pgettext("report", "Reopened")]
    rows = [
        [city_name(line), line.changes.newly_closed, line.changes.newly_overdue, line.changes.reopened]
        for line in report.cities
    ]
    c = report.changes
    return headers, rows, [total_label(), c.newly_closed, c.newly_overdue, c.reopened]


def overdue_headers() -> list:
    return [pgettext("report", "No."), pgettext("report", "Reference"), pgettext("report", "Problem"), pgettext("report", "City"), pgettext("report", "Responsible unit"), pgettext("report", "Deadline"), pgettext("report", "Days overdue")]


def overdue_rows(report: ProgressReport, *, limit: int | None = None):
    cases = report.overdue_cases
    if limit is not None:
        cases = cases[:limit]
    province = pgettext("report", "Province-level")
    for serial, case in enumerate(cases.iterator(chunk_size=CHUNK), start=1):
        deadline = format_deadline(case.deadline_type, case.deadline)
        yield [
            serial,
            case.reference,
            mask_personal_data(case.title),
            case.city__name or province,
            case.lead_unit__name or "",
            deadline.isoformat() if hasattr(deadline, "isoformat") else deadline,
            (report.date - case.deadline).days,
        ]


def rule_text(rule) -> str:
    return pgettext("report", "%(measure)s above %(threshold)s") % {
        "measure": rule.get_measure_display(),
        "threshold": f"{rule.threshold.normalize():f}",
    }


def summary_text(report: ProgressReport) -> str:
    t, c = report.totals, report.changes
    return pgettext("report", "As at %(date)s the province has %(total)s cases, of which %(closed)s are closed (%(completion)s%%); "
        "%(overdue)s are overdue and %(awaiting)s await acceptance. Since %(since)s, %(newly_closed)s cases "
        "were closed, %(newly_overdue)s became overdue and %(reopened)s were reopened."
    ) % {
        "date": _date(report.date),
        "total": t.total,
        "closed": t.closed,
        "completion": _percent(t.completion),
        "overdue": t.overdue,
        "awaiting": t.awaiting_acceptance,
        "since": _date(report.since),
        "newly_closed": c.newly_closed,
        "newly_overdue": c.newly_overdue,
        "reopened": c.reopened,
    }


def lights_text(report: ProgressReport) -> str:
    counts = {light: 0 for light in Light}
    for line in report.ranked:
        counts[line.light] += 1
    rules = "；".join(f"{rule.get_light_display()}：{rule_text(rule)}" for rule in report.rules)
    return pgettext("report", "Red: %(red)s cities, yellow: %(yellow)s, green: %(green)s. Rules: %(rules)s.") % {
        "red": counts[Light.RED],
        "yellow": counts[Light.YELLOW],
        "green": counts[Light.GREEN],
        "rules": rules or pgettext("report", "none set"),
    }


def sections(report: ProgressReport) -> list[tuple[str, str | None, tuple]]:
    """(heading, sentence, table) of each numbered section, in order."""
    return [
        (pgettext("report", "Overall progress by campaign and batch"), summary_text(report), campaign_table(report)),
        (pgettext("report", "Cities ranked by completion"), None, completion_table(report)),
        (pgettext("report", "Cities ranked by overdue cases"), lights_text(report), overdue_ranking_table(report)),
        (
            pgettext("report", "Changes since %(since)s") % {"since": _date(report.since)},
            None,
            changes_table(report),
        ),
    ]


def title_text() -> str:
    return pgettext("report", "Notice on the progress of rectifying the problems found by environmental inspections")


def progress_docx(report: ProgressReport):
    document = doc.new_document()
    limit = settings.REPORT_NOTICE_OVERDUE_ROWS
    with translation.override("zh-hans"):
        doc.paragraph(document, settings.REPORT_ISSUER, indent=False)
        doc.title(document, title_text())
        if report.round is not None:
            doc.paragraph(document, f"（{report.round.name}）", indent=False)
        number = 0
        for number, (heading, sentence, (headers, rows, total)) in enumerate(sections(report), start=1):
            doc.heading(document, f"{SECTION_NUMBERS[number - 1]}、{heading}")
            if sentence:
                doc.paragraph(document, sentence)
            doc.table(document, headers, rows, total=total)
        doc.heading(document, f"{SECTION_NUMBERS[number]}、{pgettext('report', 'Overdue cases')}")
        overdue = report.totals.overdue
        if overdue > limit:
            doc.paragraph(
                document,
                pgettext("report", "%(count)s cases are overdue; the %(limit)s most overdue are listed. The Excel version lists all.")
                % {"count": overdue, "limit": limit},
            )
        doc.table(document, overdue_headers(), overdue_rows(report, limit=limit), total=_overdue_total(report))
        doc.paragraph(document, settings.REPORT_ISSUER, align_right=True)
        doc.paragraph(document, _date(report.date), align_right=True)
    return doc.document_file(document)


def _overdue_total(report: ProgressReport) -> list:
    return [total_label(), "", pgettext("report", "%(count)s cases") % {"count": report.totals.overdue}, "", "", "", ""]


def progress_xlsx(report: ProgressReport):
    """The workbook, as a temporary file positioned at its start: a sheet
    per section, then every overdue case."""

    def fill(book):
        for heading, sentence, (headers, rows, total) in sections(report):
            columns = [Column(header, 36 if index == 0 else 14) for index, header in enumerate(headers)]
            sheet = book.add_sheet(heading, columns, heading=f"{title_text()}：{heading}（{_date(report.date)}）")
            for row in rows:
                sheet.append(row)
            sheet.append(total)
            if sentence:
                sheet.append([sentence])
        widths = (6, 22, 48, 10, 30, 14, 10)
        overdue = pgettext("report", "Overdue cases")
        columns = [Column(header, width) for header, width in zip(overdue_headers(), widths, strict=True)]
        sheet = book.add_sheet(overdue, columns, heading=f"{title_text()}：{overdue}（{_date(report.date)}）")
        for row in overdue_rows(report):
            sheet.append(row)
        sheet.append(_overdue_total(report))

    with translation.override("zh-hans"):
        return write_xlsx(fill)
