from django.urls import path

from . import urging_views, views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read, name="read"),
    path("<int:pk>/", views.notification_open, name="open"),
    path("urge/", urging_views.urge_cases, name="urge"),
    path("urgings/<int:pk>/", urging_views.urging_detail, name="urging"),
]
