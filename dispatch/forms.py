from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Campaign, Division
from cases.divisions import HOME_PROVINCE
from cases.validation import NOTE_TEXT

from .models import Cadence


class RoundForm(forms.Form):
    """Opening a round on the page (the API takes the same fields)."""

    name = forms.CharField(label=_("name"), max_length=64, help_text=_("e.g. 第12期"))
    cadence = forms.ChoiceField(label=_("cadence"), choices=Cadence.choices)
    cutoff = forms.DateTimeField(
        label=_("cutoff"), help_text=_("Asia/Shanghai."), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    campaigns = forms.ModelMultipleChoiceField(
        label=_("campaigns covered"), queryset=Campaign.objects.order_by("code"), required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("None: every campaign."),
    )  # fmt: skip
    divisions = forms.ModelMultipleChoiceField(
        label=_("divisions covered"), required=False, help_text=_("Each with its whole subtree. None: every division."),
        queryset=Division.objects.filter(code__startswith=HOME_PROVINCE[:2]).exclude(code=HOME_PROVINCE).order_by("code"),
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )  # fmt: skip


class ReportForm(forms.Form):
    """One case's report on the page: new progress, or no change."""

    case = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    progress = forms.CharField(label=_("New progress"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    no_change = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if not data.get("no_change") and not (data.get("progress") or "").strip():
            self.add_error("progress", _("Give the new progress, or report no change."))
        return data


class RoundEditForm(forms.Form):
    """Editing an open round on its page: the coverage is sent whole."""

    name = RoundForm.base_fields["name"]
    cutoff = RoundForm.base_fields["cutoff"]
    campaigns = RoundForm.base_fields["campaigns"]
    divisions = RoundForm.base_fields["divisions"]

    @classmethod
    def of(cls, round) -> "RoundEditForm":
        return cls(
            initial={
                "name": round.name,
                "cutoff": timezone.localtime(round.cutoff_at).strftime("%Y-%m-%dT%H:%M"),
                "campaigns": list(round.campaigns.all()),
                "divisions": list(round.divisions.all()),
            },
            auto_id="id_edit_%s",
        )


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for closing"), max_length=NOTE_TEXT, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The round then takes no more reports; the divisions that have not reported stay missing."),
    )  # fmt: skip
