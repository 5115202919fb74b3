"""Ingest, scan and job API routes (mounted twice by hunter.api.urls).

Literal paths come before parameterised ones: ``scan/bulk/rescan`` must not be read as the
rescan of a domain called "bulk".
"""

from django.urls import path

from scanning.api import views

urlpatterns = [
    path("ingest/domain", views.IngestDomainView.as_view(), name="ingest-domain"),
    path("ingest/csv", views.IngestUploadView.as_view(), name="ingest-csv"),
    path("ingest/webhook", views.IngestWebhookView.as_view(), name="ingest-webhook"),
    path("scan/domain", views.ScanDomainView.as_view(), name="scan-domain"),
    path("scan/bulk", views.BulkScanView.as_view(), name="scan-bulk"),
    path("scan/bulk/rescan", views.BulkRescanView.as_view(), name="scan-bulk-rescan"),
    path("scan/bulk/<uuid:job_id>", views.BulkJobView.as_view(), name="scan-bulk-status"),
    path(
        "scan/bulk/<uuid:job_id>/results",
        views.BulkJobResultsView.as_view(),
        name="scan-bulk-results",
    ),
    path("scan/<str:domain>/rescan", views.RescanDomainView.as_view(), name="scan-rescan"),
    path("jobs/<uuid:job_id>", views.JobView.as_view(), name="job-detail"),
]
