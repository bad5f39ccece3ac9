"""Admin for rounds and their templates. A round is opened through the
service (its cases are snapshotted then); here it can be looked up, and
templates, which beat reads, edited."""

from django.contrib import admin

from .models import Round, RoundTemplate


@admin.register(RoundTemplate)
class RoundTemplateAdmin(admin.ModelAdmin):
    list_display = ("name_pattern", "cadence", "weekday", "day_of_month", "cutoff_days", "cutoff_time", "next_number", "active")
    list_filter = ("cadence", "active")
    filter_horizontal = ("campaigns",)
    autocomplete_fields = ("divisions",)


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("name", "cadence", "cutoff_at", "opened_by", "opened_at", "template")
    list_filter = ("cadence",)
    search_fields = ("name",)
    readonly_fields = ("name", "cadence", "cutoff_at", "campaigns", "divisions", "template", "period_on", "opened_by", "opened_at")

    def has_add_permission(self, request):
        return False  # opened on the dispatch page or by the API, which snapshot its cases

    def has_delete_permission(self, request, obj=None):
        return False
