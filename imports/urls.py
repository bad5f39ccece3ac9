from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/apply/", views.job_apply, name="job_apply"),
    path("ledger.xlsx", views.ledger_export, name="ledger"),
]
