"""Admin for rounds and their templates. A round is opened through the
service (its cases are snapshotted then); here it can be looked up, and
templates, which beat reads, edited."""

from django.contrib import admin

from .models import Round, RoundChange, RoundTemplate


@admin.register(RoundTemplate)
class RoundTemplateAdmin(admin.ModelAdmin):
    list_display = ("name_pattern", "cadence", "weekday", "day_of_month", "cutoff_days", "cutoff_time", "next_number", "active")
    list_filter = ("cadence", "active")
    filter_horizontal = ("campaigns",)
    autocomplete_fields = ("divisions",)


class RoundChangeInline(admin.TabularInline):
    """The round's history, read only: it is edited and closed on its page
    or through the API, which record each change."""

    model = RoundChange
    fields = readonly_fields = ("at", "action", "actor", "changes", "note")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("name", "cadence", "cutoff_at", "opened_by", "opened_at", "template", "closed_at")
    list_filter = ("cadence",)
    search_fields = ("name",)
    readonly_fields = (
        "name", "cadence", "cutoff_at", "campaigns", "divisions", "template", "period_on", "opened_by", "opened_at",
        "closed_at", "closed_by", "close_reason",
    )  # fmt: skip
    inlines = [RoundChangeInline]

    def has_add_permission(self, request):
        return False  # opened on the dispatch page or by the API, which snapshot its cases

    def has_delete_permission(self, request, obj=None):
        return False
