"""The reports under /api/v1/reports/ (routed by api/v1/urls.py). Files
come back as attachments; refusals and bad input in the API's one error
shape."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from api.v1.views.base import ApiView
from api.v1.views.cases import ERRORS

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
    OpenApiParameter("campaign", str, required=True, description="Campaign code."),
    OpenApiParameter("batch", int, required=True, description="Batch (批次) of transferred petitions."),
]


class FileView(ApiView):
    """A view answering with a file: a client that asks for the file's
    type in ``Accept`` is served (errors still come as JSON)."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


class Disclosure(FileView):
    """边督边改公开情况一览表 of one batch of petitions, personal data masked.
    Every production is recorded."""

    format = ReportFormat.XLSX
    query_parameters = DISCLOSURE_PARAMETERS

    def get(self, request):
        return attachment(produce.disclosure(user=request.user, query=request.query_params, format=self.format))


class DisclosureXlsx(Disclosure):
    format = ReportFormat.XLSX

    @_file_schema(ReportFormat.XLSX, summary="Disclosure table of a petition batch (Excel)", parameters=DISCLOSURE_PARAMETERS)
    def get(self, request):
        return super().get(request)


class DisclosureDocx(Disclosure):
    format = ReportFormat.DOCX

    @_file_schema(ReportFormat.DOCX, summary="Disclosure table of a petition batch (Word)", parameters=DISCLOSURE_PARAMETERS)
    def get(self, request):
        return super().get(request)


PROGRESS_PARAMETERS = [
    OpenApiParameter("date", OpenApiTypes.DATE, description="The report's date (default today, Asia/Shanghai)."),
    OpenApiParameter("since", OpenApiTypes.DATE, description="Count the changes since this date (default a week before)."),
]


class Progress(FileView):
    """整改进展通报: totals per campaign and batch, cities ranked by
    completion and by overdue cases with their traffic lights, changes
    since an earlier date, the overdue list. Every production is recorded."""

    format = ReportFormat.XLSX
    query_parameters = PROGRESS_PARAMETERS

    def get(self, request):
        return attachment(produce.progress(user=request.user, query=request.query_params, format=self.format))


class ProgressXlsx(Progress):
    format = ReportFormat.XLSX

    @_file_schema(ReportFormat.XLSX, summary="Progress report (Excel)", parameters=PROGRESS_PARAMETERS)
    def get(self, request):
        return super().get(request)


class ProgressDocx(Progress):
    format = ReportFormat.DOCX

    @_file_schema(ReportFormat.DOCX, summary="Progress report as an official notice (Word)", parameters=PROGRESS_PARAMETERS)
    def get(self, request):
        return super().get(request)
