"""pytest fixtures: the people who use Hunter's pages (a sales user, a staff admin).

Every persona shares one known password, so browser tests can sign in through the form.
"""

import pytest

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 (a test persona)


@pytest.fixture
def sales_user(django_user_model):
    return django_user_model.objects.create_user(
        username="satis", email="satis@example.com", password=PASSWORD
    )


@pytest.fixture
def admin_user(django_user_model):
    # Shadows pytest-django's admin_user so every persona shares one known password.
    return django_user_model.objects.create_superuser(
        username="yonetici", email="yonetici@example.com", password=PASSWORD
    )


@pytest.fixture
def sales_client(client, sales_user):
    client.force_login(sales_user)
    return client
