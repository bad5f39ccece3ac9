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
from cases.constants import Level, status_label
from cases.models import City
from workdays.calendar import remembered_calendar

from .selectors import CaseList, CaseRow, CityDigest, ProvinceDigest, ReviewQueue


def case_url(case_id: int) -> str:
    return f"{settings.SITE_URL}/cases/{case_id}/"


def list_url(**query) -> str:
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return f"{settings.SITE_URL}/cases/?{params}"


def city_name(city: City | None) -> str:
    """A city's name; also a county's or a unit's, whose digests are the
    city digest's shape over a narrower scope."""
    if city is None:
        return _("Province-level")
    name_en = getattr(city, "name_en", "")
    return name_en if translation.get_language() == "en" and name_en else city.name


# The case rows of each section, one format per column. A national run
# prints tens of thousands of rows; built here as plain string formatting
# they cost microseconds each, through the template engine (a loop with
# eight lookups and filters per row) they took most of the run. The
# headers, the wording and everything else stay in the templates.
CELLS = {
    "city": "<td>{city}</td>",
    "reference": '<td><a href="{url}">{reference}</a></td>',
    "title": "<td>{title}</td>",
    "deadline": "<td>{deadline}{missed}</td>",
    "days_overdue": '<td class="n late">{days}</td>',
    "days_waiting": '<td class="n">{days}</td>',
    "status": "<td>{status}</td>",
}
# A milestone's target as a digest line quotes it, at most (the case page has it all).
MISSED_TARGET_CHARACTERS = 120
CITY_OVERDUE = ("reference", "title", "deadline", "days_overdue", "status")
CITY_DUE_SOON = ("reference", "title", "deadline", "status")
ESCALATIONS = ("city", "reference", "title", "deadline", "days_overdue", "status")
ACCEPTANCE_QUEUE = ("city", "reference", "title", "days_waiting", "status")


class _Section:
    """The rows of one section as plain text and as HTML table rows, each
    label translated (and escaped) once."""

    def __init__(self, today: datetime.date, columns: tuple[str, ...], cities: dict[str, City], labels: dict):
        self.today = today
        self.cities = cities
        self.with_city = "city" in columns
        self.html_row = "<tr>" + "".join(CELLS[column] for column in columns) + "</tr>\n"
        self.text_row = "\n- {city} · {reference} {title}\n  {summary}\n  {url}\n" if self.with_city else (
            "\n- {reference} {title}\n  {summary}\n  {url}\n"
        )
        self.labels = labels
        self.calendar = remembered_calendar()  # a run reads each year's holidays once

    def label(self, key, make) -> str:
        if key not in self.labels:
            self.labels[key] = make()
        return self.labels[key]

    def render(self, case_list: CaseList) -> dict:
        text, html = [], []
        site = escape(settings.SITE_URL)
        for case in case_list.cases:
            deadline = case.deadline.isoformat() if case.deadline else ""
            days, summary = self.days(case, deadline)
            status = self.label(("status", case.status, case.kind), lambda: status_label(case.status, case.kind))
            city = self.label(("city", case.city_id), lambda: city_name(self.cities.get(case.city_id))) if self.with_city else ""
            text.append(
                self.text_row.format(
                    city=city, reference=case.reference, title=case.title, url=case_url(case.id),
                    summary=f"{summary} · {status}",
                )
            )  # fmt: skip
            missed = f"<br>{escape(self.missed(case.missed))}" if case.missed else ""
            # Only the reference and the title come from users; the labels
            # are escaped once, the dates, numbers and URL need no escaping.
            html.append(
                self.html_row.format(
                    city=self.label(("html", city), lambda: escape(city)), reference=escape(case.reference),
                    title=escape(case.title), deadline=deadline, missed=missed, days=days,
                    status=self.label(("html", status), lambda: escape(status)), url=f"{site}/cases/{case.id}/",
                )
            )  # fmt: skip
        return {"text": "".join(text), "html": mark_safe("".join(html)), "total": case_list.total, "more": case_list.more}

    def days(self, case: CaseRow, deadline: str) -> tuple[int, str]:
        """Days overdue (or waiting for acceptance) and the line saying so.
        Every case listed is open, so a past deadline means overdue."""
        if case.awaiting_since is not None:
            days = self.calendar.working_days_between(timezone.localdate(case.awaiting_since), self.today)
            return days, self.label(
                ("waiting", days),
                lambda: ngettext("Waiting %(days)s working day", "Waiting %(days)s working days", days) % {"days": days},
            )
        if case.deadline is not None and case.deadline < self.today:
            days = (self.today - case.deadline).days
            overdue = self.label(
                ("overdue", days), lambda: ngettext("%(days)s day overdue", "%(days)s days overdue", days) % {"days": days}
            )
            if case.missed:
                # A long-term case late on a yearly target: which one, and since when.
                return days, self.label(("format", "missed overdue"), lambda: _("%(missed)s, %(overdue)s")) % {
                    "missed": self.missed(case.missed),
                    "overdue": overdue,
                }
            return days, self.label(("format", "overdue"), lambda: _("Deadline %(deadline)s, %(overdue)s")) % {
                "deadline": deadline,
                "overdue": overdue,
            }
        return 0, self.label(("format", "due"), lambda: _("Deadline %(deadline)s")) % {"deadline": deadline}


    def missed(self, missed) -> str:
        """"Milestone of 2025-12-31 not met: <target>" (and how many are)."""
        target = " ".join(missed.target.split())  # one line, however it was typed
        if len(target) > MISSED_TARGET_CHARACTERS:
            target = target[: MISSED_TARGET_CHARACTERS - 1] + "…"
        said = self.label(("format", "missed"), lambda: _("Milestone (阶段性目标) of %(date)s not met: %(target)s")) % {
            "date": missed.due_on.isoformat(),
            "target": target,
        }
        if missed.count > 1:
            said += self.label(
                ("missed", missed.count),
                lambda: ngettext(" (%(count)d milestone missed)", " (%(count)d milestones missed)", missed.count)
                % {"count": missed.count},
            )
        return said


