"""The import endpoints for integrating systems and scripts, routed under
/api/v1/imports/ by api/v1/urls.py:

- ``POST imports/`` (multipart: file, campaign, dry_run) starts an import;
  201 with the finished job for a small file, 202 with the queued job for
  a large one (poll its URL), 400 when the file is refused: an import is
  all or nothing, so a file with any invalid row is refused whole, and
  the answer's ``job.rows`` lists those rows with their problems.
- ``GET imports/`` lists recent imports; ``GET imports/<id>/`` shows one with
  its progress and, once done, the per-row report (``?outcome=invalid``
  for only the rows with that outcome).
- ``POST imports/<id>/apply/`` applies the file a finished dry run checked.

Errors have the API's one shape (``code``, ``detail``, ``field``).
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from api.v1.views.base import ApiView
from cases.errors import InvalidInput, RoleNotAllowed

from . import services
from .models import OUTCOMES, ImportJob, JobState

LIST_LIMIT = 50


class ImportRequest(serializers.Serializer):
    file = serializers.FileField(help_text="A petition batch or a rectification ledger (.xlsx or .csv).")
    campaign = serializers.CharField(max_length=64, help_text="Code of the campaign the cases belong to.")
    dry_run = serializers.BooleanField(default=True, help_text="Only report what would happen (the default).")


class ImportProgressOut(serializers.Serializer):
    processed = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class ImportJobOut(serializers.Serializer):
    """The shape of ``job_data`` (documentation only)."""

    id = serializers.IntegerField()
    url = serializers.CharField()
    file = serializers.CharField()
    campaign = serializers.CharField()
    importer = serializers.CharField()
    dry_run = serializers.BooleanField()
    state = serializers.ChoiceField(choices=JobState.choices)
    progress = ImportProgressOut()
    counts = serializers.DictField(child=serializers.IntegerField())
    error = serializers.DictField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    sheets = serializers.ListField(child=serializers.DictField())
    rows = serializers.ListField(child=serializers.DictField(), required=False)


ERRORS = {400: None, 403: None, 404: None}


def job_data(request, job: ImportJob, *, rows: bool) -> dict:
    data = {
        "id": job.pk,
        "url": request.build_absolute_uri(reverse("api:import-detail", args=[job.pk])),
        "file": job.original_name,
        "campaign": job.campaign.code,
        "importer": job.importer.username,
        "dry_run": job.dry_run,
        "state": job.state,
        "progress": {"processed": job.progress, "total": job.total_rows, "percent": job.percent},
        "counts": job.counts(),
        "error": {"code": job.error_code, "detail": job.error} if job.error else None,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "sheets": (job.report or {}).get("sheets", []),
    }
    if rows:
        data["rows"] = (job.report or {}).get("rows", [])
    return data


class ImportApiView(ApiView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not services.may_import(request.user):
            raise RoleNotAllowed(
                _("Only provincial supervisors and the provincial platform import spreadsheets."),
                code="import_not_allowed",
            )

    def job(self, request, pk) -> ImportJob:
        return get_object_or_404(services.jobs_for(request.user), pk=pk)


def _answer(request, job: ImportJob) -> Response:
    if job.state == JobState.FAILED:
        # A file refused for its rows lists them: row, column, cell, value.
        data = job_data(request, job, rows=True)
        data["rows"] = [row for row in data["rows"] if row["outcome"] == "invalid"]
        return Response({"code": job.error_code, "detail": job.error, "job": data}, status=status.HTTP_400_BAD_REQUEST)
    code = status.HTTP_201_CREATED if job.is_finished else status.HTTP_202_ACCEPTED
    return Response(job_data(request, job, rows=True), status=code)


class ImportJobListView(ImportApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: ImportJobOut(many=True), **ERRORS}, summary="Recent spreadsheet imports")
    def get(self, request):
        jobs = services.jobs_for(request.user)[:LIST_LIMIT]
        return Response([job_data(request, job, rows=False) for job in jobs])

    @extend_schema(
        request={"multipart/form-data": ImportRequest},
        responses={201: ImportJobOut, 202: ImportJobOut, **ERRORS},
        summary="Import a petition batch or a ledger (.xlsx or .csv)",
    )
    def post(self, request):
        form = ImportRequest(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        job = services.start_import(
            actor=request.user,
            data=services.read_upload(upload),
            filename=upload.name,
            campaign_code=form.validated_data["campaign"],
            dry_run=form.validated_data["dry_run"],
        )
        return _answer(request, job)


class ImportJobDetailView(ImportApiView):
    query_parameters = [
        OpenApiParameter("outcome", enum=OUTCOMES, required=False, description="Only the rows with this outcome.")
    ]

    @extend_schema(
        parameters=query_parameters,
        responses={200: ImportJobOut, **ERRORS},
        summary="One import: progress and per-row report",
    )
    def get(self, request, pk: int):
        data = job_data(request, self.job(request, pk), rows=True)
        outcome = request.query_params.get("outcome")
        if outcome is not None:
            if outcome not in OUTCOMES:
                raise InvalidInput(
                    "outcome", _("Unknown outcome “%(value)s”. Known: %(known)s.")
                    % {"value": outcome, "known": ", ".join(OUTCOMES)},
                )
            data["rows"] = [row for row in data["rows"] if row["outcome"] == outcome]
        return Response(data)


class ImportJobApplyView(ImportApiView):
    @extend_schema(request=None, responses={201: ImportJobOut, 202: ImportJobOut, **ERRORS}, summary="Apply a checked dry run")
    def post(self, request, pk: int):
        job = services.apply_dry_run(actor=request.user, job=self.job(request, pk))
        return _answer(request, job)
