"""Accessibility basics of the sales pages: every form control has a label, a skip link."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from leads.tests.factories import CompanyFactory, DomainSignalsFactory, LeadScoreFactory

pytestmark = pytest.mark.django_db


class _Controls(HTMLParser):
    """Collects form controls that need a label, and the targets of <label for=...>."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str | None] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label":
            self.labelled.add(attributes.get("for"))
        hidden = attributes.get("type") in {"hidden", "submit"}
        if tag in {"input", "select", "textarea"} and not hidden:
            self.controls.append(attributes)

    def unlabelled(self) -> list[dict[str, str | None]]:
        return [
            control
            for control in self.controls
            if control.get("id") not in self.labelled and not control.get("aria-label")
        ]


@pytest.fixture
def lead(db):
    company = CompanyFactory.create(domain="a11y.com")
    DomainSignalsFactory.create(company=company)
    LeadScoreFactory.create(company=company)
    return company


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("leads:dashboard", []),
        ("leads:list", []),
        ("leads:segment", ["migration"]),
        ("leads:detail", ["a11y.com"]),
        ("leads:alerts", []),
        ("scanning:upload", []),
        ("scanning:scan", []),
        ("scanning:jobs", []),
    ],
)
def test_every_form_control_on_a_page_has_a_label(sales_client, lead, name, args):
    response = sales_client.get(reverse(name, args=args))
    parser = _Controls()
    parser.feed(response.content.decode())

    assert response.status_code == 200
    assert parser.unlabelled() == []
    assert 'class="skip-link" href="#main"' in response.content.decode()
