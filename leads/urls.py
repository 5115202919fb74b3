"""The lead pages, under /app/ (the unversioned /leads... paths belong to the JSON API)."""

from django.urls import path

from leads import views

app_name = "leads"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("alerts/", views.alerts_page, name="alerts"),
    path("leads/", views.lead_list_page, name="list"),
    path("leads/export.<str:fmt>", views.lead_export, name="export"),
    path("leads/<slug:segment_slug>/", views.lead_list_page, name="segment"),
    path("leads/<str:domain>/summary.pdf", views.lead_summary_pdf, name="summary-pdf"),
    path("leads/<str:domain>/", views.lead_detail, name="detail"),
]
