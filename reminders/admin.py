from django.contrib import admin

from django.utils.translation import gettext_lazy as _

from .models import ReminderLog
from .outlets import recipient_name


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    """The record of every digest: read-only, since the run writes it."""

    list_display = (
        "digest_on",
        "kind",
        "sent_to",
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
        "found_at_provider",
    )
    list_filter = ("state", "channel_kind", "kind", "digest_on")
    search_fields = ("recipient__username", "email", "subject")
    date_hierarchy = "digest_on"
    list_select_related = ("recipient", "channel__division", "channel__unit")
    # The configured channel is shown by its masked address ("sent to"),
    # never by the row, whose form would hold the robot's key.
    exclude = ("channel",)

    @admin.display(description=_("recipient"))
    def sent_to(self, log):
        """The account, or the division's or unit's group the channel is of."""
        return recipient_name(log)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
