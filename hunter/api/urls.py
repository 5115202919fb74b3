"""The API's one URL list, mounted by hunter.urls under ``api/v1/`` and at the legacy paths."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hunter.api import key_views
from hunter.api.versioning import LEGACY, V1

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("leads.api.urls")),
    path("", include("scanning.api.urls")),
    path("admin/api-keys", key_views.APIKeyListView.as_view(), name="api-key-list"),
    path(
        "admin/api-keys/<str:key_id>/activate",
        key_views.APIKeySwitchView.as_view(active=True),
        name="api-key-activate",
    ),
    path(
        "admin/api-keys/<str:key_id>/deactivate",
        key_views.APIKeySwitchView.as_view(active=False),
        name="api-key-deactivate",
    ),
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
