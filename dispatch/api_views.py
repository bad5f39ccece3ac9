"""/api/v1/dispatch/: rounds, their per-division status, reports and 催报
(routed by api/v1/urls.py). Each view parses, calls one service or
selector in dispatch/services.py, and renders."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.v1.parsers import StrictJSONParser
from api.v1.serializers import ErrorOut, PlainText, StrictBoolean, StrictInteger
from api.v1.views.base import ApiView
from api.v1.views.cases import ERRORS
from cases.models import Campaign, Division
from cases.validation import NOTE_TEXT
from notifications.api_views import UrgingOut, urging_json

from . import services
from .models import Cadence, Round

MAX_ID = 2**63 - 1
REPORT_STATUSES = ["reported", "late", "missing"]


class Cutoff(serializers.DateTimeField):
    """A date and time; a naive one is Asia/Shanghai time (and making it
    aware near year 1 overflows: a 400, not an error)."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("overflow")


class RoundIn(serializers.Serializer):
    name = PlainText(required=True, allow_blank=False, max_length=64, help_text="e.g. 第12期; unique.")
    cadence = serializers.ChoiceField(choices=Cadence.choices)
    cutoff = Cutoff(
        help_text="ISO 8601; without an offset it is Asia/Shanghai time. After now.",
    )
    campaigns = serializers.ListField(
        child=PlainText(max_length=64), required=False, max_length=100, help_text="Campaign codes; none: every campaign."
    )
    divisions = serializers.ListField(
        child=serializers.RegexField(r"^[0-9]{6}$"), required=False, max_length=200,
        help_text="GB/T 2260 codes, each with its subtree; none: every division.",
    )  # fmt: skip

    def validate_campaigns(self, codes):
        return _known(Campaign, codes, _("Unknown campaign: %(codes)s."))

    def validate_divisions(self, codes):
        return _known(Division, codes, _("Unknown division: %(codes)s."))


class RoundEditIn(serializers.Serializer):
    """Only the fields given change."""

    name = PlainText(required=False, allow_blank=False, max_length=64, help_text="Unique.")
    cutoff = Cutoff(required=False, help_text="ISO 8601; without an offset it is Asia/Shanghai time. Later than now.")
    campaigns = serializers.ListField(
        child=PlainText(max_length=64), required=False, max_length=100,
        help_text="Campaign codes; empty: every campaign. Cases no longer covered leave the round (refused, naming "
        "the field, when one has been reported on); newly covered open cases join it.",
    )  # fmt: skip
    divisions = serializers.ListField(
        child=serializers.RegexField(r"^[0-9]{6}$"), required=False, max_length=200,
        help_text="GB/T 2260 codes, each with its subtree; empty: every division. A division with a report stays covered.",
    )  # fmt: skip

    def validate_campaigns(self, codes):
        return _known(Campaign, codes, _("Unknown campaign: %(codes)s."))

    def validate_divisions(self, codes):
        return _known(Division, codes, _("Unknown division: %(codes)s."))

    def validate(self, data):
        fixed = [name for name in self.initial_data if name not in self.fields]
        if fixed:
            raise serializers.ValidationError({name: [_("This field cannot be changed here.")] for name in fixed})
        if not data:
            raise serializers.ValidationError({"name": [_("Give the name, cutoff, campaigns or divisions to change.")]})
        return data


class RoundCloseIn(serializers.Serializer):
    reason = PlainText(required=True, max_length=NOTE_TEXT, allow_blank=False, help_text="Why the round is closed; shown in its history.")


