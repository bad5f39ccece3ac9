"""python manage.py open_rounds

Open the recurring dispatch rounds that are due, as beat does (for a site
without a broker, from cron). Safe to run twice."""

from django.core.management.base import BaseCommand

from dispatch.schedule import open_due_rounds


class Command(BaseCommand):
    help = "Open the recurring dispatch rounds whose templates say they are due (idempotent)."

    def handle(self, *args, **options):
        opened = open_due_rounds()
        for round in opened:
            self.stdout.write(f"opened {round.name} (cutoff {round.cutoff_at:%Y-%m-%d %H:%M %Z})")
        if not opened:
            self.stdout.write("no round is due")
