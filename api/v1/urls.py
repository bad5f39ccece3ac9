from django.urls import path

from imports import api_views as imports
from reports import api_views as reports
from notifications import api_views as notifications
from dispatch import api_views as dispatch

from .views import bulk, cases, feed, milestones, reference

urlpatterns = [
    path("cases/", cases.CaseList.as_view(), name="case-list"),
    path("cases/bulk/", bulk.BulkUpsert.as_view(), name="case-bulk"),
    path("cases/<int:pk>/", cases.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<int:pk>/transition/", cases.CaseTransition.as_view(), name="case-transition"),
    path("cases/<int:pk>/events/", cases.CaseEvents.as_view(), name="case-events"),
    path("cases/<int:pk>/sign-off/", cases.CaseSignOff.as_view(), name="case-sign-off"),
    path("cases/<int:pk>/attachments/", cases.CaseAttachments.as_view(), name="case-attachments"),
    path("cases/<int:pk>/milestones/", milestones.CaseMilestones.as_view(), name="case-milestones"),
    path("cases/<int:pk>/milestones/<int:mid>/", milestones.CaseMilestoneDetail.as_view(), name="case-milestone"),
    path("overdue/", cases.OverdueList.as_view(), name="overdue"),
    path("stats/", reference.Stats.as_view(), name="stats"),
    path("cities/", reference.Cities.as_view(), name="cities"),
    path("divisions/", reference.Divisions.as_view(), name="divisions"),
    path("units/", reference.Units.as_view(), name="units"),
    path("campaigns/", reference.Campaigns.as_view(), name="campaigns"),
    path("changes/", feed.Changes.as_view(), name="changes"),
    # Spreadsheet imports: the views live with the rest of the import code.
    path("imports/", imports.ImportJobListView.as_view(), name="import-list"),
    path("imports/<int:pk>/", imports.ImportJobDetailView.as_view(), name="import-detail"),
    path("imports/<int:pk>/apply/", imports.ImportJobApplyView.as_view(), name="import-apply"),
    # Reports (Word and Excel): the views live with the rest of the report code.
    path("reports/disclosure.xlsx", reports.DisclosureXlsx.as_view(), name="report-disclosure-xlsx"),
    path("reports/disclosure.docx", reports.DisclosureDocx.as_view(), name="report-disclosure-docx"),
    path("reports/progress.xlsx", reports.ProgressXlsx.as_view(), name="report-progress-xlsx"),
    path("reports/progress.docx", reports.ProgressDocx.as_view(), name="report-progress-docx"),
    # The caller's notification centre: the views live with the notifications.
    path("notifications/", notifications.NotificationList.as_view(), name="notification-list"),
    path("notifications/read/", notifications.NotificationRead.as_view(), name="notification-read"),
    path("notifications/<int:pk>/", notifications.NotificationDetail.as_view(), name="notification-detail"),
    path("urgings/", notifications.UrgingList.as_view(), name="urging-list"),
    path("urgings/<int:pk>/", notifications.UrgingDetail.as_view(), name="urging-detail"),
    path("urgings/<int:pk>/receipt/", notifications.UrgingReceiptView.as_view(), name="urging-receipt"),
    # Dispatch rounds (调度): the views live with the rest of the dispatch code.
    path("dispatch/rounds/", dispatch.Rounds.as_view(), name="dispatch-round-list"),
    path("dispatch/rounds/<int:pk>/", dispatch.RoundDetail.as_view(), name="dispatch-round-detail"),
    path("dispatch/rounds/<int:pk>/reports/", dispatch.RoundReports.as_view(), name="dispatch-round-reports"),
    path("dispatch/rounds/<int:pk>/urge/", dispatch.RoundUrge.as_view(), name="dispatch-round-urge"),
    path("dispatch/rounds/<int:pk>/close/", dispatch.RoundClose.as_view(), name="dispatch-round-close"),
]
