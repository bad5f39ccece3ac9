"""Turning a digest into an e-mail (plain text and HTML) in the
recipient's language."""

import datetime
from html import escape

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from cases.models import Case, City

from .selectors import CaseList, CityDigest, ProvinceDigest


def case_url(case_id: int) -> str:
    return f"{settings.SITE_URL}/cases/{case_id}/"


def list_url(**query) -> str:
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return f"{settings.SITE_URL}/cases/?{params}"


def city_name(city: City | None) -> str:
    if city is None:
        return _("Province-level")
    return city.name_en if translation.get_language() == "en" and city.name_en else city.name


# The case rows of each section, one format per column. A national run
# prints tens of thousands of rows; built here as plain string formatting
# they cost microseconds each, through the template engine (a loop with
# eight lookups and filters per row) they took most of the run. The
# headers, the wording and everything else stay in the templates.
CELLS = {
    "city": "<td>{city}</td>",
    "reference": '<td><a href="{url}">{reference}</a></td>',
    "title": "<td>{title}</td>",
    "deadline": "<td>{deadline}</td>",
    "days_overdue": '<td class="n late">{days}</td>',
    "days_waiting": '<td class="n">{days}</td>',
    "status": "<td>{status}</td>",
}
CITY_OVERDUE = ("reference", "title", "deadline", "days_overdue", "status")
CITY_DUE_SOON = ("reference", "title", "deadline", "status")
ESCALATIONS = ("city", "reference", "title", "deadline", "days_overdue", "status")
ACCEPTANCE_QUEUE = ("city", "reference", "title", "days_waiting", "status")


class _Section:
    """The rows of one section as plain text and as HTML table rows, each
    label translated once."""

    def __init__(self, today: datetime.date, columns: tuple[str, ...]):
        self.today = today
        self.with_city = "city" in columns
        self.html_row = "<tr>" + "".join(CELLS[column] for column in columns) + "</tr>\n"
        self.text_row = "\n- {city} · {reference} {title}\n  {summary}\n  {url}\n" if self.with_city else (
            "\n- {reference} {title}\n  {summary}\n  {url}\n"
        )
        self.labels = {}

    def label(self, key, make) -> str:
        if key not in self.labels:
            self.labels[key] = make()
        return self.labels[key]

    def render(self, case_list: CaseList) -> dict:
        text, html = [], []
        for case in case_list.cases:
            values = self.values(case)
            text.append(self.text_row.format_map(values))
            html.append(self.html_row.format_map({key: escape(value) for key, value in values.items()}))
        return {"text": "".join(text), "html": mark_safe("".join(html)), "total": case_list.total, "more": case_list.more}

    def values(self, case: Case) -> dict[str, str]:
        deadline = case.deadline.isoformat() if case.deadline else ""
        awaiting_since = getattr(case, "awaiting_since", None)
        if awaiting_since is not None:
            days = (self.today - timezone.localdate(awaiting_since)).days
            summary = self.label(
                ("waiting", days), lambda: ngettext("Waiting %(days)s day", "Waiting %(days)s days", days) % {"days": days}
            )
        elif case.is_overdue_on(self.today):
            days = case.days_overdue_on(self.today)
            overdue = self.label(
                ("overdue", days), lambda: ngettext("%(days)s day overdue", "%(days)s days overdue", days) % {"days": days}
            )
            summary = self.label(("format", "overdue"), lambda: _("Deadline %(deadline)s, %(overdue)s")) % {
                "deadline": deadline,
                "overdue": overdue,
            }
        else:
            days = 0
            summary = self.label(("format", "due"), lambda: _("Deadline %(deadline)s")) % {"deadline": deadline}
        status = self.label(("status", case.status, case.kind), lambda: case.status_display)
        return {
            "reference": case.reference,
            "title": case.title,
            "city": self.label(("city", case.city_id), lambda: city_name(case.city)) if self.with_city else "",
            "deadline": deadline,
            "days": str(days),
            "status": status,
            "url": case_url(case.pk),
            "summary": f"{summary} · {status}",
        }


def _section(case_list: CaseList, today: datetime.date, columns: tuple[str, ...]) -> dict:
    return _Section(today, columns).render(case_list)


def _city_context(digest: CityDigest) -> tuple[str, dict]:
    city = city_name(digest.city)
    subject = _(
        "%(date)s %(city)s rectification reminder: %(overdue)d overdue, %(due_soon)d due within %(days)d days"
    ) % {
        "date": digest.today.isoformat(),
        "city": city,
        "overdue": digest.overdue.total,
        "due_soon": digest.due_soon.total,
        "days": settings.DUE_SOON_DAYS,
    }
    return subject, {
        "city": city,
        "overdue": _section(digest.overdue, digest.today, CITY_OVERDUE),
        "due_soon": _section(digest.due_soon, digest.today, CITY_DUE_SOON),
        "overdue_url": list_url(overdue="true", ordering="deadline"),
    }


def _province_context(digest: ProvinceDigest) -> tuple[str, dict]:
    subject = _(
        "%(date)s province rectification digest: %(overdue)d overdue, %(escalated)d overdue over %(days)d days, "
        "%(queue)d awaiting acceptance"
    ) % {
        "date": digest.today.isoformat(),
        "overdue": digest.overdue_total,
        "escalated": digest.escalations.total,
        "days": digest.escalation_days,
        "queue": digest.acceptance_queue.total,
    }
    return subject, {
        "cities": [
            {"name": city_name(row.city), "overdue": row.overdue, "due_soon": row.due_soon, "escalated": row.escalated}
            for row in digest.cities
        ],
        "overdue_total": digest.overdue_total,
        "due_soon_total": digest.due_soon_total,
        "escalations": _section(digest.escalations, digest.today, ESCALATIONS),
        "acceptance_queue": _section(digest.acceptance_queue, digest.today, ACCEPTANCE_QUEUE),
        "escalation_days": digest.escalation_days,
        "queue_days": digest.queue_days,
        "overdue_url": list_url(overdue="true", ordering="deadline"),
        "queue_url": list_url(status="pending_acceptance"),
    }


class Composer:
    """Turns the digests of one batch into messages. A digest's subject and
    case rows are made once per language, however many recipients share it
    (the supervisors share the province digest); the templates, which add
    the greeting, run once per message over a fixed number of values."""

    def __init__(self):
        self._contexts = {}

    def compose(self, *, digest: CityDigest | ProvinceDigest, recipient: User) -> EmailMultiAlternatives:
        """The digest as an e-mail to ``recipient``, in their language."""
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            language = translation.get_language()
            key = (digest.key, language)
            if key not in self._contexts:
                self._contexts[key] = _city_context(digest) if isinstance(digest, CityDigest) else _province_context(digest)
            subject, context = self._contexts[key]
            context = context | {
                "subject": subject,
                "today": digest.today,
                "recipient": recipient,
                "due_soon_days": settings.DUE_SOON_DAYS,
                "site_url": settings.SITE_URL,
                "language": language,
            }
            template = f"reminders/{digest.kind}_digest"
            message = EmailMultiAlternatives(
                subject=subject,
                body=render_to_string(f"{template}.txt", context),
                to=[recipient.email],
            )
            message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        return message
