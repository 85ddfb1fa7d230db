"""Saved views in the pages (docs/pages.md#saved-views): the account list saves its filter and sort under a
name (plain form and HTMX), keeps what was typed when refused, lists my views and the shared ones with the one
shown highlighted, renames, shares, deletes and pins them; without parameters it opens the role's default view
with a note and a way out; home lists the pinned views with their counts of the user's accounts. Another user's
private view is a 404 everywhere; only managers set defaults; the page's queries do not grow with the views."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from accounts.models import AuditEvent
from tests.factories import AccountFactory, SavedViewFactory, SnapshotFactory
from workspace.models import RoleDefaultView, SavedView, SavedViewPin
from workspace.saved_views import MAX_PINS, PICKER_MAX, role_default_set, saved_view_pin

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SAVE = reverse("saved_view_create")


@pytest.fixture
def book(csm, other_csm):
    """casey's High risk Lakeside and Low risk Brookside, robin's High risk Harbor."""
    for external_id, name, owner, level in (("A-OWN", "Lakeside", csm, "High"), ("A-LOW", "Brookside", csm, "Low"),
                                            ("A-FOREIGN", "Harbor", other_csm, "High")):
        SnapshotFactory(account=AccountFactory(external_id=external_id, name=name, csm=owner), risk_level=level)


def rows(html: str) -> list[str]:
    return re.findall(r'<a href="/accounts/(A-[A-Z]+)/">', html)


def test_saving_without_javascript_goes_to_the_view_with_a_message(client, csm, book):
    client.force_login(csm)

    response = client.post(SAVE + "?risk_level=High&ordering=name&page=2", {"name": "My high risk", "shared": "on"})

    assert response.status_code == 302 and response["Location"] == "/accounts/?risk_level=High&ordering=name"
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.query, view.shared) == (csm, "My high risk", "risk_level=High&ordering=name",
                                                                True)
    page = client.get(response["Location"]).content.decode()
    assert "Saved the view “My high risk”, shared with the team." in page
    assert 'data-testid="active-view">View: <strong>My high risk</strong>' in page
    assert rows(page) == ["A-OWN"]


def test_saving_in_place_returns_the_rows_with_the_view_active(client, csm, book):
    client.force_login(csm)

    response = client.post(SAVE + "?risk_level=High", {"name": "Mine"}, headers=HTMX)

    assert response.status_code == 200 and response["HX-Push-Url"] == "/accounts/?risk_level=High"
    html = response.content.decode()
    assert "<h1>" not in html  # the fragment only
    assert "Saved the view “Mine”." in html and 'class="active" aria-current="true"' in html
    assert rows(html) == ["A-OWN"]


@pytest.mark.parametrize("address,typed,message", [
    (SAVE + "?risk_level=High", {"name": ""}, "Give the view a name."),
    (SAVE + "?risk_level=High", {"name": "Mine\x00"}, "The view name contains a NUL character (\\0); remove it."),
    (SAVE + "?risk_level=High", {"name": "x" * 5000}, "The view name has 5,000 characters; keep it to 80."),
    (SAVE + "?color=red", {"name": "Red"}, "'color' is not a filter of the account list; use: q, risk_level, "
                                           "health_tier, plan_tier, segment, csm, ehr_system, min_arr, "
                                           "renewal_within, churned, expansion_ready, ordering."),
    (SAVE + "?renewal_within=%D9%A1", {"name": "Soon"}, "renewal_within: '\u0661' is not a number of days; give a "
                                                        "whole number from 0 to 3650."),
    (SAVE, {"name": "Everything"}, "Choose a filter or a sort first: a view without one would show every account."),
])
def test_a_refused_save_shows_why_and_keeps_what_was_typed(client, csm, book, address, typed, message):
    client.force_login(csm)

    plain = client.post(address, {**typed, "shared": "on"})
    in_place = client.post(address, {**typed, "shared": "on"}, headers=HTMX)

    assert (plain.status_code, in_place.status_code) == (400, 200)
    for response in (plain, in_place):
        html = response.content.decode()
        problems = re.search(r'data-testid="view-problems">(.*?)</ul>', html, re.S).group(1)
        assert problems == f"<li>{escape(message)}</li>"
        form = re.search(r'data-testid="save-view-form">(.*?)</form>', html, re.S).group(1)
        assert 'name="shared" value="on" checked' in form
        if "\x00" not in typed["name"] and len(typed["name"]) < 100:
            assert f'value="{typed["name"]}" placeholder="View name"' in form
    assert not SavedView.objects.exists() and not AuditEvent.objects.exists()


def test_a_name_taken_keeps_the_form_and_changes_nothing(client, csm, book):
    SavedViewFactory(owner=csm, name="Mine", query="risk_level=Low")
    client.force_login(csm)

    response = client.post(SAVE + "?risk_level=High", {"name": "MINE"})

    assert response.status_code == 400
    assert "You already have a view named “MINE”; choose another name." in response.content.decode()
    assert list(SavedView.objects.values_list("query", flat=True)) == ["risk_level=Low"]


def test_the_picker_lists_my_views_and_the_shared_ones_only(client, csm, other_csm, book):
    SavedViewFactory(owner=csm, name="Mine private")
    SavedViewFactory(owner=other_csm, name="Robin shared", shared=True)
    SavedViewFactory(owner=other_csm, name="Robin private")
    client.force_login(csm)

    html = client.get(reverse("account_list")).content.decode()

    assert re.findall(r'data-testid="saved-view">\s*<a href="/views/\d+/">([^<]+)</a>', html) == [
        "Mine private", "Robin shared"]
    assert "Robin private" not in html
    assert html.count("Rename, share or delete") == 1  # a shared view of another is read only


def test_opening_a_view_shows_the_list_filtered_and_anothers_private_view_is_404(client, csm, other_csm, book):
    shared = SavedViewFactory(owner=other_csm, name="Low", query="risk_level=Low", shared=True)
    private = SavedViewFactory(owner=other_csm, query="risk_level=High")
    client.force_login(csm)

    opened = client.get(reverse("saved_view_open", args=[shared.pk]))

    assert opened.status_code == 302 and opened["Location"] == "/accounts/?risk_level=Low"
    assert client.get(reverse("saved_view_open", args=[private.pk])).status_code == 404
    page = client.get(opened["Location"]).content.decode()
    assert rows(page) == ["A-LOW"] and "(shared by" in page and "read only" in page


def test_another_users_private_view_cannot_be_changed_deleted_or_pinned(client, csm, other_csm, book):
    private = SavedViewFactory(owner=other_csm, name="Theirs")
    shared = SavedViewFactory(owner=other_csm, name="Shared", shared=True)
    client.force_login(csm)

    answers = [client.post(reverse("saved_view_update", args=[private.pk]), {"name": "Mine"}).status_code,
               client.post(reverse("saved_view_delete", args=[private.pk])).status_code,
               client.post(reverse("saved_view_pin", args=[private.pk]), {"pinned": "yes"}).status_code,
               client.post(reverse("saved_view_update", args=[shared.pk]), {"name": "Mine"}).status_code,
               client.post(reverse("saved_view_delete", args=[shared.pk])).status_code]

    assert answers == [404, 404, 404, 404, 404]
    assert sorted(SavedView.objects.values_list("name", flat=True)) == ["Shared", "Theirs"]
    assert not SavedViewPin.objects.exists()


def test_renaming_in_place_and_a_refused_rename_keeps_the_typed_name(client, csm, book):
    view = SavedViewFactory(owner=csm, name="Old", query="risk_level=High")
    SavedViewFactory(owner=csm, name="Taken")
    client.force_login(csm)
    address = reverse("saved_view_update", args=[view.pk]) + "?risk_level=High"

    refused = client.post(address, {"name": "taken", "shared": "on"}, headers=HTMX).content.decode()
    renamed = client.post(address, {"name": "New", "shared": "on"}, headers=HTMX).content.decode()

    assert "You already have a view named “taken”; choose another name." in refused
    assert f'id="id_name_{view.pk}" maxlength="80" value="taken"' in refused
    assert "Saved the view “New” (shared)." in renamed
    view.refresh_from_db()
    assert (view.name, view.shared) == ("New", True)


def test_deleting_without_javascript_goes_back_to_the_list(client, csm, book):
    view = SavedViewFactory(owner=csm, name="Gone")
    client.force_login(csm)

    response = client.post(reverse("saved_view_delete", args=[view.pk]) + "?segment=SMB")

    assert response.status_code == 302 and response["Location"] == "/accounts/?segment=SMB"
    assert not SavedView.objects.exists()
    assert "Deleted the view “Gone”." in client.get(response["Location"]).content.decode()


def test_pinning_shows_the_view_on_home_with_the_csms_own_count(client, csm, manager, book):
    view = SavedViewFactory(owner=manager, name="All high risk", query="risk_level=High", shared=True)
    client.force_login(csm)

    pinned = client.post(reverse("saved_view_pin", args=[view.pk]), {"pinned": "yes"}, headers=HTMX)
    home = client.get(reverse("home")).content.decode()

    assert "Pinned “All high risk” to your home page." in pinned.content.decode()
    section = re.search(r'data-testid="pinned-views">(.*?)</section>', home, re.S).group(1)
    assert f'<a href="/views/{view.pk}/">All high risk</a> <span class="muted" data-testid="pinned-count">1 account' \
           '</span>' in section
    client.post(reverse("saved_view_pin", args=[view.pk]), {"pinned": "no"})
    assert "No pinned views yet." in client.get(reverse("home")).content.decode()


def test_a_pin_over_the_cap_is_refused_beside_the_view(client, csm, book):
    views = [SavedViewFactory(owner=csm) for _ in range(MAX_PINS + 1)]
    for view in views[:MAX_PINS]:
        saved_view_pin(view=view, user=csm)
    client.force_login(csm)

    response = client.post(reverse("saved_view_pin", args=[views[-1].pk]), {"pinned": "yes"})

    assert response.status_code == 400
    assert "You have 6 pinned views, as many as the home page shows; unpin one first." in response.content.decode()
    assert SavedViewPin.objects.count() == MAX_PINS


def test_the_list_without_parameters_opens_the_roles_default_with_a_way_out(client, csm, manager, book):
    view = SavedViewFactory(owner=manager, name="Low first", query="risk_level=Low", shared=True)
    role_default_set(role="CSM", view=view, by=manager)
    client.force_login(csm)

    default = client.get(reverse("account_list")).content.decode()
    every = client.get(reverse("account_list") + "?default=off").content.decode()

    assert "Showing the CSM default view “Low first”." in default and rows(default) == ["A-LOW"]
    assert '<a href="/accounts/?default=off">Show every account instead</a>' in default
    assert rows(every) == ["A-LOW", "A-OWN"]  # risk, then ARR, then id: the same for both
    assert "Showing the CSM default view" not in every
    client.force_login(manager)
    assert "Showing the" not in client.get(reverse("account_list")).content.decode()  # the Manager role has none


def test_a_manager_sets_a_roles_default_and_a_csm_is_refused(client, csm, manager, book):
    view = SavedViewFactory(owner=manager, name="High", query="risk_level=High", shared=True)
    private = SavedViewFactory(owner=manager, name="Private")
    client.force_login(csm)
    assert client.post(reverse("role_default_set"), {"role": "CSM", "view": view.pk}).status_code == 403
    assert 'data-testid="default-form"' not in client.get(reverse("account_list")).content.decode()
    client.force_login(manager)

    refused = client.post(reverse("role_default_set"), {"role": "CSM", "view": private.pk})
    done = client.post(reverse("role_default_set") + "?segment=SMB", {"role": "CSM", "view": view.pk})

    assert refused.status_code == 400
    assert "Choose one of the shared views listed." in refused.content.decode()
    assert done.status_code == 302 and done["Location"] == "/accounts/?segment=SMB"
    assert RoleDefaultView.objects.get().view == view
    assert "The CSM default view is now “High”." in client.get(done["Location"]).content.decode()
    assert AuditEvent.objects.filter(object_type="workspace.RoleDefaultView", action="created").count() == 1


def test_the_list_and_home_take_the_same_queries_for_one_view_or_many(client, csm, other_csm, book):
    client.force_login(csm)

    def queries(address: str, **kwargs) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address, **kwargs).status_code == 200
        return len(captured)

    one = SavedViewFactory(owner=csm, query="risk_level=High")
    saved_view_pin(view=one, user=csm)
    few = [queries(reverse("account_list")), queries(reverse("account_list"), headers=HTMX)]
    home_one = queries(reverse("home"))
    for index in range(20):
        SavedViewFactory(owner=other_csm if index % 2 else csm, shared=True, query=f"min_arr={index}")
    many = [queries(reverse("account_list")), queries(reverse("account_list"), headers=HTMX)]
    for view in SavedView.objects.exclude(pk=one.pk)[:3]:
        saved_view_pin(view=view, user=csm)

    assert many == few
    assert queries(reverse("home")) == home_one + 3  # one count per pin, at most MAX_PINS


def test_the_list_with_a_full_picker_stays_light(client, csm, book):
    for index in range(PICKER_MAX + 5):
        SavedViewFactory(owner=csm, name=f"{index:03d} " + "n" * 76, query="q=" + "x" * 200 + f"&min_arr={index}")
    client.force_login(csm)

    html = client.get(reverse("account_list") + "?q=" + "y" * 200 + "&ordering=name").content.decode()

    assert html.count('data-testid="saved-view"') == PICKER_MAX
    assert len(html.encode()) < 200 * 1024


def test_clearing_every_filter_in_place_keeps_the_default_away(client, csm, manager, book):
    view = SavedViewFactory(owner=manager, name="Low first", query="risk_level=Low", shared=True)
    role_default_set(role="CSM", view=view, by=manager)
    client.force_login(csm)

    cleared = client.get(reverse("account_list") + "?q=&risk_level=", headers=HTMX)
    filtered = client.get(reverse("account_list") + "?q=&risk_level=High", headers=HTMX)

    assert cleared["HX-Push-Url"] == "/accounts/?default=off" and rows(cleared.content.decode()) == ["A-LOW", "A-OWN"]
    assert filtered["HX-Push-Url"] == "/accounts/?risk_level=High"
