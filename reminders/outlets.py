"""Sending one reminder on its channel: the account's e-mail or another
address, a DingTalk or WeCom robot, an SMS; and the in-app copies.

``Outlets.send`` returns what to record (where it went, the subject, the
service's answer) or raises: ``ChannelError`` with the service's answer,
or whatever the mail server raised."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications import pacing
from notifications.clients import AliyunSms, ChannelError, robot
from notifications.models import ROBOTS, ChannelKind
from notifications.urgings import UrgingMessage

from .messages import Composer, fit_text
from .models import ReminderLog
from .selectors import CityDigest, ProvinceDigest, group_reader

# The most a robot's text message may hold, in UTF-8 bytes.
MAX_BYTES = {ChannelKind.WECOM: 2048, ChannelKind.DINGTALK: 20000}


@dataclass(frozen=True)
class Sent:
    address: str  # as it may be shown: a robot's webhook without its key
    subject: str
    answer: str = ""
    # An SMS that an earlier attempt had sent: the service listed it, and
    # it was not sent again.
    found_at_provider: bool = False


def address_of(log: ReminderLog) -> str:
    """Where this reminder goes; empty when the account has no e-mail address."""
    if log.channel_id:
        return log.channel.address
    return log.recipient.email


def group_reader_of(channel):
    """Who a group's channel speaks to when no account of the group
    received the message: the group's stand-in (``selectors.group_reader``)."""
    return group_reader(division=channel.division, unit=channel.unit)


def reader_of(log: ReminderLog):
    """The account a reminder is for, or the stand-in of the group whose
    channel got it on its own (no account of the group received it)."""
    if log.recipient_id is None:
        return group_reader_of(log.channel)
    return log.recipient


def recipient_name(log: ReminderLog) -> str:
    """Who it goes to, as a log line or the admin says it: the account, or
    the group whose channel it is."""
    if log.channel_id and log.channel.is_group:
        return str(log.channel.owner)
    return log.recipient.username


def shown_address(log: ReminderLog) -> str:
    """Where it goes, as the admin may show it."""
    return log.channel.masked if log.channel_id else log.recipient.email


