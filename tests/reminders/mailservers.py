"""E-mail backends that behave like real mail servers on a bad day. Only
the transport is replaced; everything up to the SMTP call is the real code.

Configure with the ``refuse`` fixture below or by setting
``settings.REMINDER_TEST_REFUSE`` to {address: number of refusals}."""

import datetime
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


class ConnectionCountingBackend(RefusingBackend):
    """Records every connection it opens in ``settings.REMINDER_TEST_CONNECTIONS``
    (a list of message counts, one per connection) and, like the SMTP
    backend, sends only over an open connection."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = None

    def open(self):
        if self.connection is not None:
            return False
        settings.REMINDER_TEST_CONNECTIONS.append(0)
        self.connection = len(settings.REMINDER_TEST_CONNECTIONS) - 1
        return True

    def close(self):
        self.connection = None

    def send_messages(self, messages):
        opened_here = self.open()
        try:
            sent = super().send_messages(messages)
            settings.REMINDER_TEST_CONNECTIONS[self.connection] += sent
            return sent
        finally:
            if opened_here:
                self.close()


class SlowBackend(EmailBackend):
    """A mail server that takes ``minutes`` per message on the pinned clock
    and, before the n-th message, runs ``before[n]`` (another worker
    stepping in, say). Configured by ``settings.REMINDER_TEST_SLOW``:
    {"clock": time_machine traveller, "minutes": int, "before": {n: callable}}."""

    def send_messages(self, messages):
        from django.core import mail

        slow = settings.REMINDER_TEST_SLOW
        step_in = slow["before"].pop(len(getattr(mail, "outbox", [])), None)
        if step_in is not None:
            step_in()
        sent = super().send_messages(messages)
        slow["clock"].shift(datetime.timedelta(minutes=slow["minutes"]))
        return sent


class ConnectionKillingBackend(EmailBackend):
    """Accepts each message, then the database server terminates the
    sending worker's connection (``pg_terminate_backend`` from another
    session) before the worker records it. Counts the kills in
    ``settings.REMINDER_TEST_KILLED``."""

    def send_messages(self, messages):
        import psycopg
        from django.db import connection

        sent = super().send_messages(messages)
        pid = connection.connection.info.backend_pid
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        settings.REMINDER_TEST_KILLED += 1
        return sent


class SpoolBackend(EmailBackend):
    """A mail server in another process's reach: each accepted message
    becomes one file in ``settings.REMINDER_TEST_SPOOL`` (written whole,
    then renamed into place: a file there is a message the server
    accepted), after ``settings.REMINDER_TEST_SEND_SECONDS`` of transfer.
    Used by the crash tests, whose workers are separate processes."""

    def send_messages(self, messages):
        import os
        import time
        import uuid
        from pathlib import Path

        spool = Path(settings.REMINDER_TEST_SPOOL)
        for message in messages:
            time.sleep(settings.REMINDER_TEST_SEND_SECONDS)
            name = uuid.uuid4().hex
            partial = spool / f".{name}.tmp"
            partial.write_bytes(message.message().as_bytes())
            os.replace(partial, spool / f"{name}.eml")
        return len(messages)
