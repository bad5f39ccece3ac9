"""Input checks for the write endpoints, and the shapes the OpenAPI schema
documents for the responses (the responses themselves are built from
``.values()`` rows in ``representation``, for speed)."""

from django.core.validators import RegexValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.constants import DeadlineType, Kind, Level, ReviewResult, Status, Veracity
from cases.upsert import MAX_ITEMS
from cases.validation import LONG_TEXT, NOTE_TEXT, PLAIN_TEXT_PATTERN
from cases.workflow import MOVES

# --- input ---


class PlainText(serializers.CharField):
    """Text, as JSON text (not a number that reads as one), without the
    control characters cases.validation refuses: the schema states both."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(PLAIN_TEXT_PATTERN))

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictInteger(serializers.IntegerField):
    """A JSON integer, nothing that merely reads like one ("5", 5.0, true),
    within what the database stores (bigint ids, 1 up by default): what the
    schema promises."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBoolean(serializers.BooleanField):
    """A JSON true or false, nothing that merely reads like one (0, "yes"):
    what the schema promises."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class TransitionInput(serializers.Serializer):
    # Plain text, so the schema has one status enum; the workflow says which moves exist.
    action = serializers.ChoiceField(
        choices=list(MOVES),
        required=False,
        help_text=_("The move to make (preferred over “to”); the case's status and review stage say which are open."),
    )
    to = serializers.CharField(
        required=False,
        help_text=format_lazy(
            _("The status to move the case to, where one move leads there (API v1 clients): {}."), ", ".join(Status.values)
        ),
    )
    note = PlainText(max_length=NOTE_TEXT, default="")
    veracity = serializers.ChoiceField(choices=Veracity.choices, required=False, help_text=_("Petitions, on submit."))
    handling = PlainText(max_length=LONG_TEXT, help_text=_("Petitions, on submit."))
    received_on = serializers.DateField(required=False, help_text=_("Objections: the day it was received (default today)."))
    channel = serializers.CharField(required=False, max_length=40, help_text=_("Objections: how it was received."))
    standards = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_(
            "Acceptance: the evidence standards ticked, as text: their codes (or ids written as text); "
            "all of the sign-off's standards are required."
        ),
    )


class AttachmentInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    note = PlainText(max_length=NOTE_TEXT, default="")


class BulkInput(serializers.Serializer):
    cases = serializers.ListField(
        child=serializers.JSONField(),
        max_length=MAX_ITEMS,
        help_text=_(
            "At most 500 cases, each keyed by campaign code and reference. A deadline may be stated as "
            "deadline_working_days (1 to 365 China working days after transferred_on, the 交办日期) instead of deadline. "
            "An item whose status walk accepts the case carries the evidence standards ticked as standards (a list of codes). "
            "A long-term (长期坚持) case's yearly targets (阶段性目标) are given as milestones, a list of objects "
            "{due_on, target, met_on (optional, null: not met)} that replaces the case's list ([]: none); the case's "
            "deadline becomes the date of the earliest unmet one. A bad list makes the item invalid, naming milestones."
        ),
    )
    note = PlainText(max_length=NOTE_TEXT, default="")
    dry_run = StrictBoolean(required=False, default=False)


class CaseEditInput(serializers.Serializer):
    """Documents PATCH; the service checks each field (and who may edit it)."""

    # null clears the text, as an empty string does.
    progress = PlainText(max_length=LONG_TEXT, allow_null=True)
    measures = PlainText(max_length=LONG_TEXT, allow_null=True)
    handling = PlainText(max_length=LONG_TEXT, allow_null=True)
    division = serializers.CharField(
        required=False, help_text=_("Move the case: a GB/T 2260 code or a name such as 九江市浔阳区 (supervisors).")
    )
    lead_unit = serializers.JSONField(required=False, help_text=_("The lead unit: its id or its name; null for none."))
    cooperating_units = serializers.JSONField(
        required=False, help_text=_("The cooperating units: a list of ids or names (replaces the list).")
    )
    deadline_working_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=365,
        help_text=_(
            "The deadline as a number of China's working days after the transfer date (transferred_on, 交办日期, "
            "given with it or already on the case), instead of deadline: e.g. a petition's 办结时限 (supervisors)."
        ),
    )
    note = PlainText(max_length=NOTE_TEXT, help_text=_("Recorded on the timeline."))


class MilestoneInput(serializers.Serializer):
    due_on = serializers.DateField(help_text=_("The target's date (a yearly target: usually the year's end)."))
    target = PlainText(required=True, allow_blank=False, max_length=NOTE_TEXT, help_text=_("What is to be reached by then."))
    note = PlainText(max_length=NOTE_TEXT)
    met_on = serializers.DateField(required=False, allow_null=True, help_text=_("Already met: on which day (not after today)."))


class MilestoneEditInput(serializers.Serializer):
    due_on = serializers.DateField(required=False)
    target = PlainText(allow_blank=False, max_length=NOTE_TEXT)
    note = PlainText(max_length=NOTE_TEXT)
    met_on = serializers.DateField(
        required=False, allow_null=True, help_text=_("Mark the target met on this day (not after today); null: not met.")
    )


# --- output (documentation) ---


class MilestoneOut(serializers.Serializer):
    id = serializers.IntegerField()
    due_on = serializers.DateField()
    target = serializers.CharField()
    met_on = serializers.DateField(allow_null=True, help_text=_("The day it was marked met; null while unmet."))


class CaseListItem(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    campaign = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    kind_label = serializers.CharField()
    title = serializers.CharField()
    city = serializers.CharField(allow_null=True, help_text=_("GB/T 2260 code; null for province-level cases."))
    city_name = serializers.CharField(allow_null=True)
    division = serializers.CharField(help_text=_("The responsible division's GB/T 2260 code (province, city or county)."))
    division_name = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    deadline_type = serializers.ChoiceField(choices=DeadlineType.choices)
    deadline_type_label = serializers.CharField()
    deadline = serializers.DateField(
        allow_null=True,
        help_text=_(
            "For a long-term case: the date of its next unmet milestone (yearly target, 阶段性目标), "
            "null when none is unmet; it is set by the milestones, not directly."
        ),
    )
    is_overdue = serializers.BooleanField()
    days_overdue = serializers.IntegerField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class CaseDetail(CaseListItem):
    description = serializers.CharField()
    responsible_unit = serializers.CharField(help_text=_("Kept for v1 clients: the lead unit's name."))
    progress = serializers.CharField()
    reopened_count = serializers.IntegerField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    problem_number = serializers.IntegerField(allow_null=True)
    target = serializers.CharField()
    measures = serializers.CharField()
    lead_unit = serializers.CharField(help_text=_("The lead unit's name (empty when none)."))
    lead_unit_id = serializers.IntegerField(allow_null=True)
    cooperating_units = serializers.CharField(help_text=_("The cooperating units' names, separated by 、."))
    cooperating_unit_ids = serializers.ListField(child=serializers.IntegerField())
    acceptance_number = serializers.CharField(allow_null=True)
    petition_batch = serializers.IntegerField(allow_null=True)
    transferred_on = serializers.DateField(allow_null=True)
    district = serializers.CharField()
    pollution_types = serializers.ListField(child=serializers.CharField())
    is_key_case = serializers.BooleanField()
    duplicate_of = serializers.IntegerField(allow_null=True)
    investigation = serializers.CharField()
    veracity = serializers.CharField()
    handling = serializers.CharField()
    ordered_to_rectify = serializers.IntegerField()
    penalty_cases = serializers.IntegerField()
    fines_yuan = serializers.CharField(help_text=_("Decimal, as a string."))
    criminal_cases = serializers.IntegerField()
    detentions = serializers.IntegerField()
    summons = serializers.IntegerField()
    people_held_accountable = serializers.IntegerField()
    film_year = serializers.IntegerField(allow_null=True)
    found_on = serializers.DateField(allow_null=True)
    review_stage = serializers.ChoiceField(
        choices=Level.choices,
        allow_null=True,
        help_text=_("Awaiting acceptance or in publicity: the level the case waits at; otherwise null."),
    )
    publicity_starts_on = serializers.DateField(allow_null=True, help_text=_("The last publicity period, if any."))
    publicity_ends_on = serializers.DateField(
        allow_null=True, help_text=_("Its last day, counted in working days from its start.")
    )
    ready_for_sign_off_on = serializers.DateField(
        allow_null=True,
        help_text=_("In publicity: the day the daily task found its period ended with no objection; null otherwise."),
    )
    milestones = MilestoneOut(
        many=True, help_text=_("Long-term cases: the yearly targets (阶段性目标), by date; empty for other cases.")
    )


class CasePage(serializers.Serializer):
    results = CaseListItem(many=True)
    next = serializers.URLField(allow_null=True)


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class EventOut(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    action = serializers.CharField()
    action_label = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    changes = serializers.JSONField()
    attachments = AttachmentOut(many=True)


class EventList(serializers.Serializer):
    results = EventOut(many=True)


class ReviewOut(serializers.Serializer):
    version = serializers.IntegerField(help_text=_("The case's version the review left (its event's)."))
    level = serializers.ChoiceField(choices=Level.choices)
    reviewer = serializers.CharField(allow_null=True)
    result = serializers.ChoiceField(choices=ReviewResult.choices)
    result_label = serializers.CharField()
    opinion = serializers.CharField()
    standards = serializers.ListField(child=serializers.CharField(), help_text=_("The evidence standards ticked (codes)."))
    created_at = serializers.DateTimeField()


class StandardOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ObjectionOut(serializers.Serializer):
    version = serializers.IntegerField()
    received_on = serializers.DateField()
    channel = serializers.CharField()
    content = serializers.CharField()
    recorded_by = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class ReviewWaitOut(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices, help_text=_("The level the case waits at."))
    arrived_on = serializers.DateField(help_text=_("The day it arrived at that level."))
    working_days = serializers.IntegerField(help_text=_("China's working days waited since, today included."))
    limit = serializers.IntegerField(help_text=_("The campaign's review time limit, in working days."))
    over_limit = serializers.BooleanField()


class SignOffOut(serializers.Serializer):
    chain = serializers.ListField(
        child=serializers.ChoiceField(choices=Level.choices),
        help_text=_("The levels a submission climbs, bottom up; the last one accepts."),
    )
    review_stage = serializers.ChoiceField(choices=Level.choices, allow_null=True)
    actions = serializers.ListField(child=serializers.CharField(), help_text=_("The actions you may take now."))
    standards = StandardOut(many=True, help_text=_("The evidence standards the acceptor ticks on acceptance."))
    evidence_required = serializers.BooleanField(help_text=_("Acceptance needs an evidence file on the case."))
    publicity_ends_on = serializers.DateField(allow_null=True, help_text=_("The last day of its last publicity period."))
    ready_for_sign_off_on = serializers.DateField(
        allow_null=True, help_text=_("Set when its publicity ended with no objection: the accepting level may close it.")
    )
    closes_after_publicity = serializers.BooleanField(
        help_text=_("The campaign closes a case by itself when its publicity ends with no objection.")
    )
    review_wait = ReviewWaitOut(allow_null=True, help_text=_("Awaiting acceptance: how long it has waited at its level."))
    reviews = ReviewOut(many=True)
    objections = ObjectionOut(many=True)


class FeedItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    deleted = serializers.BooleanField()
    left_scope = serializers.BooleanField()
    case = CaseDetail(allow_null=True)


class FeedPageOut(serializers.Serializer):
    results = FeedItemOut(many=True)
    cursor = serializers.CharField()
    has_more = serializers.BooleanField()


class BulkItemOut(serializers.Serializer):
    index = serializers.IntegerField()
    campaign = serializers.CharField(allow_null=True)
    reference = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(choices=["created", "updated", "unchanged", "invalid"])
    id = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    changed_fields = serializers.ListField(child=serializers.CharField())
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class BulkOut(serializers.Serializer):
    dry_run = serializers.BooleanField()
    summary = serializers.DictField(child=serializers.IntegerField())
    results = BulkItemOut(many=True)


class Counts(serializers.Serializer):
    total = serializers.IntegerField()
    closed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    awaiting_acceptance = serializers.IntegerField()
    reopened = serializers.IntegerField()


class KindCounts(Counts):
    kind = serializers.ChoiceField(choices=Kind.choices)
    kind_label = serializers.CharField()


class CityCounts(Counts):
    city = serializers.CharField(allow_null=True)
    city_name = serializers.CharField()


class DivisionCounts(Counts):
    division = serializers.CharField(help_text=_("GB/T 2260 code."))
    division_name = serializers.CharField()
    level = serializers.CharField()
    own = serializers.BooleanField(help_text=_("The row of the division's own cases (at its level), not a child's."))


class StatsOut(serializers.Serializer):
    today = serializers.DateField()
    by_kind = KindCounts(many=True)
    by_city = CityCounts(many=True)
    division = DivisionCounts(required=False, help_text=_("With ?division=: that division's figures."))
    children = DivisionCounts(
        many=True, required=False, help_text=_("With ?division=: one row per child; the rows add up to the division.")
    )


class DivisionOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=["province", "city", "county"])
    kind = serializers.CharField()
    parent = serializers.CharField(allow_null=True)


class UnitOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    division = serializers.CharField()
    kind = serializers.CharField()


class CityOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    slug = serializers.CharField()


class CampaignOut(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    round = serializers.IntegerField(allow_null=True)
    batch = serializers.IntegerField(allow_null=True)
    year = serializers.IntegerField(allow_null=True)
    started_on = serializers.DateField(allow_null=True)
    cities = serializers.ListField(child=serializers.CharField())


class ErrorOut(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    field = serializers.CharField(required=False)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