def _known(model, codes: list[str], unknown_message: str) -> list:
    """The records of these codes, or a 400 naming the unknown ones."""
    found = {record.code: record for record in model.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise serializers.ValidationError(unknown_message % {"codes": ", ".join(unknown)})
    return list(found.values())


class TallyOut(serializers.Serializer):
    code = serializers.CharField(help_text="GB/T 2260 code of the responsible division.")
    name = serializers.CharField()
    cases = serializers.IntegerField(help_text="Cases in the round.")
    on_time = serializers.IntegerField(help_text="Reported by the cutoff.")
    late = serializers.IntegerField(help_text="Reported after the cutoff.")
    missing = serializers.IntegerField(help_text="Not reported.")
    status = serializers.ChoiceField(choices=REPORT_STATUSES, help_text="missing while any case is, else late if any was, else reported.")


class TotalsOut(serializers.Serializer):
    cases = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField()


class RoundOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    cadence = serializers.CharField()
    cutoff = serializers.DateTimeField(help_text="In Asia/Shanghai time.")
    cutoff_passed = serializers.BooleanField(help_text="Whether the cutoff has passed: reports now are marked late.")
    campaigns = serializers.ListField(child=serializers.CharField(), help_text="Codes; empty: every campaign.")
    divisions = serializers.ListField(child=serializers.CharField(), help_text="Codes; empty: every division.")
    template = serializers.IntegerField(allow_null=True, help_text="The template that opened it, if any.")
    opened_by = serializers.CharField(allow_null=True)
    opened_at = serializers.DateTimeField()
    closed = serializers.BooleanField(help_text="Closed by the office: it takes no more reports; the missing stay missing.")
    closed_at = serializers.DateTimeField(allow_null=True, help_text="In Asia/Shanghai time.")
    closed_by = serializers.CharField(allow_null=True)
    close_reason = serializers.CharField(help_text="Empty while open.")
    totals = TotalsOut(help_text="Over the cases the caller may see.")


class RoundChangeOut(serializers.Serializer):
    action = serializers.ChoiceField(choices=["opened", "edited", "closed"])
    at = serializers.DateTimeField(help_text="In Asia/Shanghai time.")
    by = serializers.CharField(allow_null=True, help_text="The account; null for the schedule.")
    changes = serializers.DictField(
        help_text="opened: cases; edited: name and cutoff [from, to], campaigns and divisions {added, removed}, "
        "cases {added, removed}; closed: missing (cases not reported when it closed)."
    )
    note = serializers.CharField(help_text="closed: the reason.")


class RoundDetailOut(RoundOut):
    history = RoundChangeOut(many=True, help_text="Opened, edited and closed, oldest first.")
    divisions_status = TallyOut(many=True, help_text="Per responsible division, the cases the caller may see.")
    cities_status = TallyOut(many=True, help_text="The same rolled up to each city (the province's own cases as the province).")


class RoundList(serializers.Serializer):
    results = RoundOut(many=True)


def _totals(tally) -> dict:
    return {"cases": tally.cases, "on_time": tally.on_time, "late": tally.late, "missing": tally.missing}


def round_json(round: Round, totals) -> dict:
    return {
        "id": round.pk,
        "name": round.name,
        "cadence": round.cadence,
        "cutoff": timezone.localtime(round.cutoff_at),
        "cutoff_passed": round.cutoff_at < timezone.now(),
        "campaigns": [c.code for c in round.campaigns.all()],
        "divisions": [d.code for d in round.divisions.all()],
        "template": round.template_id,
        "opened_by": round.opened_by.username if round.opened_by else None,
        "opened_at": round.opened_at,
        "closed": round.is_closed,
        "closed_at": timezone.localtime(round.closed_at) if round.closed_at else None,
        "closed_by": round.closed_by.username if round.closed_by else None,
        "close_reason": round.close_reason,
        "totals": _totals(totals),
    }


def tally_json(tally) -> dict:
    return {"code": tally.code, "name": tally.name, **_totals(tally), "status": tally.status}


def detail_json(round: Round, user) -> dict:
    status = services.round_status(round, user)
    return round_json(round, status.totals) | {
        "history": [
            {"action": c.action, "at": timezone.localtime(c.at), "by": c.actor.username if c.actor else None, "changes": c.changes, "note": c.note}
            for c in services.history(round)
        ],
        "divisions_status": [tally_json(t) for t in status.divisions],
        "cities_status": [tally_json(t) for t in status.cities],
    }


def visible_round(request, pk: int) -> Round:
    if pk > MAX_ID:
        raise services.CaseNotVisible()
    return services.visible_round(request.user, pk)


class Rounds(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="Dispatch rounds (调度) with a case the caller may see, newest first",
        operation_id="dispatch_rounds_list",
        responses={200: RoundList, **ERRORS},
    )
    def get(self, request):
        rounds = list(services.visible_rounds(request.user).select_related("opened_by", "closed_by").prefetch_related("campaigns", "divisions"))
        totals = services.round_totals(rounds, request.user)
        return Response({"results": [round_json(r, totals[r.pk]) for r in rounds]})

    @extend_schema(
        summary="Open a dispatch round: the provincial office only",
        description="Snapshots the open cases (assigned, in progress, awaiting acceptance, in publicity) "
        "in its campaigns and divisions: they are the cases to report on.",
        operation_id="dispatch_rounds_create",
        request=RoundIn,
        responses={201: RoundDetailOut, **ERRORS},
    )
    def post(self, request):
        services.ensure_may_open(request.user)
        data = RoundIn(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data
        round = services.open_round(
            actor=request.user, name=wanted["name"], cadence=wanted["cadence"], cutoff_at=wanted["cutoff"],
            campaigns=wanted.get("campaigns", []), divisions=wanted.get("divisions", []),
        )  # fmt: skip
        return Response(detail_json(round, request.user), status=201)


class RoundDetail(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="A dispatch round and, per responsible division, its cases reported on time, late and missing",
        operation_id="dispatch_rounds_retrieve",
        responses={200: RoundDetailOut, **ERRORS},
    )
    def get(self, request, pk: int):
        return Response(detail_json(visible_round(request, pk), request.user))

    @extend_schema(
        summary="Edit an open dispatch round's name, cutoff or coverage: the provincial office only",
        description="Only the fields given change; each edit is an entry in the round's history. A closed round "
        "is a 409. Coverage that shrinks removes the cases no longer covered, refused (400 naming the field) when "
        "one of them has been reported on; coverage that grows adds the newly covered cases open now.",
        operation_id="dispatch_rounds_partial_update",
        request=RoundEditIn,
        responses={200: RoundDetailOut, 409: ErrorOut, **ERRORS},
    )
    def patch(self, request, pk: int):
        round = visible_round(request, pk)
        services.ensure_may_open(request.user)
        data = RoundEditIn(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = data.validated_data
        round = services.edit_round(
            round=round, actor=request.user, name=wanted.get("name"), cutoff_at=wanted.get("cutoff"),
            campaigns=wanted.get("campaigns"), divisions=wanted.get("divisions"),
        )  # fmt: skip
        return Response(detail_json(round, request.user))


class RoundClose(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="Close a dispatch round (before or after its cutoff), with a reason: the provincial office only",
        description="A closed round takes no more reports (409) and is not edited or urged; its cases not "
        "reported stay counted as missing. Closing a closed round is a 409.",
        operation_id="dispatch_rounds_close",
        request=RoundCloseIn,
        responses={200: RoundDetailOut, 409: ErrorOut, **ERRORS},
    )
    def post(self, request, pk: int):
        round = visible_round(request, pk)
        services.ensure_may_open(request.user)
        data = RoundCloseIn(data=request.data)
        data.is_valid(raise_exception=True)
        round = services.close_round(round=round, actor=request.user, reason=data.validated_data["reason"])
        return Response(detail_json(round, request.user))


class ReportItemIn(serializers.Serializer):
    case = StrictInteger(help_text="A case of the round the caller may see (else 404).")
    progress = PlainText(max_length=NOTE_TEXT, allow_blank=False, help_text="New progress; or no_change.")
    no_change = StrictBoolean(required=False, help_text="true: nothing new since the last report.")

    def validate(self, data):
        if ("progress" in data) == bool(data.get("no_change")):
            raise serializers.ValidationError({"progress": [_("Give either new progress or no_change: true.")]})
        return data


class ReportsIn(serializers.Serializer):
    reports = serializers.ListField(child=ReportItemIn(), allow_empty=False, max_length=services.MAX_REPORTS)


class ReportedOut(serializers.Serializer):
    case = serializers.IntegerField()
    reported_at = serializers.DateTimeField(help_text="The first report: it decides on time or late.")
    late = serializers.BooleanField()
    event = serializers.IntegerField(help_text="The latest report's event on the case's timeline.")


class ReportsOut(serializers.Serializer):
    results = ReportedOut(many=True)


class RoundReports(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="Report on cases of a round: new progress, or no change",
        description="Each report is an event on the case. After the cutoff it is accepted and marked late; "
        "once the office has closed the round it is refused (409). "
        "Reporting again on a case adds an event; the latest counts. All or nothing.",
        operation_id="dispatch_rounds_report",
        request=ReportsIn,
        responses={200: ReportsOut, 409: ErrorOut, **ERRORS},
    )
    def post(self, request, pk: int):
        round = visible_round(request, pk)
        services.ensure_can_write(request.user)
        data = ReportsIn(data=request.data)
        data.is_valid(raise_exception=True)
        items = [{"case": item["case"], "progress": item.get("progress")} for item in data.validated_data["reports"]]
        rows = services.report(round=round, actor=request.user, items=items)
        return Response(
            {
                "results": [
                    {"case": r.case_id, "reported_at": r.reported_at, "late": r.reported_at > round.cutoff_at, "event": r.report_id}
                    for r in rows
                ]
            }
        )


class RoundUrgeIn(serializers.Serializer):
    note = PlainText(max_length=NOTE_TEXT, help_text="Added to the urging, after the round's name and cutoff.")


class RoundUrge(ApiView):
    parser_classes = [StrictJSONParser]

    @extend_schema(
        summary="催报: urge the divisions with cases not reported in the round (the provincial office only)",
        operation_id="dispatch_rounds_urge",
        request=RoundUrgeIn,
        responses={201: UrgingOut(many=True), 409: ErrorOut, **ERRORS},
    )
    def post(self, request, pk: int):
        round = visible_round(request, pk)
        services.ensure_may_urge(request.user)
        data = RoundUrgeIn(data=request.data)
        data.is_valid(raise_exception=True)
        urgings = services.urge_missing(round=round, actor=request.user, note=data.validated_data.get("note", ""))
        return Response([urging_json(u) for u in urgings], status=201)
