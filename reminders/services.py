"""Writes of the reminder run: claiming the day's digests, delivering them.

Exactly once, in three steps:

1. ``run_reminders`` inserts one ReminderLog row per planned digest with
   ON CONFLICT DO NOTHING against the unique (recipient, kind, digest_on).
   A second run, concurrent or later the same day, finds the rows instead
   of creating new ones, and hands on only those not yet done, in batches.
2. ``deliver_digests`` flips its batch's rows from queued/retrying to
   sending with one compare-and-swap UPDATE ... RETURNING (committed before
   anything is sent). Of two workers handed the same row, exactly one wins;
   the other leaves it alone.
3. Each row becomes sent as soon as the mail server has accepted its
   message, in its own committed UPDATE.

The window that remains: a worker that dies after the mail server accepted
a message and before step 3's UPDATE commits leaves that row in "sending".
REMINDER_STALE_CLAIM_MINUTES later the sweep (``stranded_digests``, run by
beat every REMINDER_SWEEP_SECONDS) takes the row over and that one digest
goes out a second time. The window is the time between the server's final
SMTP reply and the commit (milliseconds): a lost database connection does
not widen it, because every write after the claim is repeated on a fresh
connection until it lands (``tracker.resilience.retry_database``), and the
resent message carries the first one's Message-ID (``message_id``), so a
mail client folds the two into one. Closing the window would need the mail
server to take part in our transaction. For SMS it is closed: every SMS
carries the row's id as its OutId, and a row claimed again after an
attempt (``attempts`` above 1) asks the service for that OutId before
sending (``outlets.Outlets._text``); a message the service already has
marks the row sent (``found_at_provider``) instead of going out twice. We prefer that rare duplicate to a
reminder silently lost, which is what a worker dying *before* sending would
otherwise cause.

Claiming a batch at once has two consequences. A live worker renews its
claim on the rows it has yet to send every minute, so a slow batch is never
taken over and sent twice (the duplicate window stays a single message that
alone hangs for most of REMINDER_STALE_CLAIM_MINUTES). And the rows of a
dead worker's batch that it had not sent yet also wait in "sending" until
the claim is stale, and go out then: late by that much, never lost, never
twice.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from cases.querysets import local_today
from notifications.models import Channel, ChannelKind, Notification, NotificationKind
from tracker.resilience import retry_database

from .models import ABOUT_AN_URGING, CLAIMABLE_STATES, DigestKind, DigestState, ReminderLog, stale_before
from .messages import Composer
from .outlets import (
    Outlets,
    Sent,
    address_of,
    full_list_path,
    group_reader_of,
    listed_cases,
    reader_of,
    recipient_name,
    shown_address,
)
from .selectors import (
    CityDigest,
    PlannedDigest,
    ProvinceDigest,
    city_digests,
    covers_its_city,
    plan_digests,
    plan_group_digests,
    province_digest,
    scope_digest,
    with_missed_targets,
)

logger = logging.getLogger(__name__)

NO_EMAIL = "The recipient has no e-mail address."
NOTHING_LEFT = "Nothing to report any more when the digest was built."


@dataclass(frozen=True)
class RunLine:
    digest: PlannedDigest
    state: str | None  # None on a dry run
    already_done: bool = False  # finished by an earlier run today
    detail: str = ""
    channels: tuple[tuple[str, str], ...] = ()  # (channel, state) of the other channels than e-mail


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
    people = plan_digests(today=today)
    routes = route_channels(
        recipient_ids={digest.recipient_id for digest in people},
        kind_of={digest.recipient_id: digest.kind for digest in people},
    )
    channels = routes.by_recipient
    # A group no account of which gets a digest today (a bureau's robot
    # with no account yet) still gets its own, on its channels.
    groups = plan_group_digests(
        today=today, readers={group: group_reader_of(group_channels[0]) for group, group_channels in routes.unheaded.items()}
    )
    group_channels = {digest.group: routes.unheaded[digest.group] for digest in groups}
    planned = people + groups
    if dry_run:
        return RunReport(today=today, dry_run=True, lines=[RunLine(digest, None) for digest in planned])

    now = timezone.now()
    for digest in people:
        if not digest.email:
            logger.warning(
                "No e-mail address for %s: the %s digest of %s is skipped.",
                digest.username, digest.kind, today,
            )

    def row(digest, channel_kind, channel_id, skip=False):
        return ReminderLog(
            recipient_id=digest.recipient_id,
            kind=digest.kind,
            digest_on=today,
            channel_kind=channel_kind,
            channel_id=channel_id,
            state=DigestState.SKIPPED if skip else DigestState.QUEUED,
            last_error=NO_EMAIL if skip else "",
            overdue_count=digest.overdue,
            due_soon_count=digest.due_soon,
            created_at=now,
        )

    # One row per channel and day: a second run, or a run racing this one,
    # finds it (the unique constraints) whichever account, or none, it went with.
    ReminderLog.objects.bulk_create(
        [row(digest, *target) for digest in people for target in _targets(digest, channels)]
        + [row(digest, c.kind, c.pk) for digest in groups for c in group_channels[digest.group]],
        ignore_conflicts=True,
    )
    post_in_app(planned=people, today=today)

    def read_logs():
        logs, by_channel = {}, {}
        for log in ReminderLog.objects.filter(digest_on=today, urging__isnull=True).select_related("channel"):
            logs.setdefault((log.recipient_id, log.kind), []).append(log)
            if log.channel_id:
                by_channel[(log.channel_id, log.kind)] = log
        for digest in groups:
            logs[digest.group] = [
                by_channel[(c.pk, digest.kind)] for c in group_channels[digest.group] if (c.pk, digest.kind) in by_channel
            ]
        return logs

    def key_of(digest):
        return digest.group or (digest.recipient_id, digest.kind)

    def first_row(digest, rows):
        return rows[0] if digest.group else _email_row(rows)

    logs = read_logs()
    claimed_earlier = {
        key_of(d) for d in planned
        if logs[key_of(d)] and first_row(d, logs[key_of(d)]).state in (DigestState.SENT, DigestState.FAILED)
    }  # fmt: skip
    to_send = [log.pk for d in planned for log in logs[key_of(d)] if log.is_claimable(now)]
    if dispatch is not None and to_send:
        dispatch(to_send)
        logs = read_logs()

    lines = []
    for digest in planned:
        key = key_of(digest)
        if not logs[key]:
            continue  # a group's channels all taken away meanwhile
        first = first_row(digest, logs[key])
        others = tuple((_channel_name(log), log.state) for log in logs[key] if log is not first)
        lines.append(
            RunLine(digest, first.state, already_done=key in claimed_earlier, detail=first.last_error, channels=others)
        )
    return RunReport(today=today, dry_run=False, lines=lines)


def stranded_digests(*, now: datetime.datetime) -> list[int]:
    """The digests of today and yesterday that nobody will send unless
    handed on again (the sweep does, every REMINDER_SWEEP_SECONDS):

    - queued for more than a sweep interval: their task never reached the
      broker (it was down), or was lost with it;
    - sending under a claim older than REMINDER_STALE_CLAIM_MINUTES: their
      worker died (the claim would have been renewed otherwise);
    - waiting to retry for more than a sweep interval past their backoff:
      their retry task was lost.

    Handing a digest on twice is harmless: the claim lets one worker send it."""
    grace = datetime.timedelta(seconds=settings.REMINDER_SWEEP_SECONDS)
    since = local_today() - datetime.timedelta(days=1)
    rows = ReminderLog.objects.filter(digest_on__gte=since).filter(
        Q(state=DigestState.QUEUED, created_at__lt=now - grace)
        | Q(state=DigestState.SENDING, claimed_at__lt=stale_before(now))
        | Q(state=DigestState.RETRYING)
    )
    stranded = []
    for log_id, state, claimed_at, attempts in rows.order_by("pk").values_list("pk", "state", "claimed_at", "attempts"):
        if state == DigestState.RETRYING:
            due = claimed_at + datetime.timedelta(seconds=retry_delay(attempts)) + grace
            if due > now:
                continue
        stranded.append(log_id)
    return stranded


@dataclass
class Routes:
    """Where a message to some recipients goes besides their e-mail."""

    by_recipient: dict[int, list[Channel]] = field(default_factory=dict)  # recipient id -> its channels
    # The wanted groups none of whose accounts is a recipient: group -> its channels.
    unheaded: dict[tuple, list[Channel]] = field(default_factory=dict)


def group_of(channel: Channel) -> tuple | None:
    """("division", code) or ("unit", id) of a group's channel; None for an account's."""
    if channel.division_id:
        return ("division", channel.division_id)
    if channel.unit_id:
        return ("unit", channel.unit_id)
    return None


def route_channels(
    *, recipient_ids: set[int], kind_of: dict[int, str] | None = None, groups: set[tuple] | None = None
) -> Routes:
    """The active configured channels each of these recipients' message
    goes out on, in two queries: its own, and the group channels of its
    division (for accounts bound to no unit) or of its unit.

    A group is one recipient: its channels go with the group's first
    account among the recipients (by id) of each kind of message
    (``kind_of``: each recipient's digest kind; one kind when None), so the
    reminder log's row per (channel, kind, day) or (channel, kind, urging)
    holds a group to one message of each kind however many of its accounts
    get it, and that message is the one its accounts read.

    A group that should get the message though none of its accounts does
    (``groups``; every group with an active channel when None) comes back
    in ``unheaded``, with its channels: the message goes to them alone."""
    kind_of = kind_of or {}
    heads = {}  # ("division", code) or ("unit", id) -> {kind: the group's first recipient of it}
    people = User.objects.filter(pk__in=recipient_ids).order_by("pk").values_list("pk", "division_id", "unit_id")
    for pk, division_id, unit_id in people:
        group = ("unit", unit_id) if unit_id else ("division", division_id)
        heads.setdefault(group, {}).setdefault(kind_of.get(pk), pk)
    wanted = set(heads) | (groups or set())
    divisions = [code for kind, code in wanted if kind == "division" and code]
    units = [pk for kind, pk in wanted if kind == "unit"]
    condition = Q(user_id__in=recipient_ids) | Q(division_id__in=divisions) | Q(unit_id__in=units)
    if groups is None:
        condition |= Q(user__isnull=True)
    rows = Channel.objects.filter(condition, is_active=True).select_related("division", "unit")
    routes = Routes()
    for channel in rows.order_by("pk"):
        group = group_of(channel)
        if group is None:
            routes.by_recipient.setdefault(channel.user_id, []).append(channel)
        elif group in heads:
            for owner in heads[group].values():
                routes.by_recipient.setdefault(owner, []).append(channel)
        else:
            routes.unheaded.setdefault(group, []).append(channel)
    return routes


def channels_of(*, recipient_ids: set[int], kind_of: dict[int, str] | None = None) -> dict[int, list[Channel]]:
    """The channels each recipient's message goes out on (``route_channels``)."""
    return route_channels(recipient_ids=recipient_ids, kind_of=kind_of, groups=set()).by_recipient


def _targets(digest: PlannedDigest, channels: dict[int, list[Channel]]):
    """(channel kind, channel id, skipped for want of an address) of every
    copy of a digest that leaves the site: the account's e-mail and each
    configured channel."""
    yield ChannelKind.EMAIL, None, not digest.email
    for channel in channels.get(digest.recipient_id, []):
        yield channel.kind, channel.pk, False


def _email_row(rows: list[ReminderLog]) -> ReminderLog:
    return next(log for log in rows if log.channel_kind == ChannelKind.EMAIL and log.channel_id is None)


def _channel_name(log: ReminderLog) -> str:
    return log.channel_kind if log.channel is None else f"{log.channel_kind}#{log.channel_id}"


@dataclass
class Delivery:
    """What ``deliver_digests`` did with the digests it was handed."""

    states: dict[int, str] = field(default_factory=dict)  # new state of each digest it claimed
    retry: dict[int, int] = field(default_factory=dict)  # to try again: log id -> attempts so far
    held: dict[int, float] = field(default_factory=dict)  # claimed by another worker: log id -> seconds to stale


def deliver_digests(*, log_ids: list[int]) -> Delivery:
    """Claim these reminders, build their digests from the cases' current
    state and send them over one mail-server connection.

    The claim is one UPDATE for the batch; each digest then gets its own
    "sent" (or failed) mark as soon as the mail server has answered for it,
    so the crash window of the module docstring stays one message wide.
    Digests finished already are left alone; those another worker holds are
    reported in ``held``, and those whose sending failed while attempts
    remain in ``retry``: the caller tries both again later."""
    claim = _Claim(log_ids=log_ids)
    delivery = Delivery()
    unclaimed = set(log_ids) - claim.ids
    if unclaimed:
        held = ReminderLog.objects.filter(pk__in=unclaimed, state=DigestState.SENDING)
        for log_id, claimed_at in held.values_list("pk", "claimed_at"):
            delivery.held[log_id] = max((claimed_at - stale_before(claim.since)).total_seconds(), 0)
    if not claim.ids:
        return delivery

    logs = retry_database(
        lambda: list(
            ReminderLog.objects.filter(pk__in=claim.ids).select_related(
                "recipient__city", "recipient__division", "recipient__unit", "channel__division", "channel__unit"
            ).order_by("pk")
        ),
        what="reading a claimed batch",
    )
    to_send = []
    for log in logs:
        if address_of(log):
            to_send.append(log)
        else:
            logger.warning("No e-mail address for %s: reminder %s skipped.", log.recipient.username, log.pk)
            claim.finish(log, state=DigestState.SKIPPED, last_error=NO_EMAIL)
            delivery.states[log.pk] = DigestState.SKIPPED
    if not to_send:
        return delivery

    try:
        digests = retry_database(lambda: _build_digests(to_send), what="building digests")
    except Exception as error:  # nothing could be built: every digest's attempt failed
        for log in to_send:
            _attempt_failed(log=log, claim=claim, error=error, delivery=delivery)
        return delivery

    outlets = Outlets()
    try:
        for index, log in enumerate(to_send):
            if log.pk not in retry_database(lambda: claim.kept(remaining=to_send[index:]), what="renewing a claim"):
                continue  # another worker took it over: it is theirs to send now
            digest = digests[log.pk]
            if digest.is_empty:
                claim.finish(log, state=DigestState.SKIPPED, last_error=NOTHING_LEFT)
                delivery.states[log.pk] = DigestState.SKIPPED
                continue
            try:
                sent = outlets.send(log=log, digest=digest, message_id=message_id(log))
            except Exception as error:  # one bad digest or channel must not stop the others
                _attempt_failed(log=log, claim=claim, error=error, delivery=delivery)
                outlets.reset()
                continue
            # The crash window described in the module docstring is here.
            _mark_sent(log=log, claim=claim, digest=digest, sent=sent)
            delivery.states[log.pk] = DigestState.SENT
    finally:
        outlets.reset()
    return delivery


def message_id(log: ReminderLog) -> str:
    """The same Message-ID for every sending of one digest (recipient, kind
    and day), so that a digest sent twice reads as one in a mail client."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    if log.channel_id and log.channel.is_group:
        to = f"group{log.channel_id}"  # whichever account it went with
    else:
        to = f"{log.recipient_id}.{log.channel_id}" if log.channel_id else str(log.recipient_id)
    if log.urging_id:
        return f"<{log.kind}.{log.urging_id}.{to}@{domain}>"
    return f"<digest.{log.kind}.{log.digest_on:%Y%m%d}.{to}@{domain}>"


class _Claim:
    """This worker's hold on a batch: the rows it flipped to "sending" and
    when. Every later write is conditional on still holding them, so a
    worker that lost a row (taken over as stale) changes nothing."""

    # A batch takes seconds; one whose mail server is slow keeps its claim
    # fresh, so that no other worker takes over the rows it has yet to send
    # (and sends them a second time) while it is still going.
    RENEW_AFTER = datetime.timedelta(minutes=1)

    def __init__(self, *, log_ids: list[int]):
        """Claim the claimable ones of these reminders in one committed
        statement. Of two workers handed the same reminder exactly one gets
        it: the second's UPDATE waits for the first and then finds the row
        no longer claimable."""
        self.since = timezone.now()
        self.ids = _update_returning(
            log_ids=log_ids,
            assignments="state = %s, claimed_at = %s, attempts = attempts + 1",
            condition="state IN (%s, %s) OR (state = %s AND claimed_at < %s)",
            params=[DigestState.SENDING, self.since, *CLAIMABLE_STATES, DigestState.SENDING, stale_before(self.since)],
        )

    def rows(self):
        return ReminderLog.objects.filter(state=DigestState.SENDING, claimed_at=self.since)

    def finish(self, log: ReminderLog, **values) -> bool:
        """Record what became of one claimed digest, if the claim still
        holds it; repeated on a fresh connection if the database connection
        is lost, so that a digest the mail server accepted is recorded as
        sent while this worker lives. False when the row was taken over."""
        return bool(retry_database(lambda: self.rows().filter(pk=log.pk).update(**values), what="recording a digest"))

    def kept(self, *, remaining: list[ReminderLog]) -> set[int]:
        """The ids still held, after renewing the claim on the ``remaining``
        rows when it is older than RENEW_AFTER (one committed UPDATE)."""
        now = timezone.now()
        if now - self.since >= self.RENEW_AFTER:
            self.ids = _update_returning(
                log_ids=[log.pk for log in remaining],
                assignments="claimed_at = %s",
                condition="state = %s AND claimed_at = %s",
                params=[now, DigestState.SENDING, self.since],
            )
            self.since = now
        return self.ids


def _update_returning(*, log_ids: list[int], assignments: str, condition: str, params: list) -> set[int]:
    """UPDATE those of ``log_ids`` that meet ``condition``; returns their ids.
    ``params`` fill the placeholders of ``assignments`` then ``condition``."""
    if not log_ids:
        return set()
    table = connection.ops.quote_name(ReminderLog._meta.db_table)
    ids = ", ".join(["%s"] * len(log_ids))
    # The rows are locked in id order first, so that two workers handed
    # overlapping batches wait for each other instead of deadlocking.
    lock = f" ORDER BY id {connection.ops.for_update_sql()}" if connection.features.has_select_for_update else ""
    sql = f"""
        UPDATE {table} SET {assignments}
        WHERE id IN (SELECT id FROM {table} WHERE id IN ({ids}){lock}) AND ({condition})
        RETURNING id
    """
    adapt = connection.ops.adapt_datetimefield_value
    values = [adapt(p) if isinstance(p, datetime.datetime) else p for p in params]
    n_assigned = assignments.count("%s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values[:n_assigned], *log_ids, *values[n_assigned:]])
        return {row[0] for row in cursor.fetchall()}


def _build_digests(logs: list[ReminderLog]) -> dict:
    """What each reminder says: a digest of the day, or an urging."""
    from notifications.urgings import messages_for

    digests = [log for log in logs if log.kind not in ABOUT_AN_URGING]
    built = {}
    if digests:
        today = digests[0].digest_on  # the digests of a batch are one day's
        built = digests_for(today=today, wanted={log.pk: (log.kind, reader_of(log)) for log in digests})
    urgings = [log for log in logs if log.kind in ABOUT_AN_URGING]
    if urgings:
        messages = messages_for([(log.urging_id, log.kind) for log in urgings])
        built |= {log.pk: messages[(log.urging_id, log.kind)] for log in urgings}
    return built


def digests_for(*, today: datetime.date, wanted: dict) -> dict:
    """The digest of each key of ``wanted`` ({key: (digest kind, the
    recipient)}): the city bureaus' in one query for all their cities, a
    county bureau's or a unit's over its own scope, the province digest
    once for every supervisor; a case overdue by a missed milestone says
    which (one query more, only when there is one)."""
    city_wide = {key for key, (kind, user) in wanted.items() if kind == DigestKind.CITY and covers_its_city(user)}
    by_city = city_digests(cities={wanted[key][1].city for key in city_wide}, today=today)
    province = province_digest(today=today) if any(kind == DigestKind.PROVINCE for kind, _ in wanted.values()) else None
    digests = {}
    for key, (kind, user) in wanted.items():
        if kind == DigestKind.PROVINCE:
            digests[key] = province
        elif key in city_wide:
            digests[key] = by_city[user.city_id]
        else:
            digests[key] = scope_digest(user=user, today=today)
    return with_missed_targets(digests, today=today)


def post_in_app(*, planned: list[PlannedDigest], today: datetime.date) -> int:
    """Every planned digest also goes to its recipient's notification
    centre. Writing it is one INSERT that keeps an existing copy, so a
    second run (or a run after a worker died) adds nothing: exactly once
    without a claim. Returns how many this call wrote."""
    def key(kind):
        return f"digest:{kind}:{today.isoformat()}"

    done = set(
        Notification.objects.filter(
            recipient_id__in=[d.recipient_id for d in planned], key__in={key(d.kind) for d in planned}
        ).values_list("recipient_id", "key")
    )
    todo = [d for d in planned if (d.recipient_id, key(d.kind)) not in done]
    if not todo:
        return 0
    users = User.objects.select_related("city", "division", "unit").in_bulk([d.recipient_id for d in todo])
    digests = digests_for(today=today, wanted={d.recipient_id: (d.kind, users[d.recipient_id]) for d in todo})
    composer = Composer()
    now = timezone.now()
    copies = [
        Notification(
            recipient_id=d.recipient_id,
            kind=NotificationKind.DIGEST,
            key=key(d.kind),
            title=composer.subject(digest=digests[d.recipient_id], recipient=users[d.recipient_id])[:300],
            url=full_list_path(digests[d.recipient_id]),
            cases=listed_cases(digests[d.recipient_id]),
            created_at=now,
        )
        for d in todo
        if not digests[d.recipient_id].is_empty
    ]
    Notification.objects.bulk_create(copies, ignore_conflicts=True)
    return len(copies)


def _mark_sent(*, log: ReminderLog, claim: _Claim, digest: CityDigest | ProvinceDigest, sent: Sent) -> None:
    counts = (
        {"overdue_count": len(digest.cases)}
        if log.kind in ABOUT_AN_URGING
        else {"overdue_count": digest.overdue.total, "due_soon_count": digest.due_soon.total}
        if log.kind == DigestKind.CITY
        else {
            "overdue_count": digest.overdue_total,
            "due_soon_count": digest.due_soon_total,
            "escalated_count": digest.escalations.total,
            "acceptance_queue_count": digest.acceptance_queue.total,
        }
    )
    updated = claim.finish(
        log,
        state=DigestState.SENT,
        sent_at=timezone.now(),
        email=sent.address[:500],
        subject=sent.subject[:300],
        answer=sent.answer[:2000],
        found_at_provider=sent.found_at_provider,
        last_error="",
        **counts,
    )
    if updated and sent.found_at_provider:
        logger.info("Reminder %s: the SMS service already had it from an earlier attempt; not sent again.", log.pk)
    if not updated:
        logger.error("Reminder %s was taken over while being sent; it may go out twice.", log.pk)


def _attempt_failed(*, log: ReminderLog, claim: _Claim, error: Exception, delivery: Delivery) -> None:
    final = log.attempts >= settings.REMINDER_MAX_ATTEMPTS
    state = DigestState.FAILED if final else DigestState.RETRYING
    claim.finish(
        log, state=state, last_error=f"{type(error).__name__}: {error}"[:2000],
        answer=getattr(error, "answer", "")[:2000], email=shown_address(log)[:500],
    )  # fmt: skip
    logger.warning(
        "Reminder %s (%s) to %s: attempt %s of %s failed: %s",
        log.pk, log.channel_kind, recipient_name(log), log.attempts, settings.REMINDER_MAX_ATTEMPTS, error,
    )  # fmt: skip
    delivery.states[log.pk] = state
    if not final:
        delivery.retry[log.pk] = log.attempts


def retry_delay(attempts: int) -> int:
    """Seconds before the next attempt: doubling from REMINDER_RETRY_SECONDS."""
    return settings.REMINDER_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
