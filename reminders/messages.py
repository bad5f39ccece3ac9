"""Turning a digest into an e-mail (plain text and HTML) in the
recipient's language."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from cases.models import Case, City

from .selectors import CaseList, CityDigest, ProvinceDigest


@dataclass(frozen=True)
class CaseLine:
    """One case as the templates print it. Everything is already text: a
    national run renders tens of thousands of lines, and the template
    engine's per-value date and number formatting would dominate it."""

    reference: str
    title: str
    city: str
    deadline: str
    days: str  # days overdue, or days waiting for acceptance
    status: str
    url: str
    summary: str  # the plain-text line: deadline and days overdue, or days waiting


def case_url(case_id: int) -> str:
    return f"{settings.SITE_URL}/cases/{case_id}/"


def list_url(**query) -> str:
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return f"{settings.SITE_URL}/cases/?{params}"


def city_name(city: City | None) -> str:
    if city is None:
        return _("Province-level")
    return city.name_en if translation.get_language() == "en" and city.name_en else city.name


class _Lines:
    """Builds CaseLines for one message, translating each label once."""

    def __init__(self, today: datetime.date, with_city: bool):
        self.today = today
        self.with_city = with_city
        self.labels = {}

    def label(self, key, make) -> str:
        if key not in self.labels:
            self.labels[key] = make()
        return self.labels[key]

    def __call__(self, case: Case) -> CaseLine:
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
        return CaseLine(
            reference=case.reference,
            title=case.title,
            city=self.label(("city", case.city_id), lambda: city_name(case.city)) if self.with_city else "",
            deadline=deadline,
            days=str(days),
            status=status,
            url=case_url(case.pk),
            summary=f"{summary} · {status}",
        )


def _section(case_list: CaseList, today: datetime.date, with_city: bool = False) -> dict:
    lines = _Lines(today, with_city)
    return {"lines": [lines(case) for case in case_list.cases], "total": case_list.total, "more": case_list.more}


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
        "overdue": _section(digest.overdue, digest.today),
        "due_soon": _section(digest.due_soon, digest.today),
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
        "escalations": _section(digest.escalations, digest.today, with_city=True),
        "acceptance_queue": _section(digest.acceptance_queue, digest.today, with_city=True),
        "escalation_days": digest.escalation_days,
        "queue_days": digest.queue_days,
        "overdue_url": list_url(overdue="true", ordering="deadline"),
        "queue_url": list_url(status="pending_acceptance"),
    }


def compose(*, digest: CityDigest | ProvinceDigest, recipient: User) -> EmailMultiAlternatives:
    """The digest as an e-mail to ``recipient``, in their language."""
    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        if isinstance(digest, CityDigest):
            subject, context = _city_context(digest)
        else:
            subject, context = _province_context(digest)
        context.update(
            subject=subject,
            today=digest.today,
            recipient=recipient,
            due_soon_days=settings.DUE_SOON_DAYS,
            site_url=settings.SITE_URL,
            language=translation.get_language(),
        )
        template = f"reminders/{digest.kind}_digest"
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"{template}.txt", context),
            to=[recipient.email],
        )
        message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return message
