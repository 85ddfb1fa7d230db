"""Login and logout, and the rate limit on failed attempts."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def login(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_user_logs_in_and_out(client, csm):
    response = login(client, "casey", "correct horse battery")

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_shows_a_message(client, csm):
    response = login(client, "casey", "wrong")

    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_repeated_failures_lock_the_user_name_out(client, csm, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "casey", "wrong")

    response = login(client, "casey", "correct horse battery")

    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_logout_requires_post(client, csm):
    client.force_login(csm)

    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200
