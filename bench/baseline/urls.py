from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import CaseViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")

urlpatterns = [path("api/v1/", include(router.urls))]
