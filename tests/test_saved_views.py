"""Saved views' services (workspace/saved_views.py): a view's query is read by the account list's own filters
(unknown, repeated or bad parameters refused with the list's sentence, nothing written); names are unique per
owner in any case; only the owner renames, shares or deletes; pins are capped; only managers and admins set a
role's default, which must be a shared view; saves, deletes and default changes are audited."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import AuditEvent
from healthcs.errors import DomainError
from tests.factories import AccountFactory, SavedViewFactory, SnapshotFactory
from workspace.admin import SavedViewAdminForm
from workspace.models import RoleDefaultView, SavedView, SavedViewPin
from workspace.saved_views import (
    MAX_PINS,
    default_role,
    get_own_view,
    get_view_for_user,
    pinned_views,
    role_default_set,
    saved_view_create,
    saved_view_delete,
    saved_view_pin,
    saved_view_unpin,
    saved_view_update,
    view_picker,
)

pytestmark = pytest.mark.django_db


def refusal(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def test_a_view_keeps_the_lists_parameters_in_one_order_without_empty_ones(csm):
    view = saved_view_create(owner=csm, name="  High risk, biggest first ", query="ordering=-arr&q=&risk_level=High")

    assert (view.name, view.query, view.shared) == ("High risk, biggest first", "risk_level=High&ordering=-arr", False)
    event = AuditEvent.objects.get(object_type="workspace.SavedView")
    assert (event.user, event.action, event.object_id) == (csm, "created", str(view.pk))
    assert event.changes == {"name": [None, "High risk, biggest first"],
                             "query": [None, "risk_level=High&ordering=-arr"], "shared": [None, "False"]}


@pytest.mark.parametrize("query,message", [
    ("color=red", "'color' is not a filter of the account list; use: q, risk_level, health_tier, plan_tier, "
                  "segment, csm, ehr_system, min_arr, renewal_within, churned, expansion_ready, ordering."),
    ("risk_level=High&risk_level=Low", "The filter 'risk_level' is given more than once; give it once."),
    ("renewal_within=soon", "renewal_within: 'soon' is not a number of days; give a whole number from 0 to 3650."),
    ("renewal_within=\u0661\u0662", "renewal_within: '\u0661\u0662' is not a number of days; give a whole number "
                                    "from 0 to 3650."),
    ("min_arr=" + "9" * 40, "min_arr: '" + "9" * 40 + "' is more than any ARR; give a minimum ARR of at most 12 "
                            "digits."),
    ("ordering=colour", "ordering: Unknown ordering 'colour'; use one of: risk, -risk, health, -health, arr, -arr, "
                        "name, -name, renewal, -renewal."),
    ("q=a%00b", "q: The search contains a NUL character (\\0); remove it."),
    ("q=&ordering=", "Choose a filter or a sort first: a view without one would show every account."),
    ("q=" + "x" * 1000, "The filter has 1,002 characters; a saved view keeps at most 1,000."),
])
def test_a_query_the_list_cannot_read_is_refused_and_nothing_is_saved(csm, query, message):
    problem = refusal(saved_view_create, owner=csm, name="Mine", query=query)

    assert (problem.field, problem.message) == ("query", message)
    assert not SavedView.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("name,message", [
    ("   ", "Give the view a name."),
    ("High\x00risk", "The name contains a control character (such as \\0 or a line break); remove it."),
    ("x" * 81, "The name has 81 characters; keep it to 80."),
])
def test_a_bad_name_is_refused(csm, name, message):
    problem = refusal(saved_view_create, owner=csm, name=name, query="risk_level=High")

    assert (problem.field, problem.message) == ("name", message)
    assert not SavedView.objects.exists()


def test_names_are_unique_per_owner_in_any_case(csm, other_csm):
    saved_view_create(owner=csm, name="High risk", query="risk_level=High")

    problem = refusal(saved_view_create, owner=csm, name="HIGH RISK", query="risk_level=Low")
    theirs = saved_view_create(owner=other_csm, name="High risk", query="risk_level=Low")

    assert problem.message == "You already have a view named “HIGH RISK”; choose another name."
    assert sorted(SavedView.objects.values_list("owner__username", "query")) == [
        ("casey", "risk_level=High"), ("robin", "risk_level=Low")]
    assert theirs.name == "High risk"


def test_the_owner_renames_and_shares_and_the_change_is_audited(csm):
    view = SavedViewFactory(owner=csm, name="Old")

    saved_view_update(view=view, by=csm, name="New", shared=True)

    view.refresh_from_db()
    assert (view.name, view.shared) == ("New", True)
    assert AuditEvent.objects.get(action="changed").changes == {"name": ["Old", "New"], "shared": ["False", "True"]}


def test_only_the_owner_changes_or_deletes_a_view(csm, other_csm):
    view = SavedViewFactory(owner=other_csm, name="Theirs", shared=True)

    with pytest.raises(PermissionDenied):
        saved_view_update(view=view, by=csm, name="Mine now", shared=True)
    with pytest.raises(PermissionDenied):
        saved_view_delete(view=view, by=csm)

    view.refresh_from_db()
    assert view.name == "Theirs" and not AuditEvent.objects.exists()


def test_another_users_private_view_is_not_found_but_a_shared_one_opens(csm, other_csm):
    private = SavedViewFactory(owner=other_csm, shared=False)
    shared = SavedViewFactory(owner=other_csm, shared=True)

    with pytest.raises(Http404):
        get_view_for_user(csm, private.pk)
    with pytest.raises(Http404):
        get_own_view(csm, shared.pk)
    assert get_view_for_user(csm, shared.pk) == shared
    with pytest.raises(Http404):
        saved_view_pin(view=private, user=csm)
    assert not SavedViewPin.objects.exists()


def test_unsharing_takes_the_view_off_the_others_home_pages(csm, other_csm):
    view = SavedViewFactory(owner=csm, shared=True)
    saved_view_pin(view=view, user=csm)
    saved_view_pin(view=view, user=other_csm)

    saved_view_update(view=view, by=csm, name=view.name, shared=False)

    assert list(SavedViewPin.objects.values_list("user__username", flat=True)) == ["casey"]


def test_deleting_removes_the_pins_and_is_audited(csm):
    view = SavedViewFactory(owner=csm, name="Gone", query="segment=SMB")
    saved_view_pin(view=view, user=csm)

    saved_view_delete(view=view, by=csm)

    assert not SavedView.objects.exists() and not SavedViewPin.objects.exists()
    event = AuditEvent.objects.get(action="deleted")
    assert (event.object_repr, event.changes) == ("Gone", {"name": ["Gone", None], "query": ["segment=SMB", None]})


def test_pins_are_capped_and_pinning_twice_is_one_pin(csm):
    views = [SavedViewFactory(owner=csm) for _ in range(MAX_PINS + 1)]
    for view in views[:MAX_PINS]:
        saved_view_pin(view=view, user=csm)
    saved_view_pin(view=views[0], user=csm)

    problem = refusal(saved_view_pin, view=views[-1], user=csm)

    assert problem.message == "You have 6 pinned views, as many as the home page shows; unpin one first."
    assert SavedViewPin.objects.filter(user=csm).count() == MAX_PINS
    saved_view_unpin(view=views[0], user=csm)
    saved_view_pin(view=views[-1], user=csm)
    assert SavedViewPin.objects.filter(user=csm, view=views[-1]).exists()


def test_only_managers_set_a_roles_default_and_only_to_a_shared_view(csm, manager):
    shared = SavedViewFactory(owner=csm, name="Team risk", shared=True)
    private = SavedViewFactory(owner=manager, name="Mine", shared=False)

    with pytest.raises(PermissionDenied):
        role_default_set(role="CSM", view=shared, by=csm)
    problem = refusal(role_default_set, role="CSM", view=private, by=manager)
    unknown = refusal(role_default_set, role="Admin", view=shared, by=manager)

    assert problem.message == "“Mine” is not shared; only a shared view can be a role's default."
    assert unknown.message == "'Admin' is not a role with a default view; use: CSM, Manager."
    assert not RoleDefaultView.objects.exists() and not AuditEvent.objects.exists()

    role_default_set(role="CSM", view=shared, by=manager)
    role_default_set(role="CSM", view=None, by=manager)

    assert not RoleDefaultView.objects.exists()
    assert list(AuditEvent.objects.order_by("pk").values_list("action", "changes")) == [
        ("created", {"view": [None, "Team risk"]}), ("deleted", {"view": ["Team risk", None]})]


def test_a_roles_default_view_cannot_be_unshared_or_deleted(csm, manager):
    view = SavedViewFactory(owner=csm, name="Team risk", shared=True)
    role_default_set(role="CSM", view=view, by=manager)

    unshare = refusal(saved_view_update, view=view, by=csm, name="Team risk", shared=False)
    delete = refusal(saved_view_delete, view=view, by=csm)

    assert unshare.message == ("“Team risk” is the default view of the CSM role; a manager must choose another "
                               "default before it stops being shared.")
    assert delete.message.startswith("“Team risk” is the default view of the CSM role")
    view.refresh_from_db()
    assert view.shared is True


def test_the_picker_lists_my_views_then_the_shared_ones_never_anothers_private_view(csm, other_csm):
    SavedViewFactory(owner=other_csm, name="Alpha shared", shared=True)
    SavedViewFactory(owner=other_csm, name="Hidden", shared=False)
    mine = SavedViewFactory(owner=csm, name="Zulu")
    saved_view_pin(view=mine, user=csm)

    picked = view_picker(csm)

    assert [(v.name, v.own, v.pinned) for v in picked] == [("Zulu", True, True), ("Alpha shared", False, False)]


def test_pinned_counts_are_of_the_users_own_accounts(csm, other_csm, manager, django_assert_max_num_queries):
    for external_id, owner, level in (("A-1", csm, "High"), ("A-2", csm, "Low"), ("A-3", other_csm, "High")):
        SnapshotFactory(account=AccountFactory(external_id=external_id, csm=owner), risk_level=level)
    view = SavedViewFactory(owner=manager, name="High risk", query="risk_level=High", shared=True)
    for user in (csm, manager):
        saved_view_pin(view=view, user=user)

    assert [(p.view.name, p.accounts) for p in pinned_views(csm)] == [("High risk", 1)]
    assert [(p.view.name, p.accounts) for p in pinned_views(manager)] == [("High risk", 2)]


def test_the_home_counts_take_one_query_per_pin(csm, django_assert_num_queries):
    SnapshotFactory(account=AccountFactory(csm=csm), risk_level="High")
    for index in range(MAX_PINS):
        saved_view_pin(view=SavedViewFactory(owner=csm, query=f"min_arr={index}"), user=csm)
    assert csm.role == "CSM"  # read once per request, by the login

    with django_assert_num_queries(2 + MAX_PINS):  # the pins, the latest scoring day, one count per pin
        counts = [p.accounts for p in pinned_views(csm)]

    assert counts == [1] + [0] * (MAX_PINS - 1)


def test_admins_get_the_managers_default_and_csms_their_own(csm, manager, admin_user):
    assert [default_role(user) for user in (csm, manager, admin_user)] == ["CSM", "Manager", "Manager"]


def test_the_admin_form_reads_the_query_like_the_list(csm):
    refused = SavedViewAdminForm(data={"owner": csm.pk, "name": "Bad", "query": "colour=red"})
    accepted = SavedViewAdminForm(data={"owner": csm.pk, "name": "Good", "query": "ordering=name&q=&segment=SMB"})

    assert not refused.is_valid()
    assert refused.errors["query"][0].startswith("'colour' is not a filter of the account list; use: q, risk_level")
    assert accepted.is_valid() and accepted.cleaned_data["query"] == "segment=SMB&ordering=name"
