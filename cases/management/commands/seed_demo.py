"""Load the demo: campaigns, synthetic cases reproducing the seed's
figures, and demo accounts. Running it again changes nothing."""

import datetime
from types import SimpleNamespace

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count

from accounts.models import User
from cases.constants import CampaignKind, EventAction, Status
from cases.models import Campaign, Case, CaseEvent, City, EvidenceStandard, Objection, Review
from cases.querysets import local_today
from cases.reference import ensure_cities, ensure_evidence_standards
from cases.workflow import Step, is_acceptance, moved, review_chain, rule_for, signed_rows, standards_to_tick, waiting_at
from cases.writes import event_row
from fixtures import demo
from workdays.calendar import WorkCalendar
from fixtures.campaigns import ALL_CITIES, CAMPAIGNS, DEFAULT_PASSWORD, DEMO_ACCOUNTS


class Command(BaseCommand):
    help = "Load the synthetic demo data and demo accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of every demo account")
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, default=None, help="place open deadlines around this date"
        )

    @transaction.atomic
    def handle(self, *args, password, today, **options):
        today = today or local_today()
        ensure_cities(City)
        ensure_evidence_standards(EvidenceStandard, CampaignKind.values)
        campaigns = self.load_campaigns()
        users = self.load_accounts(password)
        officers = {u.city_id: u.username for u in users.values() if u.role == "officer"}
        provincial = [(c["code"], c["cities"]) for c in CAMPAIGNS if c["kind"] == "provincial"]
        created = self.load_cases(demo.build(today, officers, provincial), campaigns, users)
        self.report(created)

    def load_campaigns(self) -> dict[str, Campaign]:
        all_codes = list(City.objects.values_list("code", flat=True))
        campaigns = {}
        for spec in CAMPAIGNS:
            values = {k: v for k, v in spec.items() if k not in ("code", "cities")}
            # The demo's acceptors tick the checklist; it carries no real evidence files.
            values.setdefault("allow_acceptance_without_evidence", True)
            campaign, created = Campaign.objects.get_or_create(code=spec["code"], defaults=values)
            if created:
                campaign.cities.set(all_codes if spec["cities"] == ALL_CITIES else spec["cities"])
            campaigns[campaign.code] = campaign
        return campaigns

    def load_accounts(self, password: str) -> dict[str, User]:
        cities = {c.code: c for c in City.objects.all()}
        users = {}
        for username, role, city_code in DEMO_ACCOUNTS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    role=role,
                    city=cities.get(city_code),
                    email=f"{username}@demo.invalid",
                    can_write=role == "api_client",
                )
                user.set_password(password)
                user.save()
                self.stdout.write(f"created account {username}")
            elif not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
                self.stdout.write(f"reset the password of {username}")
            users[username] = user
        return users

    def load_cases(self, cases: list, campaigns: dict, users: dict) -> int:
        existing = set(Case.objects.values_list("campaign__code", "reference"))
        todo = [c for c in cases if (c.campaign, c.reference) not in existing]
        calendar = WorkCalendar()
        rows = [self.case_row(spec, campaigns, calendar) for spec in todo]
        Case.objects.bulk_create(rows, batch_size=1000)
        events = [
            CaseEvent(
                **event_row(
                    case_id=row.pk,
                    actor_id=users[event.actor].pk if event.actor else None,
                    at=event.at,
                    action=event.action,
                    version=version,
                    from_status=event.from_status,
                    to_status=event.to_status,
                    note=event.note,
                )
            )
            for row, spec in zip(rows, todo)
            for version, event in enumerate(spec.events, start=1)
        ]
        CaseEvent.objects.bulk_create(events, batch_size=2000)
        signed = [
            row
            for case, spec in zip(rows, todo)
            for row in self.signed(case, spec, users, calendar)
        ]
        for model in (Review, Objection):
            model.objects.bulk_create([row for row in signed if isinstance(row, model)], batch_size=2000)
        return len(rows)

    @staticmethod
    def signed(case: Case, spec, users: dict, calendar) -> list:
        """The reviews (and objections) the timeline's moves signed, as
        ``transition`` writes them: one per level that approved, returned,
        put in publicity or closed."""
        walked = SimpleNamespace(
            status=Status.ASSIGNED, review_stage=None, reopened_count=0, campaign=case.campaign, city_id=case.city_id
        )
        rows = []
        ticked = tuple(standard.code for standard in standards_to_tick(case.campaign))
        for version, event in enumerate(spec.events, start=1):
            if event.action != EventAction.TRANSITION:
                continue
            rule = rule_for(event.from_status, event.to_status)
            chain = review_chain(walked)
            step = Step(rule, chain, event.note, {}, standards=ticked if is_acceptance(rule, walked) else ())
            actor = users[event.actor].pk if event.actor else None
            rows += signed_rows(
                step, stage=waiting_at(walked, chain), case_id=case.pk, actor_id=actor, at=event.at, version=version
            )
            vars(walked).update(moved(rule, case=walked, chain=chain, at=event.at, calendar=calendar))
        return rows

    @staticmethod
    def case_row(spec, campaigns: dict, calendar) -> Case:
        """The case as its timeline leaves it: each move's effects (status,
        closing time, reopenings) taken from the workflow, as a walk
        through ``transition`` would write them."""
        case = Case(
            campaign=campaigns[spec.campaign],
            reference=spec.reference,
            kind=spec.kind,
            title=spec.title,
            city_id=spec.city,
            deadline_type=spec.deadline_type,
            deadline=spec.deadline,
            status=Status.ASSIGNED,
            version=len(spec.events),
            created_at=spec.events[0].at,
            updated_at=spec.events[-1].at,
            **spec.facts,
        )
        for event in spec.events:
            if event.action == EventAction.TRANSITION:
                rule = rule_for(event.from_status, event.to_status)
                for field, value in moved(rule, case=case, chain=review_chain(case), at=event.at, calendar=calendar).items():
                    setattr(case, field, value)
        if case.status != spec.status:
            raise AssertionError(f"{spec.reference}: timeline ends in {case.status}, case is {spec.status}")
        return case

    def report(self, created: int) -> None:
        self.stdout.write(f"created {created} demo case(s)" if created else "demo cases already loaded; nothing changed")
        counts = Case.objects.values("kind").annotate(n=Count("id")).order_by("kind")
        for row in counts:
            self.stdout.write(f"  {row['kind']}: {row['n']}")
