"""The end of a publicity period (公示期满), run daily by beat.

A case whose publicity ended with no objection (an objection would have
returned it, so it is still in publicity) is marked ready for sign-off
(``Case.ready_for_sign_off_on``, an event in its timeline) and the accepting
level's people are told once; where its campaign says so
(``Campaign.close_after_publicity``) the system closes it instead, through
the workflow. Otherwise a person closes it.

The scan is computed from the current state, so a day the task did not
run loses nothing. Each case is marked by a compare-and-swap on its
version, with its notifications, in one transaction: of two runs at once
one marks it, the other skips it; a second run finds nothing left."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .constants import EventAction, Status
from .errors import ConcurrentChange
from .models import Case
from .querysets import local_today
from .workflow import close_after_publicity, review_chain, reviewers_at
from .writes import write_case

logger = logging.getLogger(__name__)


def ended_publicity(today: datetime.date):
    """The cases whose publicity ended before ``today`` and are not yet
    marked ready (served by the status index: few cases are in publicity)."""
    return Case.objects.filter(
        status=Status.IN_PUBLICITY, publicity_ends_on__lt=today, ready_for_sign_off_on__isnull=True
    ).not_withdrawn()


def end_publicity_periods(*, today: datetime.date | None = None) -> dict:
    """Mark (or close) every case whose publicity ended with no objection,
    telling the accepting level. Returns {"ready": n, "closed": n}."""
    today = today or local_today()
    done = {"ready": 0, "closed": 0}
    for case in ended_publicity(today).select_related("campaign").order_by("id"):
        try:
            done[_end_one(case, today)] += 1
        except ConcurrentChange:
            pass  # moved meanwhile (closed, objected to): nothing is left to mark
        except Exception:
            # One bad row must not stall the rest; the next run retries it.
            logger.exception("ending the publicity of case %s failed", case.pk)
    return done


def _end_one(case: Case, today: datetime.date) -> str:
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        if case.campaign.close_after_publicity:
            event = close_after_publicity(
                case, today=today, note=_("The publicity ended on %(date)s with no objection; closed as the campaign provides.")
                % {"date": case.publicity_ends_on.isoformat()},
            )  # fmt: skip
            outcome = "closed"
        else:
            event = write_case(
                case, actor=None, at=timezone.now(), action=EventAction.UPDATED,
                values={"ready_for_sign_off_on": today},
                changes={"ready_for_sign_off_on": [None, today.isoformat()]},
                note=_("The publicity ended on %(date)s with no objection; the case is ready for sign-off.")
                % {"date": case.publicity_ends_on.isoformat()},
            )  # fmt: skip
            outcome = "ready"
        _tell_the_acceptor(case, outcome=outcome, version=event.version)
    return outcome


def _tell_the_acceptor(case: Case, *, outcome: str, version: int) -> None:
    from notifications.models import NotificationKind
    from notifications.services import notify

    url = reverse("web:case_detail", args=[case.pk])
    for person in reviewers_at(review_chain(case)[-1], case):
        with translation.override(person.language or settings.LANGUAGE_CODE):
            if outcome == "closed":
                title = _("Closed after its publicity with no objection: %(reference)s %(title)s")
            else:
                title = _("Ready for sign-off, its publicity ended with no objection: %(reference)s %(title)s")
            title %= {"reference": case.reference, "title": case.title}
        notify(
            recipient_id=person.pk, kind=NotificationKind.SIGN_OFF, key=f"sign-off:{case.pk}:{version}", title=title,
            url=url, cases=[{"id": case.pk, "reference": case.reference, "title": case.title}],
        )  # fmt: skip
