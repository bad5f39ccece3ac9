from django.urls import path

from . import api_views, views

app_name = "imports"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/apply/", views.job_apply, name="job_apply"),
    path("ledger.xlsx", views.ledger_export, name="ledger"),
    path("api/jobs/", api_views.ImportJobListView.as_view(), name="api_jobs"),
    path("api/jobs/<int:pk>/", api_views.ImportJobDetailView.as_view(), name="api_job"),
    path("api/jobs/<int:pk>/apply/", api_views.ImportJobApplyView.as_view(), name="api_job_apply"),
]
