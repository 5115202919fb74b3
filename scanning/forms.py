"""Forms of the scanning pages: a file upload and a single domain to scan."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    """A CSV or Excel file of domains; column auto-detection on by default."""

    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_(
            "One company per row. A column named domain, website or e-mail is enough; "
            "with auto-detection Hunter finds it whatever its name."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    auto_detect = forms.BooleanField(
        label=_("Detect the columns automatically"), required=False, initial=True
    )


class ScanForm(forms.Form):
    """One domain (or website address, or e-mail address) to scan now."""

    domain = forms.CharField(
        label=_("Domain"),
        max_length=255,
        help_text=_("For example example.com.tr, https://www.example.com or info@example.com"),
    )
    company_name = forms.CharField(
        label=_("Company name (optional)"), max_length=255, required=False
    )
