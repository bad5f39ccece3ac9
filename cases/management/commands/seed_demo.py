"""Load the demo: campaigns, synthetic cases reproducing the seed's
figures, and demo accounts. Running it again changes nothing."""

import datetime
from types import SimpleNamespace

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from cases.constants import CampaignKind, EventAction, Status, unit_kind_for
from cases.divisions import HOME_PROVINCE, NameIndex, ancestor_line, load_divisions
from cases.models import (
    Campaign, Case, CaseEvent, City, Division, EvidenceStandard, Milestone, Objection, Review, Unit, city_code_of,
)  # fmt: skip
from cases.querysets import local_today
from cases.reference import ensure_cities, ensure_evidence_standards
from cases.units import place_unit
from cases.workflow import MOVES, Step, is_acceptance, moved, review_chain, rule_for, signed_rows, standards_to_tick, waiting_at
from cases.writes import event_row
from dispatch.demo import seed_round
from fixtures import demo
from fixtures.campaigns import ALL_CITIES, CAMPAIGNS, DEFAULT_PASSWORD, DEMO_ACCOUNTS, DEMO_UNIT_ACCOUNTS
from workdays.calendar import WorkCalendar


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
        load_divisions(Division, City, provinces={HOME_PROVINCE[:2]})  # the migration's, if a flush removed them
        ensure_evidence_standards(EvidenceStandard, CampaignKind.values)
        campaigns = self.load_campaigns()
        users = self.load_accounts(password)
        # Each city's own bureau works its cases and reviews its counties' (not a county's account).
        officers = {u.city_id: u.username for u in users.values() if u.role == "officer" and u.division_id == u.city_id}
        provincial = [(c["code"], c["cities"]) for c in CAMPAIGNS if c["kind"] == "provincial"]
        created = self.load_cases(demo.build(today, officers, provincial), campaigns, users)
        self.load_unit_accounts(password)
        if seed_round(today=today, supervisor=users["supervisor"]):
            self.stdout.write("opened a past dispatch round with reports")
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
        users = {}
        for username, role, division in DEMO_ACCOUNTS:
            users[username] = self.account(username, password, role=role, division_id=division or HOME_PROVINCE)
        return users

    def load_unit_accounts(self, password: str) -> None:
        for username, division, unit_name in DEMO_UNIT_ACCOUNTS:
            unit = Unit.objects.get(name=unit_name)
            self.account(username, password, role="officer", division_id=division, unit=unit)

    def account(self, username: str, password: str, **binding) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                email=f"{username}@demo.invalid",
                can_write=binding["role"] == "api_client",
                **binding,
            )
            user.set_password(password)
            user.save()
            self.stdout.write(f"created account {username}")
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"reset the password of {username}")
        return user

    def load_cases(self, cases: list, campaigns: dict, users: dict) -> int:
        existing = set(Case.objects.values_list("campaign__code", "reference"))
        todo = [c for c in cases if (c.campaign, c.reference) not in existing]
        calendar = WorkCalendar()
        places = Places()
        rows = [self.case_row(spec, campaigns, calendar, places) for spec in todo]
        Case.objects.bulk_create(rows, batch_size=1000)
        Case.cooperating_units.through.objects.bulk_create(
            Case.cooperating_units.through(case_id=row.pk, unit_id=places.unit(name, row.division_id))
            for row, spec in zip(rows, todo)
            for name in spec.cooperating_units
        )
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
        Milestone.objects.bulk_create(
            Milestone(
                case_id=row.pk,
                due_on=milestone.due_on,
                target=milestone.target,
                met_on=milestone.met_on,
                met_by_id=users[milestone.met_by].pk if milestone.met_by else None,
            )
            for row, spec in zip(rows, todo)
            for milestone in spec.milestones
        )
        return len(rows)

    @staticmethod
    def signed(case: Case, spec, users: dict, calendar) -> list:
        """The reviews (and objections) the timeline's moves signed, as
        ``transition`` writes them: one per level that approved, returned,
        put in publicity or closed."""
        walked = SimpleNamespace(
            status=Status.ASSIGNED, review_stage=None, reopened_count=0, campaign=case.campaign, division_id=case.division_id
        )
        rows = []
        ticked = tuple(standard.code for standard in standards_to_tick(case.campaign))
        for version, event in enumerate(spec.events, start=1):
            if event.action != EventAction.TRANSITION:
                continue
            rule = demo_rule(event)
            chain = review_chain(walked)
            step = Step(
                rule, chain, event.note, {}, standards=ticked if is_acceptance(rule, walked) else (),
                **({"received_on": timezone.localdate(event.at), "channel": "电话"} if rule.needs_channel else {}),
            )  # fmt: skip
            actor = users[event.actor].pk if event.actor else None
            rows += signed_rows(
                step, stage=waiting_at(walked, chain), case_id=case.pk, actor_id=actor, at=event.at, version=version
            )
            vars(walked).update(moved(rule, case=walked, chain=chain, at=event.at, calendar=calendar))
        return rows

    @staticmethod
    def case_row(spec, campaigns: dict, calendar, places: "Places") -> Case:
        """The case as its timeline leaves it: each move's effects (status,
        closing time, reopenings) taken from the workflow, as a walk
        through ``transition`` would write them."""
        case = Case(
            campaign=campaigns[spec.campaign],
            reference=spec.reference,
            kind=spec.kind,
            title=spec.title,
            division_id=(division := places.division(spec)),
            lead_unit_id=places.unit(spec.lead_unit, division) if spec.lead_unit else None,
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
                rule = demo_rule(event)
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


def demo_rule(event):
    """The move a demo event makes: named, or the one joining its statuses."""
    return MOVES[event.move] if event.move else rule_for(event.from_status, event.to_status)


class Places:
    """The demo's counties and units, by name, into the tree."""

    def __init__(self):
        self.divisions = {d.code: d for d in Division.objects.all()}
        self.index = NameIndex((d.code, d.name, d.parent_id) for d in self.divisions.values())
        self.units = {(u.division_id, u.name): u.pk for u in Unit.objects.all()}

    def division(self, spec) -> str:
        if spec.county:
            (code,) = [c for c in self.index.find(spec.county, within=spec.city) if not c.endswith("00")]
            return code
        return spec.city or HOME_PROVINCE

    def unit(self, name: str, division: str) -> int:
        key = place_unit(name, line=ancestor_line(division, self.divisions), index=self.index)
        if key not in self.units:
            code, full_name = key
            self.units[key] = Unit.objects.create(name=full_name, division_id=code, kind=unit_kind_for(full_name)).pk
        return self.units[key]
