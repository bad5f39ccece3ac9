"""Load more of China's administrative tree than the migration's Jiangxi,
for a deployment that covers other provinces. Idempotent."""

from django.core.management.base import BaseCommand, CommandError

from cases.divisions import load_divisions, reference_rows
from cases.models import City, Division


class Command(BaseCommand):
    help = "Load provinces' divisions (GB/T 2260, cases/data/divisions.csv) and a city row per prefecture."

    def add_arguments(self, parser):
        parser.add_argument("--province", action="append", default=[], help="two-digit prefix, e.g. 42 (repeatable)")
        parser.add_argument("--all", action="store_true", help="every province of the mainland")

    def handle(self, *args, province, all, **options):
        known = {row.code[:2] for row in reference_rows()}
        unknown = sorted(set(province) - known)
        if unknown or not (province or all):
            raise CommandError(f"Give --all or --province with one of: {', '.join(sorted(known))}")
        created = load_divisions(Division, City, provinces=None if all else set(province))
        self.stdout.write(f"created {created} division(s); {Division.objects.count()} in all")
