from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("disclosure/", views.disclosure_page, name="disclosure"),
    path("progress/", views.progress_page, name="progress"),
]
