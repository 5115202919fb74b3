"""The scanning pages, under /app/ beside the lead pages."""

from django.urls import path

from scanning import views

app_name = "scanning"

urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<uuid:public_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:public_id>/progress/", views.job_progress, name="job-progress"),
    path("scan/", views.scan, name="scan"),
    path("scan/<uuid:public_id>/result/", views.scan_result, name="scan-result"),
    path("leads/<str:domain>/rescan/", views.rescan, name="rescan"),
]
