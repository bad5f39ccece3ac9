from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("", views.index, name="index"),
    path("open/", views.open_round, name="open"),
    path("<int:pk>/", views.round_page, name="round"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/no-change/", views.report_no_change, name="no_change"),
    path("<int:pk>/urge/", views.urge, name="urge"),
    path("<int:pk>/edit/", views.edit_round, name="edit"),
    path("<int:pk>/close/", views.close_round, name="close"),
]
