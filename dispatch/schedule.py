"""Recurring rounds: each active template opens its round for the
current period once the period's opening day has come (a missed day
loses nothing: the next run opens it), unless the cutoff has passed. Two
runs open it once: (template, period) is unique, and the counter moves
in the same transaction as the round's insert."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.errors import CaseError

from .models import Cadence, Round, RoundTemplate
from .services import open_round

logger = logging.getLogger(__name__)


def opening_day(template: RoundTemplate, day: datetime.date) -> datetime.date:
    """The day the template's round opens in the period holding ``day``."""
    if template.cadence == Cadence.WEEKLY:
        return day - datetime.timedelta(days=day.weekday() - template.weekday)
    month = day.month if template.cadence == Cadence.MONTHLY else (day.month - 1) // 3 * 3 + 1
    return datetime.date(day.year, month, template.day_of_month)


def cutoff_of(template: RoundTemplate, opens_on: datetime.date) -> datetime.datetime:
    day = opens_on + datetime.timedelta(days=template.cutoff_days)
    return timezone.make_aware(datetime.datetime.combine(day, template.cutoff_time))


def open_due_rounds(*, now: datetime.datetime | None = None) -> list[Round]:
    """Open every round that is due and not open yet; returns those opened."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    opened = []
    for template in RoundTemplate.objects.filter(active=True).prefetch_related("campaigns", "divisions"):
        opens_on = opening_day(template, today)
        cutoff = cutoff_of(template, opens_on)
        if opens_on > today or cutoff <= now or Round.objects.filter(template=template, period_on=opens_on).exists():
            continue
        try:
            round = _open(template, opens_on, cutoff, now)
        except CaseError as error:
            # One bad template (a name another round took) must not stall the rest.
            logger.error("Round template %s not opened: %s", template.pk, error.message)
            continue
        if round is not None:
            opened.append(round)
    return opened


def _open(template: RoundTemplate, opens_on, cutoff, now) -> Round | None:
    try:
        with transaction.atomic():
            number = template.next_number
            round = open_round(
                actor=None, name=template.name_for(number), cadence=template.cadence, cutoff_at=cutoff,
                campaigns=list(template.campaigns.all()), divisions=list(template.divisions.all()),
                template=template, period_on=opens_on, at=now,
            )  # fmt: skip
            if RoundTemplate.objects.filter(pk=template.pk, next_number=number).update(next_number=number + 1) != 1:
                raise IntegrityError("the template's counter moved meanwhile")
    except IntegrityError:
        return None  # another run opened this period's round
    return round
