from django.contrib import admin

from .models import ReminderLog


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    """The record of every digest: read-only, since the run writes it."""

    list_display = (
        "digest_on",
        "kind",
        "recipient",
        "channel_kind",
        "email",
        "state",
        "attempts",
        "overdue_count",
        "due_soon_count",
        "escalated_count",
        "acceptance_queue_count",
        "sent_at",
        "last_error",
        "answer",
    )
    list_filter = ("state", "channel_kind", "kind", "digest_on")
    search_fields = ("recipient__username", "email", "subject")
    date_hierarchy = "digest_on"
    list_select_related = ("recipient",)
    # The configured channel is shown by its masked address ("sent to"),
    # never by the row, whose form would hold the robot's key.
    exclude = ("channel",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
