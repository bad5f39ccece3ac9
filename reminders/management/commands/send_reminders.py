"""python manage.py send_reminders [--date YYYY-MM-DD] [--dry-run]

The daily reminder run, started by hand or from cron on a site without a
broker. With no REDIS_URL the digests are sent in this process; with one
they are handed to the workers, exactly as the beat schedule does."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from cases.querysets import local_today
from reminders.models import DigestState
from reminders.services import run_reminders
from reminders.tasks import hand_on


REPORTED_STATES = (
    DigestState.SENT,
    DigestState.QUEUED,
    DigestState.RETRYING,
    DigestState.SENDING,
    DigestState.SKIPPED,
    DigestState.FAILED,
)


def parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date: “{value}” is not a date in the form YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Send today's deadline reminders: one digest per officer and supervisor, at most once a day."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to send for (YYYY-MM-DD); default today in Asia/Shanghai.")
        parser.add_argument("--dry-run", action="store_true", help="Show who would get what; send and record nothing.")

    def handle(self, *args, date=None, dry_run=False, **options):
        today = parse_date(date) if date else local_today()
        handed = []

        def dispatch(log_ids):  # not in a transaction: the claimed rows are committed
            handed.append((len(log_ids), hand_on(log_ids)))

        report = run_reminders(today=today, dry_run=dry_run, dispatch=dispatch)
        for line in report.lines:
            digest = line.digest
            # A group no account of which gets it: on the group's channels only.
            to = "(group channels)" if digest.group else digest.email or "(no e-mail)"
            self.stdout.write(
                f"{digest.username:<24} {to:<32} {digest.kind:<9}"
                f" overdue {digest.overdue:>6}  due soon {digest.due_soon:>6}  {self.outcome(line)}"
            )
        self.stdout.write(self.total(report))
        for to_send, reached in handed:
            if reached < to_send:
                self.stdout.write(
                    f"{to_send - reached} digests could not reach the workers (the broker is unreachable):"
                    " they stay queued and the sweep hands them on when the broker is back."
                )

    @staticmethod
    def outcome(line) -> str:
        if line.state is None:
            return "would send" if line.digest.email or line.digest.group else "would skip: no e-mail address"
        text = f"already {line.state}" if line.already_done else line.state
        text = f"{text}: {line.detail}" if line.detail and line.state != DigestState.SENT else text
        # The other channels of the account, e.g. "dingtalk#3 sent, sms#4 retrying".
        others = ", ".join(f"{channel} {state}" for channel, state in line.channels)
        return f"{text}; {others}" if others else text

    @staticmethod
    def total(report) -> str:
        overdue = sum(line.digest.overdue for line in report.lines if line.digest.kind == "city")
        due_soon = sum(line.digest.due_soon for line in report.lines if line.digest.kind == "city")
        head = (
            f"{report.today}: {len(report.lines)} digests"
            f" ({overdue} overdue and {due_soon} due-soon cases in the city digests)"
        )
        if report.dry_run:
            return f"{head}; dry run, nothing sent or recorded."
        counts = ", ".join(f"{report.count(state)} {state}" for state in REPORTED_STATES)
        done_before = sum(1 for line in report.lines if line.already_done)
        return f"{head}: {counts}; {done_before} done by an earlier run."
