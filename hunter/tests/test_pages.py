"""Sign-in, the home page (a way into the dashboard), navigation, messages, language, admin."""

import pytest
from django.urls import reverse

from hunter.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_login_page_is_turkish_by_default(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert 'lang="tr"' in response.text
    assert "Giriş yap" in response.text


def test_signed_in_user_sees_the_dashboard_with_navigation(sales_client, sales_user):
    response = sales_client.get("/", follow=True)

    assert response.redirect_chain == [(reverse("leads:dashboard"), 302)]
    assert "<h1>Gösterge paneli</h1>" in response.text
    assert 'aria-current="page"' in response.text
    assert sales_user.get_username() in response.text


def test_login_with_the_right_password_lands_on_the_dashboard(client, sales_user):
    response = client.post(
        reverse("login"), {"username": "satis", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("leads:dashboard")
    assert response.context["user"] == sales_user


def test_login_with_a_wrong_password_shows_an_error_and_stays_anonymous(client, sales_user):
    response = client.post(reverse("login"), {"username": "satis", "password": "wrong"})

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1
    assert errors[0] in response.text
    assert 'class="alert alert-error form-errors"' in response.text
    assert not response.context["user"].is_authenticated


def test_sign_out_is_a_post_that_ends_the_session_and_says_so(sales_client):
    response = sales_client.post(reverse("logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("login")
    assert "Oturumunuz kapatıldı." in response.text
    assert 'data-dismiss="alert"' in response.text
    assert sales_client.get("/app/").status_code == 302


def test_sign_out_by_get_is_refused(sales_client):
    assert sales_client.get(reverse("logout")).status_code == 405
    assert sales_client.get("/app/").status_code == 200


def test_language_switcher_changes_the_rendered_language(sales_client):
    assert "<h1>Gösterge paneli</h1>" in sales_client.get("/app/").text

    response = sales_client.post(
        reverse("set_language"), {"language": "en", "next": "/app/"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/app/"
    assert 'lang="en"' in response.text
    assert "<h1>Dashboard</h1>" in response.text
    assert "Gösterge paneli" not in response.text


def test_staff_user_sees_the_admin_link_and_reaches_the_admin(client, admin_user):
    client.force_login(admin_user)

    assert reverse("admin:index") in client.get("/app/").text
    assert client.get(reverse("admin:index")).status_code == 200


def test_non_staff_user_sees_no_admin_link_and_is_kept_out_of_the_admin(sales_client):
    assert reverse("admin:index") not in sales_client.get("/app/").text

    response = sales_client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
