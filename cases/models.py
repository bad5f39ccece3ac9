"""The domain model of DESIGN section 2: the administrative divisions and
units, cities, campaigns, cases, their immutable events and evidence."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import (
    WITH_CITY_STATUSES,
    CampaignKind,
    DeadlineType,
    DivisionKind,
    DivisionLevel,
    EventAction,
    Kind,
    Level,
    PollutionType,
    ReviewResult,
    Status,
    UnitKind,
    Veracity,
    status_label,
)
from .divisions import HOME_PROVINCE, in_subtree, significant_digits, subtree_bounds
from .querysets import CaseQuerySet
from .validation import LONG_TEXT, NOTE_TEXT, bounded_text, plain_text
from .units import unit_refusal


def city_code_of(division_code: str | None) -> str | None:
    """The prefecture-level division a division belongs to (itself for a
    city), None for a province: what ``Case.city`` and ``User.city`` hold."""
    if division_code is None or division_code.endswith("0000"):
        return None
    return division_code[:4] + "00"


class Division(models.Model):
    """A node of the administrative tree (行政区划), keyed by its GB/T 2260
    code: a province, a prefecture-level city or a county-level division.
    The code is the stored path (see cases/divisions.py): the subtree of a
    division is a range of codes."""

    code = models.CharField(
        _("GB/T 2260 code"),
        max_length=6,
        primary_key=True,
        validators=[RegexValidator(r"^\d{6}$", _("A GB/T 2260 code has six digits."))],
    )
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=8, choices=DivisionLevel.choices)
    kind = models.CharField(_("kind"), max_length=24, choices=DivisionKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=[v.value for v in DivisionLevel]), name="division_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(level=DivisionLevel.PROVINCE, parent__isnull=True)
                | (~Q(level=DivisionLevel.PROVINCE) & Q(parent__isnull=False)),
                name="division_only_provinces_are_roots",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def bounds(self) -> tuple[str, str]:
        return subtree_bounds(self.code)

    def contains(self, code: str | None) -> bool:
        """Whether ``code`` is this division or one below it."""
        return in_subtree(code, self.code)

    def subtree(self):
        return Division.objects.filter(code__range=self.bounds)

    def clean(self):
        if self.parent_id and not significant_digits(self.code).startswith(significant_digits(self.parent_id)):
            raise ValidationError({"parent": _("A division's code must start with its parent's digits.")})


class Unit(models.Model):
    """A responsible unit (责任单位): a body that rectifies, in a division
    (九江市住房和城乡建设局 in 360400, 浔阳区人民政府 in 360403)."""

    name = models.CharField(_("name"), max_length=200, validators=[plain_text])
    division = models.ForeignKey(Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="units")
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices, default=UnitKind.OTHER)

    class Meta:
        ordering = ["division_id", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="unit_name_unique_in_division"),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in UnitKind]), name="unit_kind_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="unit_name_not_empty"),
        ]

    def __str__(self):
        return self.name


class City(models.Model):
    """A prefecture-level city (设区市), keyed by its GB/T 2260 code."""

    code = models.CharField(_("GB/T 2260 code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    name_en = models.CharField(_("English name"), max_length=64)
    slug = models.SlugField(_("pinyin"), max_length=32, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self):
        return self.name


class Campaign(models.Model):
    """An inspection or warning film that found problems: round, batch and
    year are data, not code."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind.choices)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    round = models.PositiveSmallIntegerField(_("round"), null=True, blank=True)
    batch = models.PositiveSmallIntegerField(_("batch"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    cities = models.ManyToManyField(City, verbose_name=_("cities covered"), blank=True, related_name="campaigns")
    started_on = models.DateField(_("started on"), null=True, blank=True)

    # The sign-off rules of the campaign's problem list (验收销号办法).
    accepting_level = models.CharField(
        _("accepting level"),
        max_length=8,
        choices=[(Level.PROVINCE, Level.PROVINCE.label), (Level.CITY, Level.CITY.label)],
        default=Level.PROVINCE,
        help_text=_("Who accepts and closes a case: the province, or the city where the list delegates it (谁验收谁负责)."),
    )
    publicity_required = models.BooleanField(
        _("publicity required"), default=False, help_text=_("Accepted cases are published before they are closed.")
    )
    publicity_days = models.PositiveSmallIntegerField(
        _("publicity period (working days)"), default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    close_after_publicity = models.BooleanField(
        _("closed automatically after the publicity"),
        default=False,
        help_text=_("A case whose publicity period ends with no objection is closed by the system; otherwise a person closes it."),
    )
    review_days = models.PositiveSmallIntegerField(
        _("review time limit (working days)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("How long a level may take to review a case waiting at it."),
    )
    # Evidence at acceptance (DESIGN section 3): the acceptor ticks the
    # evidence standards of the campaign's kind, and an evidence file is on
    # the case, unless the campaign says otherwise.
    standards_required = models.BooleanField(
        _("evidence standards checked at acceptance"),
        default=True,
        help_text=_("The acceptor must tick every evidence standard of the campaign's kind."),
    )
    allow_acceptance_without_evidence = models.BooleanField(
        _("acceptance without an evidence file allowed"),
        default=False,
        help_text=_("A case may be accepted though no evidence file is attached to it."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in CampaignKind]), name="campaign_kind_valid"
            ),
        ]

    def __str__(self):
        return self.name


class Case(models.Model):
    """One problem or petition to rectify.

    Status only changes through ``cases.workflow.transition``; other fields
    through the services in ``cases.services``. Both bump ``version``.
    """

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(_("reference"), max_length=64, validators=[plain_text])
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=300, validators=[plain_text])
    description = models.TextField(_("description"), blank=True, **bounded_text(LONG_TEXT))
    division = models.ForeignKey(
        Division,
        verbose_name=_("responsible division"),
        on_delete=models.PROTECT,
        related_name="cases",
        help_text=_("The province for province-level cases, a city or a county."),
        # case_division_id_idx (division, id) below serves every lookup by
        # division (equality, a subtree's range, the foreign key's checks).
        db_index=False,
    )
    # Derived from the division on every save (see derive_city), stored so
    # that per-city lists, counts and feeds read one indexed column.
    city = models.ForeignKey(
        City,
        verbose_name=_("responsible city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text=_("Empty for province-level cases."),
    )
    deadline_type = models.CharField(_("deadline type"), max_length=16, choices=DeadlineType.choices)
    # A long-term case has no final deadline: it holds the date of its next
    # unmet milestone (阶段性目标), kept by cases/milestones.py, so that
    # overdue is one rule on one column everywhere.
    deadline = models.DateField(
        _("deadline"),
        null=True,
        blank=True,
        help_text=_("For a long-term case: the date of its next unmet milestone (yearly target), if any."),
    )
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.ASSIGNED)
    progress = models.TextField(_("reported progress"), blank=True, **bounded_text(LONG_TEXT))
    version = models.PositiveIntegerField(_("version"), default=1)
    reopened_count = models.PositiveIntegerField(_("times reopened"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # While awaiting acceptance or in publicity: the level the case waits at.
    # Nullable, so that adding it alters the table in place (on SQLite a
    # rebuilt table would lose the feed and tally triggers).
    review_stage = models.CharField(_("review stage"), max_length=8, choices=Level.choices, null=True, blank=True)
    publicity_starts_on = models.DateField(_("publicity starts on"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("publicity ends on"), null=True, blank=True)
    # Set by the daily task the day after a publicity period ended with no
    # objection (cases.publicity); cleared by the next move.
    ready_for_sign_off_on = models.DateField(_("ready for sign-off on"), null=True, blank=True)

    # Feedback and provincial problems (督察反馈问题 / 省级督察问题).
    problem_number = models.PositiveIntegerField(_("problem number"), null=True, blank=True)
    target = models.TextField(_("rectification target"), blank=True, **bounded_text(LONG_TEXT))
    measures = models.TextField(_("rectification measures"), blank=True, **bounded_text(LONG_TEXT))
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("lead unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="led_cases"
    )
    cooperating_units = models.ManyToManyField(
        Unit, verbose_name=_("cooperating units"), blank=True, related_name="cooperating_cases"
    )

    # Petitions (信访件).
    acceptance_number = models.CharField(
        _("acceptance number"), max_length=32, null=True, blank=True, unique=True, validators=[plain_text]
    )
    petition_batch = models.PositiveSmallIntegerField(_("batch"), null=True, blank=True)
    transferred_on = models.DateField(_("transferred on"), null=True, blank=True)
    # A petition's 行政区域 is its division; this keeps only a place that
    # names no known division (migrated ledgers), never dropped.
    district = models.CharField(_("county-level district"), max_length=64, blank=True, validators=[plain_text])
    pollution_types = models.JSONField(_("pollution types"), default=list, blank=True)
    is_key_case = models.BooleanField(_("key case"), default=False)
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("duplicate of"), on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    investigation = models.TextField(_("investigation findings"), blank=True, **bounded_text(LONG_TEXT))
    veracity = models.CharField(_("veracity"), max_length=16, choices=Veracity.choices, blank=True)
    handling = models.TextField(_("handling and rectification"), blank=True, **bounded_text(LONG_TEXT))
    ordered_to_rectify = models.PositiveIntegerField(_("ordered to rectify"), default=0)
    penalty_cases = models.PositiveIntegerField(_("cases filed for penalty"), default=0)
    fines_yuan = models.DecimalField(
        _("fines (yuan)"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    criminal_cases = models.PositiveIntegerField(_("criminal cases filed"), default=0)
    detentions = models.PositiveIntegerField(_("people detained"), default=0)
    summons = models.PositiveIntegerField(_("summoned for talks"), default=0)
    people_held_accountable = models.PositiveIntegerField(_("people held accountable"), default=0)

    # Warning film problems (警示片问题).
    film_year = models.PositiveSmallIntegerField(_("film year"), null=True, blank=True)
    found_on = models.DateField(_("found on"), null=True, blank=True)

    # Position in the change feed, stamped by a database trigger on every
    # insert and update (see cases/feed.py and migration 0003): on
    # PostgreSQL the writing transaction's id, on SQLite a counter.
    feed_xid = models.BigIntegerField(_("feed position"), null=True, blank=True, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "reference"], name="case_reference_unique_in_campaign"),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in Kind]), name="case_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=[s.value for s in Status]), name="case_status_valid"),
            models.CheckConstraint(
                condition=Q(deadline_type__in=[d.value for d in DeadlineType]), name="case_deadline_type_valid"
            ),
            models.CheckConstraint(
                condition=~Q(deadline_type=DeadlineType.DATED) | Q(deadline__isnull=False),
                name="case_dated_has_deadline",
            ),
            models.CheckConstraint(
                condition=Q(veracity="") | Q(veracity__in=[v.value for v in Veracity]), name="case_veracity_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="case_version_positive"),
            models.CheckConstraint(condition=Q(fines_yuan__gte=0), name="case_fines_not_negative"),
            models.CheckConstraint(condition=~Q(reference=""), name="case_reference_not_empty"),
        ]
        indexes = [
            # Overdue and due-soon lists read only open cases: a partial index
            # keeps them small however many closed cases pile up.
            models.Index(
                fields=["deadline", "id"],
                condition=Q(status__in=[s.value for s in WITH_CITY_STATUSES], withdrawn_at__isnull=True),
                name="case_open_deadline_idx",
            ),
            models.Index(
                fields=["city", "deadline", "id"],
                condition=Q(status__in=[s.value for s in WITH_CITY_STATUSES], withdrawn_at__isnull=True),
                name="case_open_city_deadline_idx",
            ),
            models.Index(fields=["city", "id"], name="case_city_id_idx"),
            models.Index(fields=["status", "id"], name="case_status_id_idx"),
            models.Index(fields=["updated_at", "id"], name="case_updated_idx"),
            # The work list's last segment (cases handed in, latest change
            # first): its deep pages skip tens of thousands of ids in it.
            models.Index(
                fields=["updated_at", "id"],
                condition=~Q(status__in=[s.value for s in WITH_CITY_STATUSES]) & Q(withdrawn_at__isnull=True),
                name="case_handed_in_updated_idx",
            ),
            models.Index(fields=["feed_xid", "id"], name="case_feed_idx"),
            models.Index(fields=["city", "feed_xid", "id"], name="case_city_feed_idx"),
            # The boundary: a division's subtree is a range of division codes.
            models.Index(fields=["division", "id"], name="case_division_id_idx"),
            models.Index(
                fields=["division", "deadline", "id"],
                condition=Q(status__in=[s.value for s in WITH_CITY_STATUSES], withdrawn_at__isnull=True),
                name="case_open_division_idx",
            ),
            models.Index(fields=["division", "feed_xid", "id"], name="case_division_feed_idx"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def county_name(self) -> str:
        """The 行政区域 as a ledger writes it after the city: the county's
        name when the case is a county's, else any place kept as text."""
        if self.district or self.division_id is None or self.division_id.endswith("00"):
            return self.district
        return self.division.name

    def derive_city(self) -> None:
        """Fill the city from the division (and, for callers that still give
        only a city, the division from the city; no city: the province)."""
        if self.division_id is None:
            self.division_id = self.city_id or HOME_PROVINCE
        self.city_id = city_code_of(self.division_id)

    def save(self, *args, **kwargs):
        self.derive_city()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and ("division" in update_fields or "city" in update_fields):
            kwargs["update_fields"] = {*update_fields, "division", "city"}
        super().save(*args, **kwargs)

    # Deadline arithmetic. The queryset methods of the same names are the
    # source of truth for lists; these read one loaded case the same way.
    @property
    def is_with_city(self) -> bool:
        return self.status in WITH_CITY_STATUSES

    def days_overdue_on(self, today: datetime.date) -> int:
        if not self.is_with_city or self.deadline is None or self.deadline >= today:
            return 0
        return (today - self.deadline).days

    def is_overdue_on(self, today: datetime.date) -> bool:
        return self.days_overdue_on(today) > 0

    def is_due_soon_on(self, today: datetime.date) -> bool:
        if not self.is_with_city or self.deadline is None:
            return False
        from .querysets import due_soon_horizon

        return today <= self.deadline < due_soon_horizon(today)

    @property
    def status_display(self) -> str:
        return status_label(self.status, self.kind)

    def clean(self):
        errors = {}
        if self.deadline_type == DeadlineType.DATED and self.deadline is None:
            errors["deadline"] = _("A case with a dated deadline needs a deadline date.")
        if self.deadline_type == DeadlineType.LONG_TERM and self.deadline is not None:
            # Its deadline is its next unmet milestone's date (cases/milestones.py).
            if self.pk is None or self.deadline != next_target_on(self.pk):
                errors["deadline"] = _("A long-term case has no deadline date.")
        unknown = [p for p in self.pollution_types or [] if p not in PollutionType.values]
        if not isinstance(self.pollution_types, list) or unknown:
            errors["pollution_types"] = _("Unknown pollution type: %(value)s") % {"value": ", ".join(map(str, unknown))}
        if self.kind != Kind.PETITION and self.acceptance_number:
            errors["acceptance_number"] = _("Only petitions have an acceptance number.")
        if self.lead_unit_id is not None and self.division_id is not None:
            refusal = unit_refusal(self.lead_unit, self.division_id)
            if refusal:
                errors["lead_unit"] = refusal
        if errors:
            raise ValidationError(errors)


class LiveMilestones(models.Manager):
    """The milestones that count: those not removed. The default manager,
    so ``case.milestones``, its prefetches and every ``Milestone.objects``
    reader (the deadline, overdue, digests, lists, exports, the API) never
    see a removed one; ``Milestone.all_objects`` reaches them for audit."""

    def get_queryset(self):
        return super().get_queryset().filter(removed_at__isnull=True)


class Milestone(models.Model):
    """A yearly target (阶段性目标) of a long-term (长期坚持) case. While it
    is unmet, the earliest one's date is the case's deadline: missed, it
    makes the case overdue like any deadline.

    Never deleted: a target removed (set by mistake, or no longer in a list
    that replaces the case's) keeps its row with ``removed_at`` set, and
    the case's timeline records the removal."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="milestones")
    due_on = models.DateField(_("due on"))
    target = models.TextField(_("target"), **bounded_text(NOTE_TEXT))
    met_on = models.DateField(_("met on"), null=True, blank=True)
    met_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked met by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True, **bounded_text(NOTE_TEXT))
    removed_at = models.DateTimeField(
        _("removed at"), null=True, blank=True, help_text=_("Set when the target was removed; it then no longer counts.")
    )
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # The first manager is the default one, and related managers and
    # prefetches are made from it: removed targets stay hidden from them.
    # Django's base manager (saves, refresh_from_db, a milestone's case) is
    # always a plain one and reaches every row.
    objects = LiveMilestones()
    all_objects = models.Manager()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["case_id", "due_on", "id"]
        indexes = [models.Index(fields=["case", "due_on"], name="milestone_case_due_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(target=""), name="milestone_target_not_empty"),
            models.CheckConstraint(
                condition=Q(met_on__isnull=False) | Q(met_by__isnull=True), name="milestone_met_by_only_when_met"
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=False) | Q(removed_by__isnull=True),
                name="milestone_removed_by_only_when_removed",
            ),
        ]

    def __str__(self):
        return f"{self.due_on} {self.target}"


def next_target_on(case_id: int) -> datetime.date | None:
    """The date of the case's earliest unmet milestone: a long-term case's
    deadline."""
    unmet = Milestone.objects.filter(case_id=case_id, met_on__isnull=True)
    return unmet.order_by("due_on").values_list("due_on", flat=True).first()


class CaseEvent(models.Model):
    """One change to a case: its timeline and the audit trail in one.

    Immutable: rows are only ever inserted."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_events",
        help_text=_("Empty for changes made by the system."),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    action = models.CharField(_("action"), max_length=16, choices=EventAction.choices)
    from_status = models.CharField(_("from status"), max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=24, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True, **bounded_text(NOTE_TEXT))
    changes = models.JSONField(_("changed fields"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("case version after the change"))

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case_id", "version", "id"]
        indexes = [
            # A past date's statuses (reports/progress.py) look up the cases
            # that moved since: a range of recent status changes, read from
            # the index alone, not every event.
            models.Index(
                fields=["created_at", "case"], condition=Q(action=EventAction.TRANSITION), name="event_transition_time_idx"
            ),
            # When a case awaiting acceptance arrived at its level
            # (cases.querysets.arrived_at_level): each queue row's latest
            # move into awaiting acceptance, read from this index alone.
            models.Index(
                fields=["case", "-version"],
                include=["created_at"],
                condition=Q(action=EventAction.TRANSITION, to_status="pending_acceptance"),
                name="event_arrival_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["case", "version"], name="event_one_per_case_version"),
            models.CheckConstraint(
                condition=Q(action__in=[a.value for a in EventAction]), name="event_action_valid"
            ),
        ]

    def __str__(self):
        return f"{self.case_id} v{self.version} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Case events are immutable."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Case events are immutable."))


class CaseScopeExit(models.Model):
    """A case left a division (its responsible division changed) or a unit
    (it was that unit's lead case or cooperating case and no longer is).
    Written by the triggers that stamp the feed, in the same transaction as
    the change, so that the syncing clients of every subtree or unit it
    left learn the case is no longer theirs."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    from_division = models.ForeignKey(Division, null=True, on_delete=models.PROTECT, related_name="+")
    from_unit = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    feed_xid = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["from_division", "feed_xid", "case"], name="scope_exit_division_feed_idx"),
            models.Index(fields=["from_unit", "feed_xid", "case"], name="scope_exit_unit_feed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_division__isnull=False) | Q(from_unit__isnull=False), name="scope_exit_left_something"
            )
        ]

    def __str__(self):
        return f"{self.case_id} left {self.from_division_id or f'unit {self.from_unit_id}'} at v{self.version}"


class CaseTally(models.Model):
    """A signed count of visible (not withdrawn) cases for one (kind,
    division, status), with the division's city: appended by triggers in the same transaction as every insert,
    update and delete of a case (migration 0005); the sum of a key's rows
    is its number of cases. Read and folded by cases.statistics only."""

    kind = models.CharField(max_length=24)
    # No foreign key: a delta row must never wait on, or lock, the city.
    city = models.ForeignKey(City, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    division = models.ForeignKey(
        Division, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    status = models.CharField(max_length=24)
    cases = models.IntegerField()
    reopened = models.IntegerField()

    def __str__(self):
        return f"{self.kind} {self.division_id} {self.status} {self.cases:+d}"


class EvidenceStandard(models.Model):
    """One standard of a campaign kind's acceptance checklist (验收标准),
    which the acceptor ticks; data, editable in the admin."""

    campaign_kind = models.CharField(_("campaign kind"), max_length=16, choices=CampaignKind.choices)
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["campaign_kind", "position", "id"]
        verbose_name = _("evidence standard")
        verbose_name_plural = _("evidence standards")
        constraints = [
            models.UniqueConstraint(fields=["campaign_kind", "code"], name="evidence_standard_code_per_kind"),
        ]

    def __str__(self):
        return self.name

    @property
    def label(self) -> str:
        """The name in the active language (the Chinese name by default)."""
        from django.utils.translation import get_language

        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name


class Review(models.Model):
    """A level's signed opinion on a submitted case: approved and passed up,
    returned, or accepted (put in publicity or closed). Written with the
    move's event, never changed."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="reviews")
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    result = models.CharField(_("result"), max_length=12, choices=ReviewResult.choices)
    opinion = models.TextField(_("opinion"), blank=True, validators=[plain_text])
    # The evidence standards the acceptor ticked (their codes), on acceptance.
    standards = models.JSONField(_("evidence standards ticked"), default=list, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    version = models.PositiveIntegerField(_("case version after the review"))

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["case_id", "version"]
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="review_one_per_case_version")]

    def __str__(self):
        return f"{self.case_id} {self.level} {self.result}"


class Objection(models.Model):
    """An objection (异议) received while a case was in publicity; it
    returned the case to the level that rectifies it."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="objections")
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("channel"), max_length=40, help_text=_("e.g. 电话, 来信, 网络"), validators=[plain_text])
    content = models.TextField(_("content"), validators=[plain_text])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    version = models.PositiveIntegerField(_("case version after the objection"))

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["case_id", "version"]

    def __str__(self):
        return f"{self.case_id} {self.received_on}"


def attachment_path(instance, filename):
    return f"evidence/{instance.case_id}/{instance.sha256[:2]}/{instance.sha256}/{filename}"


class Attachment(models.Model):
    """An evidence file, recorded with the event that attached it."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("event"), on_delete=models.PROTECT, related_name="attachments", null=True, blank=True
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, validators=[plain_text])
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self):
        return self.original_name
