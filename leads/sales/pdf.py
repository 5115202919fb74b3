"""The one-page PDF account summary of a scanned domain (letter size), built with ReportLab.

Text is set in Source Sans Pro, a TrueType font embedded in the PDF (shipped by the pinned
``font-source-sans-pro`` package, SIL Open Font License): ReportLab's built-in fonts have no
glyphs for ğ, ş, ı or İ, so Turkish company names would come out as boxes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, ListFlowable, Paragraph, SimpleDocTemplate, Spacer

FONT = "HunterSans"
FONT_BOLD = "HunterSans-Bold"
_FONT_FILES = {FONT: "SourceSansPro-Regular.ttf", FONT_BOLD: "SourceSansPro-Bold.ttf"}
MAX_PRIORITY = 7


@dataclass(frozen=True)
class AccountSummary:
    """What the PDF shows of one scanned company; None marks an unknown value."""

    domain: str
    company_name: str | None
    provider: str | None
    country: str | None
    spf: bool | None
    dkim: bool | None
    dmarc_policy: str | None
    readiness_score: int | None
    segment: str | None
    priority_score: int
    mx_root: str | None
    registrar: str | None
    expires_at: date | None
    nameservers: tuple[str, ...]
    reason: str | None


def summary_pdf_filename(domain: str) -> str:
    """The download name of a domain's PDF summary."""
    return f"{domain}_summary.pdf"


@functools.cache
def _register_fonts() -> None:
    """Register the embedded fonts with ReportLab once per process."""
    folder = files("font_source_sans_pro") / "files"
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
    # Lets <b> inside a paragraph switch to the bold face of the same family.
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
    )


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=20, leading=26),
        "heading": ParagraphStyle(
            "heading", parent=body, fontName=FONT_BOLD, fontSize=13, spaceBefore=12, spaceAfter=4
        ),
        "body": body,
        "footer": ParagraphStyle("footer", parent=body, fontSize=8.5, textColor="#666666"),
    }


def _yes_no(value: bool | None) -> str:
    return _("Yes") if value else _("No")


def _or(value: object, placeholder: str) -> str:
    return placeholder if value is None or value == "" else str(value)


def _rows(pairs: list[tuple[str, str]]) -> list[Flowable]:
    body = _styles()["body"]
    return [Paragraph(f"<b>{escape(label)}:</b> {escape(value)}", body) for label, value in pairs]


def _section(title: str, content: list[Flowable]) -> list[Flowable]:
    return [Paragraph(escape(title), _styles()["heading"]), *content]


def summary_risks(summary: AccountSummary) -> list[str]:
    """The risk bullets: missing SPF, missing DKIM, and a DMARC policy of 'none' or none at all."""
    risks = []
    if not summary.spf:
        risks.append(_("No SPF record"))
    if not summary.dkim:
        risks.append(_("No DKIM record"))
    if (summary.dmarc_policy or "none").lower() == "none":
        risks.append(_("DMARC policy is 'none'"))
    return risks


def _risk_list(summary: AccountSummary) -> list[Flowable]:
    body = _styles()["body"]
    risks = summary_risks(summary)
    if not risks:
        return [Paragraph(escape(_("No risks found")), body)]
    items = [Paragraph(escape(risk), body) for risk in risks]
    return [ListFlowable(items, bulletType="bullet", bulletFontName=FONT, leftIndent=14)]


def _information(summary: AccountSummary) -> list[tuple[str, str]]:
    return [
        (_("Domain"), summary.domain),
        (_("Company"), _or(summary.company_name, _("N/A"))),
        (_("Provider"), _or(summary.provider, _("Unknown"))),
        (_("Country"), _or(summary.country, _("N/A"))),
    ]


def _security(summary: AccountSummary) -> list[tuple[str, str]]:
    return [
        ("SPF", _yes_no(summary.spf)),
        ("DKIM", _yes_no(summary.dkim)),
        ("DMARC", _or(summary.dmarc_policy, _("None"))),
    ]


def _scores(summary: AccountSummary) -> list[tuple[str, str]]:
    return [
        (_("Readiness score"), f"{_or(summary.readiness_score, _('N/A'))}/100"),
        (_("Segment"), _or(summary.segment, _("N/A"))),
        (_("Priority"), f"{summary.priority_score}/{MAX_PRIORITY}"),
    ]


def _signal_rows(summary: AccountSummary) -> list[tuple[str, str]]:
    return [
        (_("MX root"), _or(summary.mx_root, _("N/A"))),
        (_("Registrar"), _or(summary.registrar, _("N/A"))),
        (_("Expires"), _or(summary.expires_at, _("N/A"))),
        (_("Nameservers"), ", ".join(summary.nameservers) or _("N/A")),
    ]


def _footer(generated_at: datetime) -> Paragraph:
    stamp = generated_at.strftime("%Y-%m-%d %H:%M %Z")
    return Paragraph(escape(_("Generated at %(time)s") % {"time": stamp}), _styles()["footer"])


def _story(summary: AccountSummary, generated_at: datetime) -> list[Flowable]:
    analysis = Paragraph(escape(_or(summary.reason, _("N/A"))), _styles()["body"])
    return [
        Paragraph(escape(_("Domain Account Summary")), _styles()["title"]),
        *_section(_("Domain Information"), _rows(_information(summary))),
        *_section(_("Security Status"), _rows(_security(summary))),
        *_section(_("Scores"), _rows(_scores(summary))),
        *_section(_("Signals"), _rows(_signal_rows(summary))),
        *_section(_("Risks"), _risk_list(summary)),
        *_section(_("Analysis"), [analysis]),
        Spacer(1, 0.3 * inch),
        _footer(generated_at),
    ]


def render_summary_pdf(summary: AccountSummary, *, generated_at: datetime) -> bytes:
    """The PDF bytes of one account summary (media type application/pdf).

    Labels follow the active language. CPU-bound (tens of milliseconds): fine in a request
    for one domain; bulk generation belongs in a Celery task.
    """
    _register_fonts()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        title=_("%(domain)s account summary") % {"domain": summary.domain},
        author="Hunter",
        leftMargin=0.9 * inch,
        rightMargin=0.9 * inch,
        topMargin=0.8 * inch,
        bottomMargin=0.8 * inch,
    )
    document.build(_story(summary, generated_at))
    return buffer.getvalue()
