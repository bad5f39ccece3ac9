"""Urging (催办) and receipts (签收), down the administrative tree.

A reviewing level urges the divisions below it: the provincial office any
city or county, a city bureau its counties (its own scope, cases/scope.py;
a case outside it is a 404). A city bureau also urges its own city-level
cases: that urging (``to_units``) goes to the cases' lead and cooperating
units, not to the bureau itself, and escalates to the province. It urges one case or a division's overdue
cases, with a note; each division urged gets one ``Urging``. Its
responsible accounts (the officers bound to the division, and the
unit-bound ones of the cases' lead and cooperating units there) get it in
the site and on every channel they have, and the division's and the units'
group robots get it, once each, even when no account of theirs does,
through the reminder log's exactly-once delivery.
Opening it or pressing 签收 records the receipt; the first receipt by any
responsible account answers the urging. One not received within the
campaign's working hours is escalated to the level above the urged
division (a county's to its city bureau, a city's to the province), once."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role, User
from cases.constants import Level
from cases.divisions import in_subtree
from cases.models import Case, Division, Unit
from cases.scope import scope_of
from cases.workflow import review_level
from workdays.calendar import is_working_day

from .models import CampaignReceiptHours, Channel, Notification, NotificationKind, ReceiptWay, Urging, UrgingReceipt


def add_working_hours(start: datetime.datetime, hours: float) -> datetime.datetime:
    """The moment ``hours`` office hours (URGING_OFFICE_HOURS, on China's
    working days with their make-up days) after ``start``."""
    opens, closes = (datetime.time.fromisoformat(t) for t in settings.URGING_OFFICE_HOURS.split("-"))
    zone = timezone.get_default_timezone()
    moment = timezone.localtime(start, zone)
    remaining = datetime.timedelta(hours=hours)
    for _ in range(3660):  # ten years of days: a calendar with no working day is a mistake, not a loop
        day = moment.date()
        if is_working_day(day):
            begin = max(moment, datetime.datetime.combine(day, opens, zone))
            end = datetime.datetime.combine(day, closes, zone)
            if begin < end:
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
        moment = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, zone)
    raise ValueError("no working hours in the next ten years")


def receipt_hours(cases: list[Case]) -> int:
    """The shortest receipt deadline of the campaigns these cases are in."""
    set_ = dict(
        CampaignReceiptHours.objects.filter(campaign_id__in={c.campaign_id for c in cases}).values_list(
            "campaign_id", "working_hours"
        )
    )
    return min(set_.get(c.campaign_id, settings.URGING_RECEIPT_WORKING_HOURS) for c in cases)


def may_urge(user: User, case: Case | None = None) -> bool:
    """Whether ``user`` urges at all (a reviewing level that may write), and
    ``case`` when given: one in scope, of a division below the user's own
    or, for a city bureau, one of its own city-level cases that has a unit
    to answer."""
    if not (user.is_authenticated and user.may_write and review_level(user) is not None):
        return False
    if case is None:
        return True
    if not scope_of(user).contains(case):
        return False
    if case.division_id != user.division_id:
        return True
    return urges_its_own_level(user) and bool(case.lead_unit_id or case.cooperating_units.exists())


def urges_its_own_level(user: User) -> bool:
    """A city bureau urges its own city-level cases too (their units answer);
    the provincial office urges only the levels below it."""
    return review_level(user) == Level.CITY


def urgeable_divisions(user: User):
    """The divisions ``user`` may urge: its subtree, itself included for a
    city bureau (its own cases go to their units)."""
    if not may_urge(user):
        return Division.objects.none()
    divisions = scope_of(user).divisions()
    return divisions if urges_its_own_level(user) else divisions.exclude(code=user.division_id)


def responsible_accounts(*, division_id: str, unit_ids: set[int], to_units: bool = False):
    """Who answers an urging of ``division_id`` about cases of these units:
    the division's officers bound to one of the units and, unless the
    urging is to the units only (a city bureau's of its own cases), those
    bound to no unit."""
    bound = Q(unit_id__in=unit_ids) if to_units else Q(unit__isnull=True) | Q(unit_id__in=unit_ids)
    return User.objects.filter(is_active=True, role=Role.OFFICER, division_id=division_id).filter(bound).order_by("pk")


def units_of(cases) -> set[int]:
    """The lead and cooperating units of these (prefetched) cases."""
    return {c.lead_unit_id for c in cases if c.lead_unit_id} | {u.pk for c in cases for u in c.cooperating_units.all()}


def is_responsible(*, urging: Urging, account: User) -> bool:
    return responsible_accounts(
        division_id=urging.division_id, unit_ids=units_of(urging_cases(urging)), to_units=urging.to_units
    ).filter(pk=account.pk).exists()


def urging_cases(urging: Urging) -> list[Case]:
    return list(urging.cases.prefetch_related("cooperating_units").order_by("pk"))


def bureau_accounts(division_id: str | None):
    """The accounts of a division's own bureau (no unit): who an urging of
    a division below it escalates to."""
    return User.objects.filter(
        is_active=True, role__in=(Role.OFFICER, Role.SUPERVISOR), division_id=division_id, unit__isnull=True
    ).order_by("pk")


def escalation_target(division: Division) -> tuple[str | None, list[User]]:
    """The level above ``division`` (its code) and its bureau accounts;
    where that bureau has neither an account nor a group channel yet, the
    next level up, so that an escalation never goes to nobody."""
    code = division.parent_id
    while code is not None:
        accounts = list(bureau_accounts(code))
        if accounts or Channel.objects.filter(division_id=code, is_active=True).exists():
            return code, accounts
        code = Division.objects.filter(pk=code).values_list("parent_id", flat=True).first()
    return None, []


def escalated_to(division: Division) -> list[User]:
    """The bureau accounts an escalation of an urging of ``division`` goes to."""
    return escalation_target(division)[1]


def groups_urged(*, division_id: str, unit_ids: set[int], to_units: bool) -> set[tuple]:
    """The groups whose channels get an urging of ``division_id`` even with
    no account of theirs responsible: the division's own (unless the urging
    is to the units only) and those of the cases' units in its subtree."""
    groups = set() if to_units else {("division", division_id)}
    for unit_id, unit_division in Unit.objects.filter(pk__in=unit_ids).values_list("pk", "division_id"):
        if in_subtree(unit_division, division_id):
            groups.add(("unit", unit_id))
    return groups


