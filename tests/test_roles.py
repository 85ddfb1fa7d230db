"""Roles: what CSMs, managers and admins may open, in pages and in Django admin."""

import pytest
from django.urls import reverse

from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_every_page_requires_login(client, own_account):
    for url in (reverse("home"), reverse("account_list"),
                reverse("account_detail", args=[own_account.external_id]), reverse("import_upload")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_a_csm_opens_their_own_account(client, csm, own_account):
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    assert response.status_code == 200
    assert "Lakeside Family Practice" in response.content.decode()


def test_a_csm_cannot_open_another_csms_account(client, csm, own_account, foreign_account):
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-FOREIGN"]))

    assert response.status_code == 404
    assert "Harbor Pediatrics" not in response.content.decode()


def test_the_account_list_shows_only_the_csms_book(client, csm, own_account, foreign_account):
    client.force_login(csm)

    page = client.get(reverse("account_list")).content.decode()

    assert "Lakeside Family Practice" in page and "Harbor Pediatrics" not in page


def test_a_manager_sees_every_account(client, manager, own_account, foreign_account):
    client.force_login(manager)

    page = client.get(reverse("account_list")).content.decode()

    assert "Lakeside Family Practice" in page and "Harbor Pediatrics" in page
    assert client.get(reverse("account_detail", args=["A-FOREIGN"])).status_code == 200


def test_a_csm_cannot_open_another_csms_account_in_admin(client, csm, own_account, foreign_account):
    client.force_login(csm)

    changelist = client.get(reverse("admin:accounts_account_changelist")).content.decode()
    foreign = client.get(reverse("admin:accounts_account_change", args=[foreign_account.pk]))
    own = client.get(reverse("admin:accounts_account_change", args=[own_account.pk]))

    assert "Lakeside Family Practice" in changelist and "Harbor Pediatrics" not in changelist
    assert foreign.status_code == 302  # admin redirects "does not exist" to the index
    assert own.status_code == 200


def test_a_csm_cannot_see_another_csms_subscriptions_in_admin(client, csm, own_account, foreign_account):
    from tests.factories import SubscriptionFactory

    SubscriptionFactory(external_id="S-OWN", account=own_account)
    SubscriptionFactory(external_id="S-FOREIGN", account=foreign_account)
    client.force_login(csm)

    page = client.get(reverse("admin:accounts_subscription_changelist")).content.decode()

    assert "S-OWN" in page and "S-FOREIGN" not in page


def test_the_navigation_shows_what_the_role_may_use(client, csm, manager):
    client.force_login(csm)
    csm_page = client.get(reverse("home")).content.decode()
    client.force_login(manager)
    manager_page = client.get(reverse("home")).content.decode()

    assert 'href="/import/"' not in csm_page and 'href="/accounts/"' in csm_page
    assert 'href="/import/"' in manager_page


def test_roles_come_from_groups(csm, manager, admin_user, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x")

    assert [csm.role, manager.role, admin_user.role, superuser.role] == [
        Role.CSM, Role.MANAGER, Role.ADMIN, Role.ADMIN]
    assert (csm.sees_all_accounts, manager.sees_all_accounts) == (False, True)


def test_a_user_without_a_role_sees_no_accounts(client, django_user_model, own_account):
    nobody = django_user_model.objects.create_user("nobody", "nobody@example.org", "x")
    client.force_login(nobody)

    assert client.get(reverse("account_detail", args=["A-OWN"])).status_code == 404
    assert "Lakeside Family Practice" not in client.get(reverse("account_list")).content.decode()


def test_a_denied_page_keeps_the_layout_and_a_way_back(client, csm, foreign_account):
    client.force_login(csm)

    not_found = client.get(reverse("account_detail", args=["A-FOREIGN"])).content.decode()
    forbidden = client.get(reverse("import_upload")).content.decode()

    assert "not in your book" in not_found and 'nav aria-label="Main"' in not_found
    assert "Your role does not include this page" in forbidden and 'href="/"' in forbidden


def test_a_csm_cannot_attach_a_note_to_another_csms_account_in_admin(client, csm, own_account, foreign_account):
    from accounts.models import Touchpoint

    client.force_login(csm)
    form = {"external_id": "TP-X", "account": foreign_account.pk, "occurred_at_0": "2024-12-01",
            "occurred_at_1": "10:00:00", "kind": "note", "direction": "internal", "subject": "Call", "text": "x"}

    refused = client.post(reverse("admin:accounts_touchpoint_add"), form)
    accepted = client.post(reverse("admin:accounts_touchpoint_add"), {**form, "external_id": "TP-Y",
                                                                       "account": own_account.pk})

    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert accepted.status_code == 302
    assert list(Touchpoint.objects.values_list("external_id", flat=True)) == ["TP-Y"]


def test_permissions_are_the_users_own_and_their_groups_read_in_one_query(csm, manager, django_assert_num_queries):
    from django.contrib.auth.models import Permission

    from accounts.models import User

    csm.user_permissions.add(Permission.objects.get(codename="import_data"))  # one of a manager's, given by hand
    csm, manager = User.objects.get(pk=csm.pk), User.objects.get(pk=manager.pk)  # no permission read yet

    with django_assert_num_queries(1):
        assert csm.has_perm("accounts.import_data") and csm.has_perm("accounts.view_account")
        assert not csm.has_perm("scoring.recompute_scores")
    assert manager.has_perm("scoring.recompute_scores") and not manager.has_perm("auth.add_user")
    inactive = User.objects.get(pk=csm.pk)
    inactive.is_active = False
    assert not inactive.has_perm("accounts.view_account")  # an inactive user holds nothing
    boss = User(username="root", is_superuser=True, is_active=True)
    assert boss.has_perm("auth.add_user")


def test_a_signed_in_user_comes_with_their_role_and_permissions_in_one_query(csm, manager, django_assert_num_queries):
    from django.contrib.auth.models import Group, Permission

    from accounts.backends import ModelBackendOneQuery
    from accounts.models import Role, User

    csm.user_permissions.add(Permission.objects.get(codename="import_data"))  # one of a manager's, given by hand
    loner = User.objects.create_user("loner", "loner@example.com")  # no group: no role, no permission
    backend = ModelBackendOneQuery()

    with django_assert_num_queries(1):  # the session's user: row, groups and permissions at once
        signed_in = backend.get_user(csm.pk)
        assert signed_in.role == Role.CSM and not signed_in.sees_all_accounts
        assert signed_in.has_perm("accounts.import_data") and signed_in.has_perm("accounts.view_account")
        assert not signed_in.has_perm("scoring.recompute_scores")
    with django_assert_num_queries(1):
        boss = backend.get_user(manager.pk)
        assert boss.role == Role.MANAGER and boss.has_perm("scoring.recompute_scores")
        assert not boss.has_perm("auth.add_user")
    with django_assert_num_queries(1):
        nobody = backend.get_user(loner.pk)
        assert nobody.role is None and not nobody.has_perm("accounts.view_account")

    # The next request reads them again: a changed membership shows at once.
    csm.groups.set([Group.objects.get(name=Role.MANAGER)])
    assert backend.get_user(csm.pk).role == Role.MANAGER
    assert backend.get_user(csm.pk).has_perm("scoring.recompute_scores")
    assert backend.get_user(10**9) is None
    loner.is_active = False
    loner.save()
    assert backend.get_user(loner.pk) is None  # inactive users cannot sign in


def test_a_page_reads_the_signed_in_user_once(client, csm):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(csm)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    user_reads = [q["sql"] for q in queries.captured_queries if '"auth_group"' in q["sql"]
                  or '"auth_permission"' in q["sql"]]
    assert len(user_reads) == 1 and '"accounts_user"' in user_reads[0]  # groups and permissions come with the user
