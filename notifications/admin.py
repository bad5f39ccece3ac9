from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import ROBOTS, CampaignReceiptHours, Channel, Notification, Urging, UrgingReceipt
from .services import validate_channel


class ChannelForm(forms.ModelForm):
    """A robot's webhook (its key) and signing secret are write-only: the
    form shows them empty, and left empty they keep their stored value."""

    address = forms.CharField(
        label=_("address"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("E-mail address, robot webhook URL or mobile number. A robot's webhook is not shown again: leave it empty to keep it."),
    )
    secret = forms.CharField(
        label=_("signing secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("A DingTalk robot's signing secret (SEC…). Not shown again: leave it empty to keep it."),
    )

    class Meta:
        model = Channel
        fields = ["kind", "user", "division", "unit", "label", "address", "secret", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.kind in ROBOTS:
            self.initial["address"] = ""
            self.fields["address"].widget.attrs["placeholder"] = self.instance.masked
        self.initial["secret"] = ""

    def clean(self):
        data = super().clean()
        stored = self.instance
        address = data.get("address") or (stored.address if stored.pk else "")
        secret = data.get("secret") or (stored.secret if stored.pk and data.get("kind") == stored.kind else "")
        if not address:
            raise ValidationError({"address": _("This field is required.")})
        if sum(data.get(owner) is not None for owner in ("user", "division", "unit")) != 1:
            raise ValidationError({"user": _("Give exactly one owner: an account, a division or a unit.")})
        validate_channel(kind=data.get("kind"), address=address, secret=secret)
        data["address"], data["secret"] = address, secret
        return data


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("kind", "owner_name", "label", "shown_address", "is_active", "created_at")
    list_filter = ("kind", "is_active")
    search_fields = ("user__username", "division__code", "division__name", "unit__name", "label")
    list_select_related = ("user", "division", "unit")
    autocomplete_fields = ("user", "division", "unit")

    @admin.display(description=_("address"))
    def shown_address(self, channel):
        return channel.masked

    @admin.display(description=_("owner"))
    def owner_name(self, channel):
        return channel.owner


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_filter = ("kind",)
    search_fields = ("recipient__username", "title")
    list_select_related = ("recipient",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReceiptInline(admin.TabularInline):
    model = UrgingReceipt
    extra = 0
    can_delete = False
    readonly_fields = ("account", "way", "received_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Urging)
class UrgingAdmin(admin.ModelAdmin):
    """Urgings are made on the site (or through the API), not here."""

    list_display = ("created_at", "division", "urged_by", "receipt_due_at", "escalated_at")
    search_fields = ("division__code", "division__name")
    list_select_related = ("division", "urged_by")
    inlines = [ReceiptInline]
    readonly_fields = ("urged_by", "division", "cases", "note", "created_at", "receipt_due_at", "escalated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CampaignReceiptHours)
class CampaignReceiptHoursAdmin(admin.ModelAdmin):
    list_display = ("campaign", "working_hours")
