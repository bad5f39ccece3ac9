"""The API alone, mounted where tracker.urls mounts it: the API's tests do
not depend on the other apps' pages loading."""

from django.urls import include, path

urlpatterns = [path("api/", include("api.urls"))]
