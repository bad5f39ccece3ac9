"""The one boundary: what an account may see.

An account bound to a division sees that division's subtree (a city
bureau its counties' cases, a county bureau its county's); bound also to a
unit, it sees the cases its unit leads or cooperates on, inside its
division. ``Case.objects.for_user`` filters by it, and every other reader
(the feed, the counts, the reminders, the pages' choices) asks it rather
than working the rule out again.

The subtree is a range of division codes (cases/divisions.py), served by
the (division, id) index; it is computed from the account's own columns,
so asking costs no query.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from .divisions import in_subtree, subtree_bounds


@dataclass(frozen=True)
class Scope:
    division: str | None  # None: everything (an unbound administrator)
    unit: int | None = None

    @property
    def bounds(self) -> tuple[str, str] | None:
        return subtree_bounds(self.division) if self.division else None

    @property
    def is_county(self) -> bool:
        return self.division is not None and not self.division.endswith("00")

    @property
    def city(self) -> str | None:
        """The city whose cases are all in scope (a city-bound scope), else None."""
        if self.division and self.division.endswith("00") and not self.division.endswith("0000"):
            return self.division
        return None

    def division_q(self, column: str = "division__pk") -> Q:
        """The subtree as a condition on a division-code column."""
        if self.division is None:
            return Q()
        return Q(**{f"{column}__range": self.bounds})

    def case_q(self, via: str | None = None) -> Q:
        """The condition on cases; with ``via``, the same condition on
        another model's foreign key to the case (read through one join, not
        a subquery of the case table)."""
        prefix = f"{via}__" if via else ""
        condition = self.division_q(f"{prefix}division__pk")
        if self.unit is not None:
            from .models import Case

            cooperating = Case.cooperating_units.through.objects.filter(
                case_id=OuterRef(f"{via}_id" if via else "pk"), unit_id=self.unit
            )
            condition &= Q(**{f"{prefix}lead_unit_id": self.unit}) | Exists(cooperating)
        return condition

    def contains_division(self, code: str | None) -> bool:
        return self.division is None or in_subtree(code, self.division)

    def contains(self, case) -> bool:
        """Whether a loaded case is in scope (the same rule as case_q)."""
        if not self.contains_division(case.division_id):
            return False
        if self.unit is None:
            return True
        if case.lead_unit_id == self.unit:
            return True
        return case.cooperating_units.filter(pk=self.unit).exists()

    def divisions(self):
        """The divisions in scope, as a queryset."""
        from .models import Division

        return Division.objects.filter(self.division_q("code"))

    def cities(self):
        """The cities a case in scope can have: all in a province scope, the
        one city a city or county scope lies in."""
        from .models import City, city_code_of

        if self.division is None:
            return City.objects.all()
        own = city_code_of(self.division)
        if own is not None:
            return City.objects.filter(code=own)
        return City.objects.filter(self.division_q("code"))


def scope_of(user) -> Scope | None:
    """The account's scope; None when it may see nothing (anonymous,
    inactive, or bound to nothing)."""
    from accounts.models import Role

    if user is None or not user.is_authenticated or not user.is_active:
        return None
    division = getattr(user, "division_id", None)
    if division is None:
        return Scope(None) if user.role == Role.ADMIN else None
    return Scope(division, getattr(user, "unit_id", None))


def visible_through(user, via: str) -> Q | None:
    """``Case.objects.for_user(user)`` as a condition on another model's
    foreign key ``via`` to the case: the cases in scope, not withdrawn.
    None when ``user`` may see nothing."""
    scope = scope_of(user)
    if scope is None:
        return None
    return scope.case_q(via=via) & Q(**{f"{via}__withdrawn_at__isnull": True})


def scope_cities(user):
    """The cities ``user``'s cases can have (for choices and per-city
    tables); none when the user may see nothing."""
    from .models import City

    scope = scope_of(user)
    return City.objects.none() if scope is None else scope.cities()