class Outlets:
    """The connections of one batch: one mail-server connection, opened
    when the first e-mail goes out, and the SMS client."""

    def __init__(self):
        self.composer = Composer()
        self.mail_server = None
        self.sms = None

    def send(self, *, log: ReminderLog, digest: CityDigest | ProvinceDigest, message_id: str) -> Sent:
        """``message_id``: the same for every sending of one e-mail, so that
        one sent twice reads as one in a mail client."""
        kind = log.channel_kind
        if isinstance(digest, UrgingMessage):
            return self._urging(log, digest, message_id)
        if kind == ChannelKind.EMAIL:
            return self._email(log, digest, message_id)
        if kind in ROBOTS:
            return self._robot(log, digest)
        return self._sms(log, digest)

    def _email(self, log, digest, message_id) -> Sent:
        message = self.composer.compose(digest=digest, recipient=reader_of(log), to=address_of(log))
        message.extra_headers["Message-ID"] = message_id
        self._mail([message])
        return Sent(address=address_of(log), subject=message.subject)

    def _mail(self, messages) -> None:
        if self.mail_server is None:
            self.mail_server = get_connection()
        # Opened here rather than once up front, so that a server that
        # cannot be reached fails each digest's attempt.
        self.mail_server.open()  # a no-op while the connection is up
        self.mail_server.send_messages(messages)

    def _urging(self, log, message: UrgingMessage, message_id) -> Sent:
        """An urging or its escalation: plain text on every channel."""
        with translation.override(reader_of(log).language or settings.LANGUAGE_CODE):
            subject, text = message.subject(), message.text()
            with_link = _("Full list: %(url)s") % {"url": settings.SITE_URL + message.path}
        if log.channel_kind == ChannelKind.EMAIL:
            email = EmailMessage(subject=subject, body=text, to=[address_of(log)], headers={"Message-ID": message_id})
            self._mail([email])
            return Sent(address=address_of(log), subject=subject)
        if log.channel_kind in ROBOTS:
            return self._post(log.channel, subject, text, with_link)
        return self._text(log, subject, settings.ALIYUN_SMS_TEMPLATE_URGING, message.sms_params())

    def _robot(self, log, digest) -> Sent:
        # A group's robot speaks to the group, by its name and in the
        # site's language, not to the account whose digest it goes with.
        reader = group_reader_of(log.channel) if log.channel.is_group else reader_of(log)
        message = self.composer.compose(digest=digest, recipient=reader, to="")
        with translation.override(reader.language or settings.LANGUAGE_CODE):
            with_link = _("Full list: %(url)s") % {"url": settings.SITE_URL + full_list_path(digest)}
        return self._post(log.channel, message.subject, message.body, with_link)

    def _post(self, channel, subject: str, body: str, with_link: str) -> Sent:
        """To a robot: cut to what it takes, at its pace."""
        text = fit_text(f"{subject}\n\n{body}", max_bytes=MAX_BYTES[channel.kind], more=with_link)
        pacing.pace(address=channel.address)
        client = robot(kind=channel.kind, webhook=channel.address, secret=channel.secret)
        try:
            answer = client.send_text(text)
        except ChannelError as error:
            if error.retry_after:
                pacing.hold_off(address=channel.address, seconds=error.retry_after)
            raise
        return Sent(address=channel.masked, subject=subject, answer=answer)

    def _sms_client(self) -> AliyunSms:
        if self.sms is None:
            self.sms = AliyunSms()
        return self.sms

    def _sms(self, log, digest) -> Sent:
        subject = self.composer.subject(digest=digest, recipient=reader_of(log))
        return self._text(log, subject, settings.ALIYUN_SMS_TEMPLATE_DIGEST, sms_params(digest))

    def _text(self, log, subject: str, template: str, params: dict) -> Sent:
        """One SMS, with the row's own id as its OutId. When an earlier
        attempt at this row may have reached the service (its worker died,
        or the answer was lost), the service is asked first whether it has
        a message with that OutId: if so the row is marked sent without
        sending it again. If the question itself fails, nothing is sent and
        the attempt fails (retried later; see the README)."""
        client, phone, out_id = self._sms_client(), log.channel.address, sms_out_id(log)
        if log.attempts > 1:
            found = client.find_sent(phone=phone, out_id=out_id, dates=sms_dates(log))
            if found is not None:
                return Sent(address=phone, subject=subject, answer=found, found_at_provider=True)
        answer = client.send(phone=phone, template_code=template, params=params, out_id=out_id)
        return Sent(address=phone, subject=subject, answer=answer)

    def reset(self) -> None:
        """Close the mail connection: at the end, and after a failure,
        which may have broken it (the next message opens a fresh one)."""
        if self.mail_server is None:
            return
        try:
            self.mail_server.close()
        except Exception:  # a dead connection may fail to say goodbye
            pass
        self.mail_server = None


def sms_out_id(log: ReminderLog) -> str:
    """The OutId of every SMS of one reminder-log row: the same for each
    attempt, so that the service's list tells whether one went out."""
    return f"reminder-{log.pk}"


def sms_dates(log: ReminderLog) -> list[datetime.date]:
    """The Asia/Shanghai days (the service's) on which an earlier attempt
    at this row may have gone out: from the row's creation to today, the
    latest first, at most the 30 the service keeps."""
    first, today = timezone.localdate(log.created_at), timezone.localdate()
    days = min((today - first).days, 29)
    return [today - datetime.timedelta(days=n) for n in range(days + 1)]


def full_list_path(digest: CityDigest | ProvinceDigest) -> str:
    """The list on the site that a digest (or its cut robot text) is about."""
    if isinstance(digest, CityDigest):
        return f"/overdue/?city={digest.city.pk}"
    return "/overdue/"


def listed_cases(digest: CityDigest | ProvinceDigest) -> list[dict]:
    if isinstance(digest, CityDigest):
        sections = (("overdue", digest.overdue), ("due_soon", digest.due_soon))
    else:
        sections = (("escalated", digest.escalations), ("awaiting_acceptance", digest.acceptance_queue))
    return [
        {"id": case.id, "reference": case.reference, "title": case.title, "section": name}
        for name, case_list in sections
        for case in case_list.cases
    ]


def sms_params(digest: CityDigest | ProvinceDigest) -> dict:
    """The digest template's parameters: date, overdue, due_soon."""
    if isinstance(digest, CityDigest):
        overdue, due_soon = digest.overdue.total, digest.due_soon.total
    else:
        overdue, due_soon = digest.overdue_total, digest.due_soon_total
    return {"date": digest.today.isoformat(), "overdue": str(overdue), "due_soon": str(due_soon)}
