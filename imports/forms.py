from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Campaign


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("A petition batch or a rectification ledger, as .xlsx or .csv (UTF-8 or GBK)."),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.all(), to_field_name="code", empty_label=None
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: only show what would happen"),
        required=False,
        initial=True,
    )