@transaction.atomic
def urge(*, actor: User, case_ids: list[int], note: str) -> list[Urging]:
    """Urge these cases, each division's in one urging. Only a reviewing
    level urges (else PermissionDenied); a case outside its scope is a 404.
    A case of the urger's own division is refused, but for a city bureau's
    own city-level cases: their urging goes to the cases' units (one with
    no unit is refused)."""
    if not may_urge(actor):
        raise PermissionDenied(_("Only a reviewing level (the provincial office or a city bureau) may urge."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what is expected: the note is sent with the urging.")})
    cases = list(
        Case.objects.for_user(actor).filter(pk__in=set(case_ids)).prefetch_related("cooperating_units").order_by("pk")
    )
    if not case_ids or len(cases) != len(set(case_ids)):
        raise Http404
    own = [case for case in cases if case.division_id == actor.division_id]
    if own and not urges_its_own_level(actor):
        raise ValidationError({"cases": _("A case of your own division is not urged by you: urge the divisions below.")})
    unanswered = [case for case in own if not units_of([case])]
    if unanswered:
        raise ValidationError(
            {
                "cases": _("%(reference)s has no lead or cooperating unit to answer an urging.")
                % {"reference": unanswered[0].reference}
            }
        )
    by_division = {}
    for case in cases:
        by_division.setdefault(case.division_id, []).append(case)
    now = timezone.now()
    urgings = []
    for division_id, group in sorted(by_division.items()):
        to_units = division_id == actor.division_id
        urging = Urging.objects.create(
            urged_by=actor, division_id=division_id, note=note, created_at=now, to_units=to_units,
            receipt_due_at=add_working_hours(now, receipt_hours(group)),
        )  # fmt: skip
        urging.cases.set(group)
        unit_ids = units_of(group)
        recipients = list(responsible_accounts(division_id=division_id, unit_ids=unit_ids, to_units=to_units))
        groups = groups_urged(division_id=division_id, unit_ids=unit_ids, to_units=to_units)
        send_about(urging=urging, kind=NotificationKind.URGING, recipients=recipients, groups=groups)
        urgings.append(urging)
    return urgings


def urge_overdue(*, actor: User, division: Division, note: str, today: datetime.date) -> list[Urging]:
    """Urge every overdue case of a division's subtree that the actor sees,
    each division's in one urging. The actor's own division's cases are
    left out, but for a city bureau's that have a unit to answer."""
    if not may_urge(actor):
        raise PermissionDenied(_("Only a reviewing level (the provincial office or a city bureau) may urge."))
    if not urgeable_divisions(actor).filter(pk=division.pk).exists():
        raise Http404
    cases = Case.objects.for_user(actor).overdue(today).filter(division__pk__range=division.bounds)
    if urges_its_own_level(actor):
        with_a_unit = Q(lead_unit__isnull=False) | Exists(
            Case.cooperating_units.through.objects.filter(case_id=OuterRef("pk"))
        )
        cases = cases.filter(~Q(division_id=actor.division_id) | with_a_unit)
    else:
        cases = cases.exclude(division_id=actor.division_id)
    ids = list(cases.values_list("pk", flat=True))
    if not ids:
        raise ValidationError({"division": _("%(division)s has no overdue case to urge.") % {"division": division.name}})
    return urge(actor=actor, case_ids=ids, note=note)


@dataclass(frozen=True)
class UrgingMessage:
    """An urging (or its escalation) as the channels send it."""

    urging: Urging
    kind: str  # urging or escalation
    cases: list[Case]

    is_empty = False

    @property
    def key(self) -> tuple:
        return (self.kind, self.urging.pk)

    @property
    def path(self) -> str:
        return f"/notifications/urgings/{self.urging.pk}/"

    def subject(self) -> str:
        values = {"division": self.urging.division.name, "count": len(self.cases)}
        if self.kind == NotificationKind.ESCALATION:
            return ngettext(
                "Urging not received: %(division)s, %(count)d case",
                "Urging not received: %(division)s, %(count)d cases",
                len(self.cases),
            ) % values
        return ngettext(
            "Urging (催办): %(division)s, %(count)d case",
            "Urging (催办): %(division)s, %(count)d cases",
            len(self.cases),
        ) % values

    def text(self) -> str:
        lines = []
        if self.kind == NotificationKind.ESCALATION:
            due = timezone.localtime(self.urging.receipt_due_at).strftime("%Y-%m-%d %H:%M")
            values = {"division": self.urging.division.name, "due": due}
            if self.urging.to_units:
                said = _("No responsible unit of %(division)s's own cases signed for this urging by %(due)s.") % values
            else:
                said = _("Nobody in %(division)s signed for this urging by %(due)s.") % values
            lines += [said, ""]
        urged_by = self.urging.urged_by.division.name if self.urging.urged_by.division_id else ""
        lines += [_("From: %(division)s") % {"division": urged_by}, _("Note: %(note)s") % {"note": self.urging.note}, ""]
        for case in self.cases:
            lines.append(f"- {case.reference} {case.title}\n  {settings.SITE_URL}/cases/{case.pk}/")
        lines += ["", _("Sign for it (签收): %(url)s") % {"url": settings.SITE_URL + self.path}]
        return "\n".join(lines)

    def sms_params(self) -> dict:
        # The approved template's parameter is named city; it names the division.
        return {"city": self.urging.division.name, "count": str(len(self.cases))}


def messages_for(pairs: list[tuple[int, str]]) -> dict[tuple[int, str], UrgingMessage]:
    """The messages of these (urging id, kind) pairs, in two queries."""
    urgings = Urging.objects.select_related("division", "urged_by__division").prefetch_related("cases").in_bulk({pk for pk, _ in pairs})
    return {
        (pk, kind): UrgingMessage(urging=urgings[pk], kind=kind, cases=sorted(urgings[pk].cases.all(), key=lambda c: c.pk))
        for pk, kind in pairs
    }


def send_about(*, urging: Urging, kind: str, recipients: list[User], groups: set[tuple] = frozenset()) -> None:
    """Put the urging (or its escalation) in each recipient's centre and
    queue it on their e-mail and channels, once each; the reminder log's
    workers send it after the commit. The channels of ``groups`` (("division",
    code) or ("unit", id)) get it too, once per group, when none of the
    group's accounts is a recipient."""
    from reminders.models import DigestState, ReminderLog
    from reminders.services import NO_EMAIL, route_channels
    from reminders.tasks import hand_on

    message = messages_for([(urging.pk, kind)])[(urging.pk, kind)]
    now = timezone.now()
    copies = []
    for person in recipients:
        with translation.override(person.language or settings.LANGUAGE_CODE):
            title = message.subject()
        copies.append(
            Notification(
                recipient=person, kind=kind, key=f"{kind}:{urging.pk}", title=title[:300], body=urging.note,
                url=message.path, created_at=now,
                cases=[{"id": c.pk, "reference": c.reference, "title": c.title} for c in message.cases],
            )
        )  # fmt: skip
    Notification.objects.bulk_create(copies, ignore_conflicts=True)

    routes = route_channels(recipient_ids={person.pk for person in recipients}, groups=set(groups))
    channels = routes.by_recipient
    rows = []
    for person in recipients:
        common = {"recipient": person, "kind": kind, "urging": urging, "digest_on": timezone.localdate(now),
                  "overdue_count": len(message.cases), "created_at": now}  # fmt: skip
        rows.append(
            ReminderLog(
                **common, channel_kind="email",
                state=DigestState.QUEUED if person.email else DigestState.SKIPPED,
                last_error="" if person.email else NO_EMAIL,
            )
        )  # fmt: skip
        rows += [ReminderLog(**common, channel=c, channel_kind=c.kind) for c in channels.get(person.pk, [])]
    # A group with no account among the recipients: its channels on their own.
    common = {"recipient": None, "kind": kind, "urging": urging, "digest_on": timezone.localdate(now),
              "overdue_count": len(message.cases), "created_at": now}  # fmt: skip
    rows += [
        ReminderLog(**common, channel=c, channel_kind=c.kind)
        for group_channels in routes.unheaded.values()
        for c in group_channels
    ]
    ReminderLog.objects.bulk_create(rows, ignore_conflicts=True)
    queued = list(
        ReminderLog.objects.filter(urging=urging, kind=kind, state=DigestState.QUEUED).values_list("pk", flat=True)
    )
    if queued:
        transaction.on_commit(lambda: hand_on(queued))


def visible_urging(*, user: User, pk: int) -> Urging:
    """An urging its responsible accounts may see, and the reviewing levels
    whose scope holds the urged division; anyone else gets a 404."""
    urging = Urging.objects.select_related("division", "urged_by").filter(pk=pk).first()
    if urging is None:
        raise Http404
    scope = scope_of(user)
    reviews_it = review_level(user) is not None and scope is not None and scope.contains_division(urging.division_id)
    if not (reviews_it or is_responsible(urging=urging, account=user)):
        raise Http404
    return urging


def receive(*, urging: Urging, account: User, way: str) -> bool:
    """Record ``account``'s receipt; only the first counts (and only the
    responsible accounts sign). Returns whether this one was recorded."""
    if not is_responsible(urging=urging, account=account):
        return False
    created = UrgingReceipt.objects.bulk_create(
        [UrgingReceipt(urging=urging, account=account, way=way, received_at=timezone.now())], ignore_conflicts=True
    )
    Notification.objects.for_user(account).unread().filter(key=f"{NotificationKind.URGING}:{urging.pk}").update(
        read_at=timezone.now()
    )
    return bool(created and UrgingReceipt.objects.filter(urging=urging, account=account).exists())


def receive_opened(*, user: User, notifications) -> None:
    """Opening (or marking read) an urging's notification is its receipt."""
    prefix = f"{NotificationKind.URGING}:"
    ids = [int(n.key[len(prefix):]) for n in notifications if n.key.startswith(prefix)]
    for urging in Urging.objects.filter(pk__in=ids):
        receive(urging=urging, account=user, way=ReceiptWay.OPENED)


def escalate_unreceived(*, now: datetime.datetime) -> list[Urging]:
    """Escalate, once, every urging whose receipt deadline passed with no
    receipt, to the bureau of the level above the urged division (a
    county's city bureau, a city's provincial office): a compare-and-swap
    on ``escalated_at`` lets one run do it."""
    received = UrgingReceipt.objects.filter(urging=OuterRef("pk"))
    due = Urging.objects.filter(escalated_at__isnull=True, receipt_due_at__lte=now).exclude(Exists(received))
    escalated = []
    for urging in due.select_related("division").order_by("pk"):
        with transaction.atomic():
            if Urging.objects.filter(pk=urging.pk, escalated_at__isnull=True).update(escalated_at=now) != 1:
                continue  # another run escalated it
            urging.escalated_at = now
            code, accounts = escalation_target(urging.division)
            groups = {("division", code)} if code else set()
            send_about(urging=urging, kind=NotificationKind.ESCALATION, recipients=accounts, groups=groups)
        escalated.append(urging)
    return escalated


class _NoAttachments:
    def all(self):
        return []


@dataclass
class TimelineEntry:
    """An urging, a receipt or an escalation as the case's timeline shows
    it, beside the case's own events."""

    action: str
    heading: str
    created_at: datetime.datetime
    actor: User | None
    note: str = ""
    changed_fields: tuple = ()
    attachments: _NoAttachments = _NoAttachments()


def urging_entries(case: Case) -> list[TimelineEntry]:
    """The case's urgings, receipts and escalations, in two queries."""
    entries = []
    urgings = case.urgings.select_related("urged_by", "division").prefetch_related("receipts__account")
    for urging in urgings:
        entries.append(TimelineEntry("urging", _("Urged (催办)"), urging.created_at, urging.urged_by, urging.note))
        for receipt in urging.receipts.all():
            heading = _("Signed for (签收)") if receipt.way == ReceiptWay.SIGNED else _("Urging opened (签收)")
            entries.append(TimelineEntry("receipt", heading, receipt.received_at, receipt.account))
        if urging.escalated_at:
            note = _("Not signed for by %(due)s.") % {
                "due": timezone.localtime(urging.receipt_due_at).strftime("%Y-%m-%d %H:%M")
            }
            entries.append(TimelineEntry("escalation", _("Urging escalated"), urging.escalated_at, None, note))
    return entries
