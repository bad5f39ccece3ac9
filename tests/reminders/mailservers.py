"""E-mail backends that behave like real mail servers on a bad day. Only
the transport is replaced; everything up to the SMTP call is the real code.

Configure with the ``refuse`` fixture below or by setting
``settings.REMINDER_TEST_REFUSE`` to {address: number of refusals}."""

import smtplib

from django.conf import settings
from django.core.mail.backends.locmem import EmailBackend


class RefusingBackend(EmailBackend):
    """Refuses mail to the listed addresses a given number of times, then
    delivers it to ``django.core.mail.outbox`` like the locmem backend."""

    def send_messages(self, messages):
        refusals = settings.REMINDER_TEST_REFUSE
        for message in messages:
            for address in message.to:
                if refusals.get(address, 0) > 0:
                    refusals[address] -= 1
                    raise smtplib.SMTPRecipientsRefused({address: (451, b"4.3.0 Mailbox temporarily unavailable")})
        return super().send_messages(messages)


class WorkerKilled(BaseException):
    """What a worker dying mid-run looks like from inside: not an error the
    code may catch, the end of the process."""


class DyingBackend(EmailBackend):
    """Delivers ``settings.REMINDER_TEST_DIE_AFTER`` messages, then the
    process "dies" before the next one reaches the server."""

    def send_messages(self, messages):
        if len(self.outbox()) >= settings.REMINDER_TEST_DIE_AFTER:
            raise WorkerKilled()
        return super().send_messages(messages)

    @staticmethod
    def outbox():
        from django.core import mail

        return mail.outbox
