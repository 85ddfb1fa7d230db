"""Password rules: a password containing the user name is refused, in admin and wherever a password is set."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_user_name_repeated_is_refused_when_an_admin_creates_a_user(client, admin_user):
    client.force_login(admin_user)

    response = client.post(reverse("admin:accounts_user_add"),
                           {"username": "casey", "password1": "caseycasey", "password2": "caseycasey",
                            "usable_password": "true"})

    assert response.status_code == 200
    assert "The password contains your user name; choose one that does not." in response.content.decode()
    assert not User.objects.filter(username="casey").exists()


def test_a_password_with_the_user_name_is_refused_when_an_admin_sets_it(client, admin_user, csm):
    client.force_login(admin_user)
    before = User.objects.get(pk=csm.pk).password

    response = client.post(reverse("admin:auth_user_password_change", args=[csm.pk]),
                           {"password1": "Casey-2024!", "password2": "Casey-2024!", "usable_password": "true"})

    assert response.status_code == 200
    assert "The password contains your user name" in response.content.decode()
    assert User.objects.get(pk=csm.pk).password == before


@pytest.mark.parametrize("password", ["caseycasey", "CASEY-rides-bikes", "my casey 2024"])
def test_every_password_containing_the_user_name_is_refused(csm, password):
    with pytest.raises(ValidationError) as error:
        validate_password(password, csm)

    assert "password_contains_user_name" in [e.code for e in error.value.error_list]


def test_a_password_containing_the_email_name_is_refused():
    user = User(username="u123", email="morgan.lee@example.org")

    with pytest.raises(ValidationError):
        validate_password("morgan.lee-2024", user)


def test_a_password_unrelated_to_the_user_is_accepted(csm):
    assert validate_password("correct horse battery", csm) is None
