"""Top-level URL configuration: pages, sign-in, language switch, admin, health probes, API.

The sales pages live under /app/; the unversioned paths (/leads, /dashboard, /jobs...) belong
to the JSON API, so no page can shadow an API call.
"""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from hunter import health, metrics, views
from hunter.api.urls import docs_urlpatterns
from hunter.api.urls import urlpatterns as api_urlpatterns
from hunter.ratelimit import limit_form_posts

urlpatterns = [
    path("", views.home, name="home"),
    path("app/", include("leads.urls")),
    path("app/", include("scanning.urls")),
    path(
        "accounts/login/",
        limit_form_posts("sign-in")(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", views.SignOutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The unversioned paths old clients call: same views, plus deprecation headers. Before the
    # admin, whose catch-all would otherwise answer the legacy /admin/api-keys routes.
    path("", include((api_urlpatterns, "legacy"))),
    path("admin/", admin.site.urls),
    # Unversioned and open: probes and load balancers carry no session.
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.live, name="healthz-live"),
    path("healthz/ready", health.ready, name="healthz-ready"),
    path("healthz/startup", health.startup, name="healthz-startup"),
    path("healthz/metrics", metrics.metrics_view, name="healthz-metrics"),
    path("support", views.support, name="support"),
    *docs_urlpatterns,
    path("api/v1/", include((api_urlpatterns, "v1"))),
]
