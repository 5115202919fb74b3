"""Project-level pages: the home page (a way into the dashboard) and sign-out."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("leads:dashboard")


class SignOutView(LogoutView):
    """Django's POST-only logout, plus a message so the login page confirms it worked."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have been signed out."))
        return response
