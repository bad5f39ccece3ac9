from django.contrib import admin

from .models import ReportProduction, TrafficLightRule


@admin.register(TrafficLightRule)
class TrafficLightRuleAdmin(admin.ModelAdmin):
    list_display = ("light", "measure", "threshold", "active")
    list_editable = ("threshold", "active")
    list_filter = ("light", "active")


@admin.register(ReportProduction)
class ReportProductionAdmin(admin.ModelAdmin):
    """The record of who produced which report: read only."""

    list_display = ("produced_at", "produced_by", "kind", "format", "parameters", "rows")
    list_filter = ("kind", "format")
    date_hierarchy = "produced_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
