"""Admin for reference data and a read-mostly view of cases.

Cases are created and changed through the services (API, pages, import),
so that every change bumps the version and writes its event. Here an
administrator can look everything up; status moves go through the workflow
as an admin action, never by editing the field."""

from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from .errors import CaseError
from .models import (
    Attachment, Campaign, Case, CaseEvent, City, Division, EvidenceStandard, Milestone, Objection, Review, Unit,
)  # fmt: skip
from .workflow import MOVES, offered_standards, ticked_for, transition


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "slug")
    search_fields = ("code", "name", "name_en", "slug")


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "kind", "parent")
    list_filter = ("level", "kind")
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "division", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "division__name", "division__code")
    autocomplete_fields = ("division",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "code", "name", "kind", "round", "batch", "year", "accepting_level", "publicity_required",
        "close_after_publicity", "review_days", "standards_required", "allow_acceptance_without_evidence",
    )  # fmt: skip
    list_filter = ("kind", "round", "year")
    search_fields = ("code", "name")
    filter_horizontal = ("cities",)


@admin.register(EvidenceStandard)
class EvidenceStandardAdmin(admin.ModelAdmin):
    list_display = ("campaign_kind", "position", "code", "name", "name_en", "active")
    list_editable = ("position", "name", "name_en", "active")
    list_filter = ("campaign_kind", "active")
    search_fields = ("code", "name", "name_en")


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("version", "created_at", "actor", "action", "from_status", "to_status", "note")
    readonly_fields = fields
    ordering = ("version",)

    def has_add_permission(self, request, obj=None):
        return False


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    can_delete = False
    fields = ("version", "created_at", "level", "reviewer", "result", "opinion", "standards")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ObjectionInline(ReviewInline):
    model = Objection
    fields = ("version", "received_on", "channel", "content", "recorded_by", "created_at")
    readonly_fields = fields


class _EveryMilestoneFormSet(BaseInlineFormSet):
    """The inline's forms find their rows among every milestone: Django
    checks a form's hidden id against the default manager, which leaves
    the removed ones out."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields[self._pk_field.name].queryset = Milestone.all_objects.all()


class MilestoneInline(ReviewInline):
    # Read-only here: the services keep the case's deadline in step with them.
    # The audit view: removed targets too, each marked by when and by whom.
    model = Milestone
    formset = _EveryMilestoneFormSet
    fields = ("due_on", "target", "met_on", "met_by", "note", "removed_at", "removed_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return Milestone.all_objects.select_related("met_by", "removed_by")


def _transition_action(name: str):
    rule = MOVES[name]

    def action(modeladmin, request, queryset):
        # Accepting asks first for the evidence standards met, where the
        # selected cases' campaigns check them (ticked once for the selection).
        ticked = None
        if name in ("publicize", "close"):
            queryset = queryset.select_related("campaign")
            offered = offered_standards({case.campaign for case in queryset})
            if offered and "apply" not in request.POST:
                return TemplateResponse(
                    request, "admin/cases/case/evidence_standards.html",
                    {**modeladmin.admin_site.each_context(request), "title": rule.label, "action": action.__name__,
                     "cases": queryset, "standards": offered, "opts": modeladmin.model._meta},
                )  # fmt: skip
            ticked = request.POST.getlist("standard")
        done, refused = 0, []
        for case in queryset:
            try:
                transition(
                    case=case, action=name, actor=request.user, note=str(_("Changed in the admin")),
                    standards=ticked_for(case.campaign, ticked) if ticked is not None else None,
                )  # fmt: skip
                done += 1
            except CaseError as error:
                refused.append(f"{case.reference}: {error.message}")
        if done:
            modeladmin.message_user(request, _("%(n)d case(s) changed.") % {"n": done}, messages.SUCCESS)
        for line in refused[:20]:
            modeladmin.message_user(request, line, messages.ERROR)

    action.__name__ = f"move_{name}"
    action.short_description = rule.label
    return action


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = (
        "reference", "title", "kind", "division", "status", "review_stage", "deadline_type", "deadline", "version", "updated_at",
    )  # fmt: skip
    list_filter = ("kind", "status", "deadline_type", "campaign", "city")
    list_select_related = ("division", "campaign")
    search_fields = ("reference", "title", "acceptance_number")
    date_hierarchy = "deadline"
    inlines = [EventInline, ReviewInline, ObjectionInline, MilestoneInline]
    actions = [_transition_action(name) for name in ("start", "approve", "publicize", "close")]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        # Every field is read-only: edits go through the services so that
        # the version and the audit trail stay right.
        return [f.name for f in Case._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ("case", "version", "created_at", "actor", "action", "from_status", "to_status")
    list_filter = ("action", "to_status")
    list_select_related = ("case", "actor")
    raw_id_fields = ("case",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in CaseEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "case", "size", "sha256", "uploaded_by", "uploaded_at")
    raw_id_fields = ("case", "event")
    readonly_fields = ("case", "event", "file", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
