"""The demo's dispatch round: a week-old round over the central
inspection's problems and the warning films' whose cutoff has passed, in
which some divisions reported on time, some late and some not at all, so
that the round's page shows all three. Loaded once (by its name)."""

import datetime

from django.utils import timezone

from accounts.models import Role, User
from cases.constants import Kind
from cases.models import Campaign, city_code_of
from fixtures.campaigns import CENTRAL, WARNING_FILMS

from .models import Cadence, Round, RoundCase
from .services import open_round, report

NAME = "第1期（示例）"


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def reporter_of(division: str, accounts: dict[str, User]) -> User | None:
    """The bureau that reports on a division's cases: its own, else its city's."""
    return accounts.get(division) or accounts.get(city_code_of(division) or "")


def seed_round(*, today: datetime.date, supervisor: User) -> Round | None:
    if Round.objects.filter(name=NAME).exists():
        return None
    opened = _at(today - datetime.timedelta(days=7), 9)
    cutoff = _at(today - datetime.timedelta(days=3), 17)
    round = open_round(
        actor=supervisor, name=NAME, cadence=Cadence.WEEKLY, cutoff_at=cutoff, at=opened,
        campaigns=list(Campaign.objects.filter(code__in=[CENTRAL, WARNING_FILMS])),
    )  # fmt: skip
    accounts = {
        u.division_id: u for u in User.objects.filter(role=Role.OFFICER, unit__isnull=True, is_active=True).order_by("pk")
    }
    by_division: dict[str, list] = {}
    for row in RoundCase.objects.filter(round=round).select_related("case").order_by("case__division_id", "case_id"):
        by_division.setdefault(row.case.division_id, []).append(row.case)
    # In the divisions' order: a third on time, a third late, the rest missing.
    divisions = sorted(by_division)
    for index, division in enumerate(divisions):
        actor = reporter_of(division, accounts)
        if actor is None or index >= 2 * len(divisions) // 3:
            continue
        at = opened + datetime.timedelta(days=1) if index < len(divisions) // 3 else cutoff + datetime.timedelta(hours=20)
        items = [
            {"case": case.pk, "progress": None if n % 2 else f"（合成数据）按整改方案推进，本期完成{'现场核查' if case.kind == Kind.WARNING_ITEM else '阶段任务'}。"}
            for n, case in enumerate(by_division[division])
        ]
        report(round=round, actor=actor, items=items, at=at)
    return round
