from django.contrib.auth import views as auth_views
from django.urls import path

from .views import acceptance, auth, case, dashboard, lists, milestones, site

app_name = "web"
urlpatterns = [
    path("", dashboard.home, name="home"),
    path("favicon.ico", site.favicon, name="favicon"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", auth.switch_language, name="language"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("cases/", lists.CaseListView.as_view(), name="case_list"),
    path("cases/export.xlsx", lists.CaseListView.as_view(export="xlsx"), name="case_list_export"),
    path("cases/ledger.xlsx", lists.CaseListView.as_view(export="ledger"), name="case_list_ledger"),
    path("cases/print/", lists.CaseListView.as_view(export="print"), name="case_list_print"),
    path("overdue/", lists.OverdueListView.as_view(), name="overdue"),
    path("overdue/export.xlsx", lists.OverdueListView.as_view(export="xlsx"), name="overdue_export"),
    path("overdue/ledger.xlsx", lists.OverdueListView.as_view(export="ledger"), name="overdue_ledger"),
    path("overdue/print/", lists.OverdueListView.as_view(export="print"), name="overdue_print"),
    path("acceptance/", acceptance.AcceptanceQueueView.as_view(), name="acceptance"),
    path("acceptance/export.xlsx", acceptance.AcceptanceQueueView.as_view(export="xlsx"), name="acceptance_export"),
    path("acceptance/ledger.xlsx", acceptance.AcceptanceQueueView.as_view(export="ledger"), name="acceptance_ledger"),
    path("acceptance/print/", acceptance.AcceptanceQueueView.as_view(export="print"), name="acceptance_print"),
    path("cases/<int:pk>/", case.case_detail, name="case_detail"),
    path("cases/<int:pk>/sign-off/", case.case_sign_off_form, name="case_sign_off_form"),
    path("cases/<int:pk>/sign-off.docx", case.case_sign_off_form, {"docx": True}, name="case_sign_off_docx"),
    path("cases/<int:pk>/transition/", case.case_transition, name="case_transition"),
    path("cases/<int:pk>/progress/", case.case_progress, name="case_progress"),
    path("cases/<int:pk>/evidence/", case.case_evidence, name="case_evidence"),
    path("cases/<int:pk>/milestones/", milestones.case_milestone_add, name="case_milestone_add"),
    path("cases/<int:pk>/milestones/<int:mid>/met/", milestones.case_milestone_met, name="case_milestone_met"),
    path("cases/<int:pk>/milestones/<int:mid>/delete/", milestones.case_milestone_delete, name="case_milestone_delete"),
    path("cases/<int:pk>/evidence/<int:attachment_id>/", case.evidence_download, name="evidence_download"),
]
