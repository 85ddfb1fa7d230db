"""Security headers (docs/security.md): a Content-Security-Policy on every page that allows this site's own
scripts and styles only, and `Cache-Control: no-store` on every API answer and every file download,
errors included, so no shared or browser cache keeps customer data."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "object-src": "'none'", "base-uri": "'self'", "form-action": "'self'", "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    return {name: value for name, _, value in (part.strip().partition(" ") for part in header.split(";"))}


@pytest.mark.parametrize("path", ["/", "/accounts/", "/pipeline/", "/analyzer/", "/api/docs/", "/admin/"])
def test_every_page_carries_the_content_security_policy(client, admin_user, path):
    client.force_login(admin_user)

    response = client.get(path)

    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY


def test_the_login_page_and_a_missing_page_carry_it_too(client):
    assert directives(client.get(reverse("login"))["Content-Security-Policy"]) == POLICY
    assert directives(client.get("/no-such-page/")["Content-Security-Policy"]) == POLICY


def test_the_api_docs_page_has_no_inline_script_or_style(client, admin_user):
    client.force_login(admin_user)

    html = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")

    assert "<script>" not in html and "<style>" not in html
    assert '<script src="/api/docs/?script="></script>' in html
    assert (script.status_code, script["Content-Type"]) == (200, "application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert '"validatorUrl": null' in script.content.decode()  # no badge fetched from an outside validator


@pytest.mark.parametrize("path", ["/api/accounts/", "/api/accounts/A-OWN/", "/api/accounts/NOPE/", "/api/nothing/",
                                  "/api/schema/"])
def test_every_api_answer_is_not_stored(csm, own_account, path):
    api = APIClient()
    api.force_login(csm)

    response = api.get(path)

    assert response["Cache-Control"] == "no-store"


def test_an_api_refusal_is_not_stored_either(own_account):
    response = APIClient().get("/api/accounts/")

    assert response.status_code in (401, 403)
    assert response["Cache-Control"] == "no-store"


def test_the_csv_export_is_not_stored(client, csm, own_account):
    client.force_login(csm)

    response = client.get(reverse("account_export"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"


def test_ordinary_pages_keep_their_caching(client, csm):
    client.force_login(csm)

    assert "no-store" not in client.get(reverse("home")).get("Cache-Control", "")