def _section(case_list: CaseList, today: datetime.date, columns: tuple[str, ...], labels: dict, cities=None) -> dict:
    return _Section(today, columns, cities or {}, labels).render(case_list)


def _review(queue: ReviewQueue) -> dict | None:
    """The section of a reviewer's digest on what waits for its level: how
    many, and the one waiting longest (working days), with the queue's link."""
    if not queue.total:
        return None
    oldest = queue.oldest
    return {
        "level": Level(queue.level).label,
        "total": queue.total,
        "reference": oldest.reference,
        "title": oldest.title,
        "days": queue.oldest_days,
        "case_url": case_url(oldest.id),
        "queue_url": f"{settings.SITE_URL}/acceptance/",
    }


def _with_review(subject: str, queue: ReviewQueue) -> str:
    if not queue.total:
        return subject
    return subject + _(", %(waiting)d waiting for your review") % {"waiting": queue.total}


def _city_context(digest: CityDigest, labels: dict) -> tuple[str, dict]:
    city = city_name(digest.city)
    subject = _(
        "%(date)s %(city)s rectification reminder: %(overdue)d overdue, %(due_soon)d due within %(days)d working days"
    ) % {
        "date": digest.today.isoformat(),
        "city": city,
        "overdue": digest.overdue.total,
        "due_soon": digest.due_soon.total,
        "days": settings.DUE_SOON_DAYS,
    }
    return _with_review(subject, digest.review_queue), {
        "city": city,
        "review": _review(digest.review_queue),
        "overdue": _section(digest.overdue, digest.today, CITY_OVERDUE, labels),
        "due_soon": _section(digest.due_soon, digest.today, CITY_DUE_SOON, labels),
        "overdue_url": list_url(overdue="true", ordering="deadline"),
    }


def _province_context(digest: ProvinceDigest, labels: dict) -> tuple[str, dict]:
    cities = {row.city.pk: row.city for row in digest.cities if row.city is not None}
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
    return _with_review(subject, digest.review_queue), {
        "review": _review(digest.review_queue),
        "cities": [
            {"name": city_name(row.city), "overdue": row.overdue, "due_soon": row.due_soon, "escalated": row.escalated}
            for row in digest.cities
        ],
        "overdue_total": digest.overdue_total,
        "due_soon_total": digest.due_soon_total,
        "escalations": _section(digest.escalations, digest.today, ESCALATIONS, labels, cities),
        "acceptance_queue": _section(digest.acceptance_queue, digest.today, ACCEPTANCE_QUEUE, labels, cities),
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
        self._labels = {}  # per language and day: "3 days overdue", a status, a city

    def _context(self, digest: CityDigest | ProvinceDigest) -> tuple[str, dict]:
        """The subject and values of a digest in the active language."""
        language = translation.get_language()
        key = (digest.key, language)
        if key not in self._contexts:
            labels = self._labels.setdefault((language, digest.today), {})
            make = _city_context if isinstance(digest, CityDigest) else _province_context
            self._contexts[key] = make(digest, labels)
        return self._contexts[key]

    def subject(self, *, digest: CityDigest | ProvinceDigest, recipient: User) -> str:
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            return self._context(digest)[0]

    def compose(
        self, *, digest: CityDigest | ProvinceDigest, recipient: User, to: str | None = None
    ) -> EmailMultiAlternatives:
        """The digest as an e-mail to ``recipient`` (at ``to``, by default
        their account's address), in their language."""
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            language = translation.get_language()
            subject, context = self._context(digest)
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
                to=[recipient.email if to is None else to],
            )
            message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
        return message


def fit_text(text: str, *, max_bytes: int, more: str) -> str:
    """``text`` if it fits in ``max_bytes`` of UTF-8; otherwise as many of
    its whole lines as fit, then "…" and ``more`` (the link to the full
    list on the site)."""
    if len(text.encode()) <= max_bytes:
        return text
    tail = f"\n…\n{more}"
    room = max_bytes - len(tail.encode())
    kept, used = [], 0
    for line in text.splitlines():
        size = len(line.encode()) + 1
        if used + size > room:
            break
        kept.append(line)
        used += size
    if not kept:  # one line longer than the room: cut it between characters
        kept = [text.encode()[:room].decode("utf-8", "ignore")]
    return "\n".join(kept).rstrip() + tail
