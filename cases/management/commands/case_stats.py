"""Print per kind: total, closed, overdue and awaiting acceptance."""

import json

from django.core.management.base import BaseCommand

from cases.constants import Kind
from cases.models import Case
from cases.querysets import kind_statistics

COLUMNS = ("total", "closed", "overdue", "awaiting_acceptance")


class Command(BaseCommand):
    help = "Per kind: total, closed, overdue and awaiting acceptance (today in Asia/Shanghai)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object keyed by kind")

    def handle(self, *args, **options):
        stats = kind_statistics(Case.objects.not_withdrawn())
        figures = {kind: {col: row[col] for col in COLUMNS} for kind, row in stats.items()}
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False))
            return
        self.stdout.write(f"{'kind':<20}" + "".join(f"{c:>21}" for c in COLUMNS) + "  label")
        for kind, row in figures.items():
            self.stdout.write(f"{kind:<20}" + "".join(f"{row[c]:>21}" for c in COLUMNS) + f"  {Kind(kind).label}")
