"""The reports under /api/v1/reports/ (routed by api/v1/urls.py). Files
come back as attachments; refusals and bad input in the API's one error
shape."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from api.v1.views.base import ApiView
from api.v1.views.cases import ERRORS, _or_empty

from . import produce
from .models import ReportFormat


def attachment(produced: produce.Produced) -> FileResponse:
    return FileResponse(
        produced.file, as_attachment=True, filename=produced.filename, content_type=produced.content_type
    )


def _file_schema(format: str, *, summary: str, parameters: list):
    return extend_schema(
        summary=summary,
        parameters=parameters,
        responses={(200, produce.CONTENT_TYPES[format]): OpenApiTypes.BINARY, **ERRORS},
    )


DISCLOSURE_PARAMETERS = [
    OpenApiParameter("campaign", {"type": "string", "minLength": 1, "maxLength": 64}, required=True, description="Campaign code."),
    OpenApiParameter(
        "batch",
        {"type": "integer", "minimum": 1, "maximum": 32767},
        required=True,
        description="Batch (批次) of transferred petitions; 404 when the campaign has none in it.",
    ),
]


class FileView(ApiView):
    """A view answering with a file: a client that asks for the file's
    type in ``Accept`` is served (errors still come as JSON)."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


def report_view(name: str, *, produce_with, format: str, parameters: list, summary: str, doc: str) -> type:
    """The view that answers with one report in one format."""

    @_file_schema(format, summary=summary, parameters=parameters)
    def get(self, request):
        return attachment(produce_with(user=request.user, query=request.query_params, format=format))

    return type(name, (FileView,), {"__doc__": doc, "query_parameters": parameters, "get": get})


DISCLOSURE_DOC = """边督边改公开情况一览表 of one batch of petitions, personal data masked.
Every production is recorded."""
DisclosureXlsx = report_view(
    "DisclosureXlsx", produce_with=produce.disclosure, format=ReportFormat.XLSX, parameters=DISCLOSURE_PARAMETERS,
    summary="Disclosure table of a petition batch (Excel)", doc=DISCLOSURE_DOC,
)  # fmt: skip
DisclosureDocx = report_view(
    "DisclosureDocx", produce_with=produce.disclosure, format=ReportFormat.DOCX, parameters=DISCLOSURE_PARAMETERS,
    summary="Disclosure table of a petition batch (Word)", doc=DISCLOSURE_DOC,
)  # fmt: skip

PROGRESS_PARAMETERS = [
    OpenApiParameter(
        "date",
        _or_empty({"type": "string", "format": "date"}),
        description="The report's date (default today, Asia/Shanghai); not in the future (400).",
    ),
    OpenApiParameter(
        "since",
        _or_empty({"type": "string", "format": "date"}),
        description="Count the changes since this date (default a week before); before `date` (400).",
    ),
    OpenApiParameter(
        "round",
        {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        description="Instead of dates: a dispatch round (404 when there is none). The report is as at its cutoff's "
        "day and counts the changes since the cutoff of the round before it (same template, else same cadence).",
    ),
]
PROGRESS_DOC = """整改进展通报: totals per campaign and batch, cities ranked by completion
and by overdue cases with their traffic lights, changes since an earlier
date, the overdue list. Every production is recorded."""
ProgressXlsx = report_view(
    "ProgressXlsx", produce_with=produce.progress, format=ReportFormat.XLSX, parameters=PROGRESS_PARAMETERS,
    summary="Progress report (Excel)", doc=PROGRESS_DOC,
)  # fmt: skip
ProgressDocx = report_view(
    "ProgressDocx", produce_with=produce.progress, format=ReportFormat.DOCX, parameters=PROGRESS_PARAMETERS,
    summary="Progress report as an official notice (Word)", doc=PROGRESS_DOC,
)  # fmt: skip
