"""Writes of the reminder run: claiming the day's digests, delivering one.

Exactly once, in three steps:

1. ``run_reminders`` inserts one ReminderLog row per planned digest with
   ON CONFLICT DO NOTHING against the unique (recipient, kind, digest_on).
   A second run, concurrent or later the same day, finds the rows instead
   of creating new ones, and hands on only those not yet done.
2. ``deliver_digest`` flips its row from queued/retrying to sending with a
   compare-and-swap UPDATE (committed before anything is sent). Of two
   workers handed the same row, exactly one wins; the other returns.
3. Once the mail server has accepted the message the row becomes sent.

The window that remains: a worker that dies after the mail server accepted
the message and before step 3's UPDATE commits leaves its row in
"sending". REMINDER_STALE_CLAIM_MINUTES later a re-run takes the row over
and that one digest goes out a second time. The window is the time between
the server's final SMTP reply and the commit (milliseconds); closing it
would need the mail server to take part in our transaction. We prefer that
rare duplicate to a reminder silently lost, which is what a worker dying
*before* sending would otherwise cause: the same "sending" row, re-taken
and sent by the re-run.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .messages import compose
from .models import CLAIMABLE_STATES, DigestKind, DigestState, ReminderLog, stale_before
from .selectors import PlannedDigest, build_digest, plan_digests

logger = logging.getLogger(__name__)

NO_EMAIL = "The recipient has no e-mail address."
NOTHING_LEFT = "Nothing to report any more when the digest was built."


class DeliveryFailed(Exception):
    """The mail server refused or could not be reached; worth a retry."""

    def __init__(self, *, log_id: int, attempts: int):
        super().__init__(f"reminder {log_id}: delivery attempt {attempts} failed")
        self.attempts = attempts


class ClaimHeld(Exception):
    """Another worker claimed the digest and has not finished: it may be
    sending right now, or it may have died. Ask again once its claim goes
    stale."""

    def __init__(self, *, log_id: int, seconds_left: float):
        super().__init__(f"reminder {log_id} is held by another worker for {seconds_left:.0f} s more")
        self.seconds_left = max(seconds_left, 0)


@dataclass(frozen=True)
class RunLine:
    digest: PlannedDigest
    state: str | None  # None on a dry run
    already_done: bool = False  # finished by an earlier run today
    detail: str = ""


@dataclass(frozen=True)
class RunReport:
    today: datetime.date
    dry_run: bool
    lines: list[RunLine]

    def count(self, state: str, *, this_run: bool = True) -> int:
        return sum(1 for line in self.lines if line.state == state and (not this_run or not line.already_done))


def run_reminders(
    *, today: datetime.date, dry_run: bool = False, dispatch: Callable[[list[int]], None] | None = None
) -> RunReport:
    """Plan the day's digests, claim them in the reminder log and hand the
    ids of those still to send to ``dispatch`` (which sends them, in
    process or through the broker). A dry run only plans."""
    planned = plan_digests(today=today)
    if dry_run:
        return RunReport(today=today, dry_run=True, lines=[RunLine(digest, None) for digest in planned])

    now = timezone.now()
    for digest in planned:
        if not digest.email:
            logger.warning(
                "No e-mail address for %s: the %s digest of %s is skipped.",
                digest.username, digest.kind, today,
            )
    ReminderLog.objects.bulk_create(
        [
            ReminderLog(
                recipient_id=digest.recipient_id,
                kind=digest.kind,
                digest_on=today,
                state=DigestState.QUEUED if digest.email else DigestState.SKIPPED,
                last_error="" if digest.email else NO_EMAIL,
                overdue_count=digest.overdue,
                due_soon_count=digest.due_soon,
                created_at=now,
            )
            for digest in planned
        ],
        ignore_conflicts=True,
    )
    logs = {(log.recipient_id, log.kind): log for log in ReminderLog.objects.filter(digest_on=today)}
    claimed_earlier = {key for key, log in logs.items() if log.state in (DigestState.SENT, DigestState.FAILED)}
    to_send = [logs[(d.recipient_id, d.kind)].pk for d in planned if logs[(d.recipient_id, d.kind)].is_claimable(now)]
    if dispatch is not None and to_send:
        dispatch(to_send)
        logs = {(log.recipient_id, log.kind): log for log in ReminderLog.objects.filter(digest_on=today)}

    lines = []
    for digest in planned:
        key = (digest.recipient_id, digest.kind)
        log = logs[key]
        lines.append(RunLine(digest, log.state, already_done=key in claimed_earlier, detail=log.last_error))
    return RunReport(today=today, dry_run=False, lines=lines)


def deliver_digest(*, log_id: int) -> str | None:
    """Claim reminder ``log_id``, build its digest from the cases' current
    state and send it. Returns the row's new state, or None when it was
    finished already. Raises ClaimHeld when another worker holds a fresh
    claim on it, and DeliveryFailed when the mail could not be sent and
    attempts remain: the caller tries again later in both cases."""
    now = timezone.now()
    claimed = (
        ReminderLog.objects.filter(pk=log_id)
        .filter(Q(state__in=CLAIMABLE_STATES) | Q(state=DigestState.SENDING, claimed_at__lt=stale_before(now)))
        .update(state=DigestState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        held_since = (
            ReminderLog.objects.filter(pk=log_id, state=DigestState.SENDING).values_list("claimed_at", flat=True).first()
        )
        if held_since is not None:
            raise ClaimHeld(log_id=log_id, seconds_left=(held_since - stale_before(now)).total_seconds())
        return None
    log = ReminderLog.objects.select_related("recipient__city").get(pk=log_id)
    # Every later write is conditional on still holding this claim, so a
    # worker that lost it (it was too slow and was taken over) changes nothing.
    mine = ReminderLog.objects.filter(pk=log_id, state=DigestState.SENDING, claimed_at=now)
    recipient = log.recipient
    if not recipient.email:
        logger.warning("No e-mail address for %s: reminder %s skipped.", recipient.username, log_id)
        mine.update(state=DigestState.SKIPPED, last_error=NO_EMAIL)
        return DigestState.SKIPPED

    try:
        digest = build_digest(kind=log.kind, recipient=recipient, today=log.digest_on)
        if digest.is_empty:
            mine.update(state=DigestState.SKIPPED, last_error=NOTHING_LEFT)
            return DigestState.SKIPPED
        message = compose(digest=digest, recipient=recipient)
        message.send()
    except Exception as error:  # one bad digest must not stop the others
        final = log.attempts >= settings.REMINDER_MAX_ATTEMPTS
        mine.update(
            state=DigestState.FAILED if final else DigestState.RETRYING,
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        logger.warning(
            "Reminder %s to %s: attempt %s of %s failed: %s",
            log_id, recipient.email, log.attempts, settings.REMINDER_MAX_ATTEMPTS, error,
        )
        if final:
            return DigestState.FAILED
        raise DeliveryFailed(log_id=log_id, attempts=log.attempts) from error

    # The crash window described in the module docstring is here.
    counts = (
        {"overdue_count": digest.overdue.total, "due_soon_count": digest.due_soon.total}
        if log.kind == DigestKind.CITY
        else {
            "overdue_count": digest.overdue_total,
            "due_soon_count": digest.due_soon_total,
            "escalated_count": digest.escalations.total,
            "acceptance_queue_count": digest.acceptance_queue.total,
        }
    )
    if not mine.update(
        state=DigestState.SENT,
        sent_at=timezone.now(),
        email=recipient.email,
        subject=message.subject[:300],
        last_error="",
        **counts,
    ):
        logger.error("Reminder %s was taken over while being sent; it may go out twice.", log_id)
    return DigestState.SENT


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt: doubling from REMINDER_RETRY_SECONDS."""
    return settings.REMINDER_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
