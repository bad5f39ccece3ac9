from django.urls import path

from . import api_views as api

urlpatterns = [
    path("disclosure.xlsx", api.DisclosureXlsx.as_view(), name="report-disclosure-xlsx"),
    path("disclosure.docx", api.DisclosureDocx.as_view(), name="report-disclosure-docx"),
    path("progress.xlsx", api.ProgressXlsx.as_view(), name="report-progress-xlsx"),
    path("progress.docx", api.ProgressDocx.as_view(), name="report-progress-docx"),
]
