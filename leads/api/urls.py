"""Lead API routes (mounted twice by hunter.api.urls). Literal paths come before ``<domain>``."""

from django.urls import path

from leads.api import views

urlpatterns = [
    path("leads", views.LeadListView.as_view(), name="lead-list"),
    path("leads/export", views.LeadExportView.as_view(), name="lead-export"),
    path("leads/<str:domain>", views.LeadDetailView.as_view(), name="lead-detail"),
    path(
        "leads/<str:domain>/score-breakdown",
        views.ScoreBreakdownView.as_view(),
        name="lead-score-breakdown",
    ),
    path(
        "leads/<str:domain>/sales-summary",
        views.SalesSummaryView.as_view(),
        name="lead-sales-summary",
    ),
    path("leads/<str:domain>/summary.pdf", views.SummaryPdfView.as_view(), name="lead-summary-pdf"),
    path("leads/<str:domain>/enrich", views.LeadEnrichView.as_view(), name="lead-enrich"),
    path("leads/<str:domain>/notes", views.NotesView.as_view(), name="lead-notes"),
    path(
        "leads/<str:domain>/notes/<int:note_id>",
        views.NoteDetailView.as_view(),
        name="lead-note",
    ),
    path("leads/<str:domain>/tags", views.TagsView.as_view(), name="lead-tags"),
    path("leads/<str:domain>/tags/<int:tag_id>", views.TagDetailView.as_view(), name="lead-tag"),
    path("leads/<str:domain>/favorite", views.FavoriteView.as_view(), name="lead-favorite"),
    path("dashboard", views.DashboardView.as_view(), name="dashboard"),
    path("dashboard/kpis", views.KpiView.as_view(), name="dashboard-kpis"),
    path("alerts", views.AlertListView.as_view(), name="alert-list"),
    path("alerts/config", views.AlertConfigView.as_view(), name="alert-config"),
    path("email/generate", views.EmailGenerateView.as_view(), name="email-generate"),
    path(
        "email/generate-and-validate",
        views.EmailValidateView.as_view(),
        name="email-generate-and-validate",
    ),
]
