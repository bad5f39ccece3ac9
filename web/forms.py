"""Forms of the case page. They only parse and render: the rules (who may,
what is required, which values are known) live in cases.workflow and
cases.services, whose errors are put back next to the field they name."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases import workflow
from cases.constants import ACCOUNTABILITY_FIELDS, Kind, Veracity
from cases.validation import NOTE_TEXT
from cases.errors import InvalidInput
from cases.models import Case

# A select's empty choice says what it means instead of "---------".
VERACITY_CHOICES = [("", _("Not yet stated"))] + Veracity.choices
# The field's one label (是否属实), as the facts and the timeline show it.
VERACITY_LABEL = capfirst(Case._meta.get_field("veracity").verbose_name)


class CaseForm(forms.Form):
    """Carries the version the viewer saw, so that a form filled in on a
    stale page is refused instead of overwriting someone else's change."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def add_service_errors(self, error: InvalidInput) -> None:
        for field, messages in error.errors.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)


class TransitionForm(CaseForm):
    """One form per move the viewer may make. Its fields are prefixed with
    the target status so that several can share a page; the target itself
    is posted unprefixed as ``to``."""

    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, case, to: str, rule, evidence_count: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.action = rule.name
        self.label = rule.label_for(case.kind)
        self.to = to
        self.fields["expected_version"].initial = case.version
        self.prefix = f"t-{to}"
        if rule.name in ("return", "object", "reopen"):
            self.fields["note"].label = _("Reason")
        if rule.needs_note:
            self.fields["note"].widget.attrs["required"] = True
        self.fields["note"].widget.attrs["aria-required"] = "true" if rule.needs_note else "false"
        self.no_evidence = False
        if rule.name == "close":
            # Signing off closes the case for good: asked for explicitly,
            # and plainly when nothing proves the rectification.
            self.no_evidence = evidence_count == 0
            self.fields["confirm"] = forms.BooleanField(
                label=_("Sign off although the case has no evidence")
                if self.no_evidence
                else ngettext(
                    "I have checked the %(count)d evidence file and confirm the sign-off",
                    "I have checked the %(count)d evidence files and confirm the sign-off",
                    evidence_count,
                )
                % {"count": evidence_count},
                error_messages={"required": _("Tick the box to confirm the sign-off.")},
            )
            self.fields["confirm"].widget.attrs["required"] = True
        if workflow.is_acceptance(rule, case) and (standards := workflow.standards_to_tick(case.campaign)):
            # The acceptor ticks the campaign kind's evidence standards (验收标准).
            self.fields["standards"] = forms.MultipleChoiceField(
                label=_("Evidence standards met"),
                choices=[(standard.code, standard.label) for standard in standards],
                required=False,  # the workflow names the ones left unticked
                widget=forms.CheckboxSelectMultiple,
            )
        if case.kind == Kind.PETITION and rule.petition_needs:
            # A petition is submitted with its finding and what was done.
            self.fields["veracity"] = forms.ChoiceField(
                label=VERACITY_LABEL, choices=VERACITY_CHOICES, required=False,
                initial=case.veracity,
            )
            self.fields["handling"] = forms.CharField(
                label=_("Handling and rectification"), required=False, initial=case.handling,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if rule.needs_channel:
            # An objection (异议): when and how it came in; the note is its content.
            self.fields["note"].label = _("Objection")
            self.fields["received_on"] = forms.DateField(
                label=_("Received on"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                help_text=_("Empty: today."),
            )
            self.fields["channel"] = forms.CharField(label=_("Received by"), required=False, max_length=40)


# The facts a city records while it works on a case, by kind.
PROGRESS_FIELDS = {
    Kind.FEEDBACK_PROBLEM: ("progress", "measures"),
    Kind.PROVINCIAL_PROBLEM: ("progress", "measures"),
    Kind.PETITION: ("progress", "investigation", "veracity", "handling", *ACCOUNTABILITY_FIELDS),
    Kind.WARNING_ITEM: ("progress",),
}


class ProgressForm(CaseForm):
    progress = forms.CharField(label=_("Reported progress"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    measures = forms.CharField(label=_("Rectification measures"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    investigation = forms.CharField(label=_("Investigation findings"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    veracity = forms.ChoiceField(label=VERACITY_LABEL, required=False, choices=VERACITY_CHOICES)
    handling = forms.CharField(
        label=_("Handling and rectification"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    prefix = "progress"

    def __init__(self, *args, case, editable: tuple, **kwargs):
        kwargs.setdefault("initial", {})
        super().__init__(*args, **kwargs)
        shown = [f for f in PROGRESS_FIELDS.get(case.kind, ("progress",)) if f in editable]
        for name in list(self.fields):
            if name != "expected_version" and name not in shown:
                del self.fields[name]
        for name in shown:
            if name in ACCOUNTABILITY_FIELDS:
                # The model's own label, bounds and decimal places (问责情况).
                self.fields[name] = Case._meta.get_field(name).formfield()
            self.fields[name].initial = getattr(case, name)
        self.fields["expected_version"].initial = case.version

    def changed_values(self) -> dict:
        """Only the fields shown, as the service expects them."""
        return {name: value for name, value in self.cleaned_data.items() if name != "expected_version"}


class EvidenceForm(CaseForm):
    file = forms.FileField(label=_("Evidence file"))
    note = forms.CharField(label=_("Description"), required=False, max_length=2000)

    prefix = "evidence"

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = case.version


class MilestoneForm(CaseForm):
    """A new yearly target (阶段性目标) of a long-term case."""

    due_on = forms.DateField(label=_("Target date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    target = forms.CharField(label=_("Target"), max_length=NOTE_TEXT, widget=forms.Textarea(attrs={"rows": 2}))

    prefix = "milestone"

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = case.version


class MilestoneDeleteForm(CaseForm):
    """Deletes one target set by mistake (the version the page showed)."""

    prefix = "delete"


class MilestoneMetForm(CaseForm):
    """Marks one target met on a day (today by default), or, empty, not met."""

    met_on = forms.DateField(
        label=_("Met on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    prefix = "met"
