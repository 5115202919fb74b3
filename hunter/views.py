"""Project-level pages: the home page (a way into the dashboard), sign-out, and the API's
support pointer."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

JSON = "application/json"


def api_version() -> str:
    return str(settings.HUNTER_API_VERSION)


def home(request: HttpRequest) -> HttpResponse:
    """The way into the dashboard; a client that asks for JSON gets the API's pointer instead.

    Browsers (Accept: text/html, or */*) always go to the pages, so only clients that prefer
    JSON over HTML see the API's answer at ``/``.
    """
    if request.get_preferred_type(["text/html", JSON]) == JSON:
        response: HttpResponse = JsonResponse(
            {
                "message": "Hunter API",
                "version": api_version(),
                "docs": reverse("api-docs"),
            }
        )
    else:
        response = _home_page(request)
    patch_vary_headers(response, ["Accept"])
    return response


@login_required
def _home_page(request: HttpRequest) -> HttpResponse:
    return redirect("leads:dashboard")


@require_safe
def support(request: HttpRequest) -> JsonResponse:
    """Where integrators find the API's description, its version, and whom to ask."""
    return JsonResponse(
        {
            "message": "Hunter API support: the documentation describes every endpoint.",
            "documentation": reverse("api-docs"),
            "api_version": api_version(),
            "contact": settings.HUNTER_SUPPORT_CONTACT or None,
        }
    )


class SignOutView(LogoutView):
    """Django's POST-only logout, plus a message so the login page confirms it worked."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have been signed out."))
        return response
