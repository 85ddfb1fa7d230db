"""Idle sessions end (docs/security.md): a user who sends no request for SESSION_IDLE_TIMEOUT_MINUTES is logged
out; every request counts as activity and keeps the session alive."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from healthcs.middleware import IdleSessionTimeoutMiddleware

pytestmark = pytest.mark.django_db
LAST = IdleSessionTimeoutMiddleware.LAST_ACTIVITY


def last_seen(client, seconds_ago: int) -> None:
    """Pretend the session's last request was that long ago."""
    session = client.session
    session[LAST] = int(time.time()) - seconds_ago
    session.save()


def test_a_session_idle_longer_than_the_timeout_is_logged_out(client, csm, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client.force_login(csm)
    assert client.get(reverse("home")).status_code == 200
    last_seen(client, 30 * 60 + 1)

    response = client.get(reverse("home"))

    assert (response.status_code, response["Location"]) == (302, f"{reverse('login')}?next=/")
    assert client.get(reverse("home")).status_code == 302  # still logged out
    assert not Session.objects.filter(session_key=client.session.session_key, expire_date__gt=timezone.now(),
                                      session_data__contains="_auth_user_id").exists()


def test_an_active_session_stays_and_its_expiry_moves_on(client, csm, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client.force_login(csm)
    client.get(reverse("home"))
    last_seen(client, 29 * 60)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert int(time.time()) - client.session[LAST] <= 2
    expiry = Session.objects.get(session_key=client.session.session_key).expire_date
    assert abs((expiry - timezone.now()).total_seconds() - settings.SESSION_COOKIE_AGE) < 5
    assert client.get(reverse("home")).status_code == 200


def test_the_session_row_is_not_written_again_within_a_minute(client, csm):
    client.force_login(csm)
    client.get(reverse("home"))
    last_seen(client, 10)
    marked = client.session[LAST]
    expiry = Session.objects.get(session_key=client.session.session_key).expire_date

    assert client.get(reverse("home")).status_code == 200

    assert client.session[LAST] == marked
    assert Session.objects.get(session_key=client.session.session_key).expire_date == expiry


def test_the_timeout_is_read_from_the_environment(tmp_path):
    from tests.test_settings import run_settings

    code = "from django.conf import settings as s; print(s.SESSION_IDLE_TIMEOUT_MINUTES, s.SESSION_COOKIE_AGE)"
    result = run_settings({"DEBUG": "true", "HEALTHCS_VAR_DIR": str(tmp_path), "SESSION_IDLE_TIMEOUT_MINUTES": "15"},
                          code)
    default = run_settings({"DEBUG": "true", "HEALTHCS_VAR_DIR": str(tmp_path)}, code)

    assert result.stdout.split() == ["15", "900"]
    assert default.stdout.split() == ["60", "3600"]


def test_a_timeout_below_one_minute_is_refused_with_a_clear_message(tmp_path):
    from tests.test_settings import run_settings

    result = run_settings({"DEBUG": "true", "HEALTHCS_VAR_DIR": str(tmp_path), "SESSION_IDLE_TIMEOUT_MINUTES": "0"},
                          "pass")

    assert result.returncode != 0
    assert "SESSION_IDLE_TIMEOUT_MINUTES must be a whole number of minutes, at least 1." in result.stderr
