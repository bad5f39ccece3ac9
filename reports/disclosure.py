"""The public disclosure table of one transfer batch of petitions
(边督边改公开情况一览表): one row per petition of the batch, in 受理编号
order, in the published columns, personal data masked. Published in
Chinese whatever the producer's language."""

import datetime
from dataclasses import dataclass

from django import forms
from django.db.models import Min
from django.utils import translation
from django.utils.translation import pgettext, pgettext_lazy

from cases.constants import Kind, Status
from cases.models import Campaign, Case
from cases.spreadsheet import Column, write_xlsx
from imports.parsing import values as v

from . import documents as doc
from .masking import mask_personal_data

# (header msgid, Excel column width, Word column width in cm). The headers
# have their own context: the published wording differs from the case page's.
COLUMNS = (
    (pgettext_lazy("disclosure", "No."), 6, 1.0),
    (pgettext_lazy("disclosure", "Acceptance number"), 20, 3.0),
    (pgettext_lazy("disclosure", "Summary of the transferred problem"), 48, 6.0),
    (pgettext_lazy("disclosure", "Administrative area"), 16, 2.2),
    (pgettext_lazy("disclosure", "Pollution type"), 10, 1.6),
    (pgettext_lazy("disclosure", "Investigation findings"), 40, 4.6),
    (pgettext_lazy("disclosure", "Veracity"), 8, 1.4),
    (pgettext_lazy("disclosure", "Handling and rectification"), 40, 4.6),
    (pgettext_lazy("disclosure", "Persons held responsible"), 30, 3.3),
)
HANDLED = (Status.PENDING_ACCEPTANCE, Status.IN_PUBLICITY, Status.CLOSED)


class DisclosureQuery(forms.Form):
    """The batch asked for: the campaign's code and the batch number."""

    campaign = forms.CharField(label=pgettext_lazy("report", "Campaign"), max_length=64)
    batch = forms.IntegerField(label=pgettext_lazy("report", "Batch"), min_value=1, max_value=32767)

    def clean_campaign(self):
        code = self.cleaned_data["campaign"]
        campaign = Campaign.objects.filter(code=code).first()
        if campaign is None:
            raise forms.ValidationError(pgettext_lazy("report", "There is no campaign with the code “%(code)s”."), params={"code": code})
        return campaign


@dataclass(frozen=True)
class DisclosureTable:
    campaign: Campaign
    batch: int
    transferred_on: datetime.date | None
    rows: list[list]

    @property
    def title(self) -> str:
        return pgettext("report", "%(campaign)s: petitions of batch %(batch)s, handling disclosed") % {
            "campaign": self.campaign.name,
            "batch": self.batch,
        }

    @property
    def filename(self) -> str:
        return f"disclosure-{self.campaign.code}-batch-{self.batch}"

    @property
    def headers(self) -> list[str]:
        return [str(header) for header, _width, _cm in COLUMNS]

    def parameters(self) -> dict:
        return {"campaign": self.campaign.code, "batch": self.batch}


def petition_summary(case: Case) -> str:
    """交办问题基本情况: the title, or the full complaint where the title had
    to be cut (the import keeps the whole text in the description)."""
    if case.title.endswith("…") and case.description.startswith(case.title[:-1]):
        return case.description
    return case.title


def _number(case: Case) -> str:
    return case.acceptance_number or case.reference


def duplicate_note(case: Case) -> str:
    """How a published table marks a repeated petition (重复件) in 调查核实情况:
    the original's 受理编号, and its batch when it is another one."""
    original = case.duplicate_of
    number = _number(original)
    if original.petition_batch and original.petition_batch != case.petition_batch:
        return pgettext("report", "Repeats acceptance number %(number)s of batch %(batch)s (a duplicate petition).") % {
            "number": number,
            "batch": original.petition_batch,
        }
    return pgettext("report", "Repeats acceptance number %(number)s (a duplicate petition).") % {"number": number}


def _row(serial: int, case: Case) -> list:
    handled = case.status in HANDLED
    accountability = v.format_accountability({f: getattr(case, f) for f in v.ACCOUNTABILITY_FIELDS})
    if handled and not accountability:
        accountability = pgettext("report", "None")
    duplicate = case.duplicate_of_id is not None
    texts = [
        petition_summary(case),
        v.format_region(case.city.name if case.city_id else None, case.county_name),
        v.format_pollution_types(case.pollution_types or []),
        case.investigation or ("" if handled or duplicate else pgettext("report", "Being investigated")),
        v.format_veracity(case.veracity),
        case.handling or ("" if handled or duplicate else pgettext("report", "Being handled")),
        accountability,
    ]
    texts = [mask_personal_data(text) for text in texts]
    if duplicate:
        # A repeated petition is handled with its original: the note (not
        # masked: it holds only the original's number) leads its findings.
        texts[3] = " ".join(filter(None, [duplicate_note(case), texts[3]]))
        texts[5] = texts[5] or pgettext("report", "See acceptance number %(number)s.") % {"number": _number(case.duplicate_of)}
    return [serial, case.acceptance_number, *texts]


def disclosure_table(*, user, campaign: Campaign, batch: int) -> DisclosureTable | None:
    """The batch's table over the petitions ``user`` may see; None when the
    batch holds none."""
    petitions = (
        Case.objects.for_user(user)
        .filter(kind=Kind.PETITION, campaign=campaign, petition_batch=batch)
        .select_related("city", "division", "duplicate_of")
        .order_by("acceptance_number", "id")
    )
    # The cells are published text: in Chinese, like the data they hold.
    with translation.override("zh-hans"):
        rows = [_row(serial, case) for serial, case in enumerate(petitions, start=1)]
    if not rows:
        return None
    transferred_on = petitions.aggregate(first=Min("transferred_on"))["first"]
    return DisclosureTable(campaign=campaign, batch=batch, transferred_on=transferred_on, rows=rows)


def disclosure_xlsx(table: DisclosureTable):
    """The workbook, as a temporary file positioned at its start."""

    def fill(book):
        columns = [Column(header, width) for header, (_msgid, width, _cm) in zip(table.headers, COLUMNS, strict=True)]
        sheet = book.add_sheet(pgettext("report", "Disclosure"), columns, heading=table.title)
        for row in table.rows:
            sheet.append(row)

    with translation.override("zh-hans"):
        return write_xlsx(fill)


def disclosure_docx(table: DisclosureTable):
    document = doc.new_document(landscape=True)
    with translation.override("zh-hans"):
        doc.title(document, table.title)
        if table.transferred_on:
            doc.paragraph(
                document,
                pgettext("report", "Transferred on %(date)s") % {"date": f"{table.transferred_on:%Y年%-m月%-d日}"},
                indent=False,
            )
        doc.table(document, table.headers, table.rows, widths_cm=[cm for _m, _w, cm in COLUMNS])
    return doc.document_file(document)
