"""What a competent first DRF version of the case list looks like: the
textbook classes, the same FilterSet and permission boundary as the product
(``for_user``), and select_related so that it is not an N+1 straw man."""

from rest_framework import pagination, serializers, viewsets

from cases.filters import CaseFilter
from cases.models import Case


class CaseSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="code", read_only=True)
    city_name = serializers.CharField(source="city.name", default=None, read_only=True)
    division_name = serializers.CharField(source="division.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="status_display", read_only=True)
    deadline_type_label = serializers.CharField(source="get_deadline_type_display", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    days_overdue = serializers.IntegerField(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "campaign",
            "kind",
            "kind_label",
            "title",
            "city",
            "city_name",
            "division",
            "division_name",
            "status",
            "status_label",
            "deadline_type",
            "deadline_type_label",
            "deadline",
            "is_overdue",
            "days_overdue",
            "version",
            "created_at",
            "updated_at",
            "closed_at",
        ]


class Pagination(pagination.PageNumberPagination):
    page_size = 50


class CaseViewSet(viewsets.ModelViewSet):
    serializer_class = CaseSerializer
    pagination_class = Pagination
    filterset_class = CaseFilter

    def get_queryset(self):
        return Case.objects.for_user(self.request.user).select_related("campaign", "city", "division").order_by("id")
