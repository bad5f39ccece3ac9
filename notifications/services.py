"""Writes of the notification centre and of channel configuration."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Division, Unit

from .models import WEBHOOK_KEY, Channel, ChannelKind, Notification

PHONE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")


def notify(*, recipient_id: int, kind: str, key: str, title: str, body: str = "", url: str = "",
           cases: list[dict] | None = None) -> None:  # fmt: skip
    """Put a notification in the recipient's centre, once per ``key``:
    writing the same key again (a run repeated, a worker that died after
    writing it) keeps the first."""
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=recipient_id, kind=kind, key=key, title=title[:300], body=body, url=url,
                cases=cases or [], created_at=timezone.now(),
            )
        ],
        ignore_conflicts=True,
    )  # fmt: skip


def mark_read(*, user: User, ids: list[int] | None = None, now: datetime.datetime | None = None) -> int:
    """Mark these of ``user``'s notifications read (all unread with no ids);
    another account's ids change nothing. Returns how many changed."""
    from .urgings import receive_opened

    rows = Notification.objects.for_user(user).unread()
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    marked = list(rows.only("pk", "key"))
    receive_opened(user=user, notifications=marked)  # reading an urging is its receipt
    return Notification.objects.filter(pk__in=[n.pk for n in marked], read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


def validate_channel(*, kind: str, address: str, secret: str = "") -> None:
    """Raise ValidationError naming the field when a channel cannot work."""
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": _("Unknown channel kind “%(kind)s”.") % {"kind": kind}})
    if kind == ChannelKind.EMAIL:
        try:
            EmailValidator()(address)
        except ValidationError:
            raise ValidationError({"address": _("Enter a valid e-mail address.")}) from None
    elif kind == ChannelKind.SMS:
        if not PHONE.match(address.replace(" ", "")):
            raise ValidationError({"address": _("Enter a mainland mobile number of 11 digits, e.g. 13800000000.")})
    else:
        try:
            URLValidator(schemes=["https", "http"])(address)
        except ValidationError:
            raise ValidationError({"address": _("Enter the robot's webhook URL.")}) from None
        param = WEBHOOK_KEY[kind]
        if not parse_qs(urlsplit(address).query).get(param):
            raise ValidationError(
                {"address": _("The webhook URL must carry the robot's %(param)s.") % {"param": param}}
            )
        if kind == ChannelKind.DINGTALK and not secret:
            raise ValidationError({"secret": _("A DingTalk robot needs its signing secret (加签, SEC…).")})
    if secret and kind != ChannelKind.DINGTALK:
        raise ValidationError({"secret": _("Only a DingTalk robot has a signing secret.")})


@transaction.atomic
def add_channel(
    *, user: User | None = None, division: Division | None = None, unit: Unit | None = None,
    kind: str, address: str, secret: str = "", label: str = "",
) -> Channel:  # fmt: skip
    """A channel of an account, or of a division's or a unit's group (exactly one of them)."""
    if sum(owner is not None for owner in (user, division, unit)) != 1:
        raise ValidationError({"user": _("Give exactly one owner: an account, a division or a unit.")})
    address = address.strip()
    validate_channel(kind=kind, address=address, secret=secret)
    try:
        with transaction.atomic():
            return Channel.objects.create(
                user=user, division=division, unit=unit, kind=kind, address=address, secret=secret, label=label
            )
    except IntegrityError:
        raise ValidationError({"address": _("It already has this channel.")}) from None
