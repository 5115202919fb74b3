"""The API's one URL list, mounted by hunter.urls under ``api/v1/`` and at the legacy paths."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hunter.api.versioning import LEGACY, V1

urlpatterns = [
    path("", include("leads.api.urls")),
    path("", include("scanning.api.urls")),
]

# Unversioned: the description of both trees and the page that renders it.
docs_urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(api_version=V1), name="api-schema"),
    path(
        "api/schema/legacy/",
        SpectacularAPIView.as_view(api_version=LEGACY),
        name="api-schema-legacy",
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
