"""python manage.py import_cases FILE --campaign CODE [--dry-run] [--user NAME]

Imports a petition batch or a problem ledger (.xlsx or .csv) in this
process, whatever its size, and prints what happened to each row that did
not stay unchanged (-v0: only the invalid rows; -v2: every row). Exits
with status 1 when the file is refused; an import is all or nothing, so
a file with any invalid row is refused whole, after listing those rows."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from cases.errors import CaseError
from imports import services
from imports.models import JobState


class Command(BaseCommand):
    help = "Import a petition batch or a rectification ledger (.xlsx or .csv) into a campaign."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--campaign", required=True, help="code of the campaign the cases belong to")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; change nothing")
        parser.add_argument(
            "--user",
            help="username of the supervisor recorded as the importer (default: the only active supervisor)",
        )

    def handle(self, *args, file: Path, campaign: str, dry_run: bool, user: str | None, **options):
        actor = self._importer(user)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        try:
            # Run here, not in a worker: an operator at a terminal waits anyway.
            job = services.start_import(
                actor=actor, data=data, filename=file.name, campaign_code=campaign, dry_run=dry_run, background=False
            )
        except CaseError as error:
            raise CommandError(str(error.message)) from None
        # -v0 lists only the invalid rows; by default every row that is not
        # unchanged; -v2 every row. A file refused for its rows lists them.
        verbosity = options["verbosity"]
        only_invalid = verbosity < 1 or job.state == JobState.FAILED
        for row in (job.report or {}).get("rows", []):
            if (row["outcome"] == "unchanged" and verbosity < 2) or (row["outcome"] != "invalid" and only_invalid):
                continue
            where = f"{row['sheet']} row {row['row']}"
            line = f"{where} {row['reference'] or '-'}: {row['outcome']}"
            if row["changed_fields"]:
                line += " (" + ", ".join(row["changed_fields"]) + ")"
            self.stdout.write(line)
            for problem in row["problems"]:
                column = f"{problem['column']} {problem['cell']}".strip()
                self.stdout.write(f"    {column}: {problem['message']}" if column else f"    {problem['message']}")
        if job.state == JobState.FAILED:
            raise CommandError(f"{file.name}: {job.error}")
        verb = "would be" if dry_run else "were"
        counts = ", ".join(f"{count} {outcome}" for outcome, count in job.counts().items())
        self.stdout.write(self.style.SUCCESS(f"Import #{job.pk}: {job.total_rows} rows; {counts} ({verb} applied)."))

    def _importer(self, username: str | None) -> User:
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user “{username}”.")
        else:
            supervisors = list(User.objects.filter(role=Role.SUPERVISOR, is_active=True)[:2])
            if len(supervisors) != 1:
                raise CommandError("Name the importing supervisor with --user USERNAME.")
            actor = supervisors[0]
        if not services.may_import(actor):
            raise CommandError(f"{actor.username} may not import: only provincial supervisors import spreadsheets.")
        return actor
