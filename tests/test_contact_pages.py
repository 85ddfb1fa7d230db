"""Account 360's contacts section (docs/pages.md#contacts): the list with role, sentiment, last touch and the
champion's badge; adding and editing a contact in place with HTMX or on a page of its own without JavaScript,
with what was typed kept when refused; marking a champion as left; the history of champion changes; another
CSM's account and its contacts are a 404; the page's queries do not grow with the contacts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertTemplateUsed

from accounts.models import AuditEvent, ChampionChange, Contact, ContactRole, Direction, TouchpointKind
from tests.factories import ContactFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def dana(own_account):
    return ContactFactory(external_id="C-DANA", account=own_account, name="Dana Reyes", title="Practice Manager",
                          email="dana@lakeside.example.org", role=ContactRole.CHAMPION, sentiment="positive")


def typed(**changes) -> dict:
    return {"name": "Lee Park", "email": "lee@lakeside.example.org", "phone": "+1 555 010 2030",
            "title": "Medical Director", "role": "decision_maker", "sentiment": "neutral", **changes}


def test_account_360_lists_contacts_with_role_sentiment_last_touch_and_the_champion_badge(client, csm, own_account,
                                                                                          dana):
    TouchpointFactory(account=own_account, contact=dana, kind=TouchpointKind.CALL, direction=Direction.OUTBOUND,
                      occurred_at=dt.datetime(2025, 3, 14, 9, tzinfo=dt.UTC))
    ContactFactory(account=own_account, name="Ari Gone", role=ContactRole.USER, is_active=False,
                   left_date=dt.date(2025, 1, 31))
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    rows = [(c.name, c.get_role_display(), c.sentiment, c.last_touch) for c in response.context["contacts"]]
    assert rows == [("Dana Reyes", "Champion", "positive", dt.datetime(2025, 3, 14, 9, tzinfo=dt.UTC)),
                    ("Ari Gone", "User", "", None)]
    assertContains(response, 'data-testid="champion-badge"', count=1)
    assertContains(response, "<td>Positive</td>", html=False)
    assertContains(response, "<td>2025-03-14</td>", html=False)
    assertContains(response, "Left 2025-01-31")
    assertContains(response, "<td>Not known</td>", html=False)
    assertContains(response, 'data-testid="contact-form-add"')
    assertContains(response, "No champion changes recorded yet.")


def test_a_contact_row_escapes_what_people_and_imports_wrote(client, csm, own_account):
    """The rows are written in Python (accounts.templatetags.contact_rows): every value escaped, both addresses and
    the leave form's CSRF field there."""
    ContactFactory(external_id="C-&1", account=own_account, name='<b>Dr</b> "Lee"', title="Head & <i>chief</i>",
                   email="lee&co@example.org", phone="<+1>", role=ContactRole.USER)
    client.force_login(csm)

    page = client.get(reverse("account_detail", args=["A-OWN"])).content.decode()

    assert ('<td>&lt;b&gt;Dr&lt;/b&gt; &quot;Lee&quot;<br><small>Head &amp; &lt;i&gt;chief&lt;/i&gt;</small></td>'
            in page)
    assert '<a href="mailto:lee&amp;co@example.org">lee&amp;co@example.org</a><br>&lt;+1&gt;</td>' in page
    assert 'href="/accounts/A-OWN/contacts/C-&amp;1/edit/" hx-get="/accounts/A-OWN/contacts/C-&amp;1/edit/"' in page
    assert 'action="/accounts/A-OWN/contacts/C-&amp;1/leave/"' in page
    leave_form = page[page.index('action="/accounts/A-OWN/contacts/C-&amp;1/leave/"'):]
    assert leave_form.index('name="csrfmiddlewaretoken"') < leave_form.index("</form>")
    assert "<b>Dr" not in page and "<i>chief" not in page


def test_an_account_without_contacts_says_how_to_add_them(client, csm, own_account):
    client.force_login(csm)

    response = client.get(reverse("account_detail", args=["A-OWN"]))

    assertContains(response, "No contacts yet. Add the people you work with below")


def test_adding_without_javascript_goes_back_to_the_contacts(client, csm, own_account):
    client.force_login(csm)

    response = client.post(reverse("contact_add", args=["A-OWN"]), typed())

    assert (response.status_code, response["Location"]) == (302, "/accounts/A-OWN/#contacts")
    contact = Contact.objects.get()
    assert (contact.account, contact.name, contact.email, contact.phone, contact.title, contact.role,
            contact.sentiment) == (own_account, "Lee Park", "lee@lakeside.example.org", "+1 555 010 2030",
                                   "Medical Director", "decision_maker", "neutral")
    page = client.get(response["Location"])
    assertContains(page, "Added Lee Park (Decision maker).")
    assertContains(page, "<td>Neutral</td>", html=False)


def test_the_add_page_without_javascript_shows_an_empty_form(client, csm, own_account):
    client.force_login(csm)

    response = client.get(reverse("contact_add", args=["A-OWN"]))

    assert response.status_code == 200
    assertTemplateUsed(response, "accounts/contact_form.html")
    assertContains(response, 'action="/accounts/A-OWN/contacts/add/"')


def test_adding_in_place_returns_the_section_with_the_new_contact(client, csm, own_account):
    client.force_login(csm)

    response = client.post(reverse("contact_add", args=["A-OWN"]), typed(role="champion"), headers=HTMX)

    assert response.status_code == 200
    assertTemplateUsed(response, "accounts/_contacts.html")
    assertTemplateNotUsedBase(response)
    assert response["HX-Trigger"] == "contactsChanged"
    assert response.context["contact_flash"] == "Added Lee Park (Champion)."
    assert [c.name for c in response.context["contacts"]] == ["Lee Park"]
    assertContains(response, 'data-testid="champion-badge"', count=1)
    assertContains(response, "Lee Park: Became champion")


def assertTemplateNotUsedBase(response) -> None:
    assert "base.html" not in [t.name for t in response.templates]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_refused_contact_is_shown_again_with_what_was_typed_and_nothing_is_written(client, csm, own_account,
                                                                                      headers):
    client.force_login(csm)

    response = client.post(reverse("contact_add", args=["A-OWN"]), typed(phone="٠٣٠ ١٢٣٤٥٦٧", name="Kept Name"),
                           headers=headers)

    assert response.status_code == (200 if headers else 400)
    assertContains(response, "is not a phone number; write it with the digits 0-9", status_code=response.status_code)
    assertContains(response, 'value="Kept Name"', status_code=response.status_code)
    assertContains(response, 'value="lee@lakeside.example.org"', status_code=response.status_code)
    assertContains(response, '<option value="decision_maker" selected>', status_code=response.status_code)
    assert (Contact.objects.count(), AuditEvent.objects.count()) == (0, 0)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": ""}, "name", "Give the contact's name."),
    ({"name": "Lee\x00Park"}, "name", "The name contains a NUL character (\\0); remove it."),
    ({"title": "T" * 10_000}, "title", "The title has 10,000 characters; keep it to 200."),
    ({"role": "boss"}, "role", "'boss' is not a role; use one of: champion, executive_sponsor, decision_maker, "
                               "admin, user."),
    ({"email": "lee@"}, "email", "'lee@' is not an e-mail address; write it like name@clinic.org, or leave it empty."),
])
def test_hostile_input_gets_a_clear_message(client, csm, own_account, changes, field, message):
    client.force_login(csm)

    response = client.post(reverse("contact_add", args=["A-OWN"]), typed(**changes), headers=HTMX)

    assert response.context["add_problems"] == {field: message}
    assert Contact.objects.count() == 0


def test_editing_in_place_opens_the_row_as_a_form_and_saves_it(client, csm, own_account, dana):
    client.force_login(csm)
    edit = reverse("contact_edit", args=["A-OWN", "C-DANA"])

    opened = client.get(edit, headers=HTMX)
    saved = client.post(edit, typed(name="Dana Reyes", role="executive_sponsor", sentiment="negative"), headers=HTMX)

    assertContains(opened, 'data-testid="contact-editing"')
    assertContains(opened, 'value="Dana Reyes"')
    assertContains(opened, '<option value="champion" selected>')
    assert saved.context["contact_flash"] == "Saved Dana Reyes (Executive sponsor)."
    dana.refresh_from_db()
    assert (dana.role, dana.sentiment, dana.title) == ("executive_sponsor", "negative", "Medical Director")
    assertContains(saved, "Dana Reyes: No longer champion (now Executive sponsor)")
    assertNotContains(saved, 'data-testid="champion-badge"')


def test_editing_without_javascript_is_a_page_that_keeps_what_was_typed(client, csm, own_account, dana):
    client.force_login(csm)
    edit = reverse("contact_edit", args=["A-OWN", "C-DANA"])

    page = client.get(edit)
    refused = client.post(edit, typed(email="not an address", title="Kept title"))
    saved = client.post(edit, typed(name="Dana Reyes"))

    assertTemplateUsed(page, "accounts/contact_form.html")
    assertContains(page, "Edit Dana Reyes")
    assertContains(refused, "&#x27;not an address&#x27; is not an e-mail address", status_code=400)
    assertContains(refused, 'value="Kept title"', status_code=400)
    assert (saved.status_code, saved["Location"]) == (302, "/accounts/A-OWN/#contacts")
    dana.refresh_from_db()
    assert (dana.title, dana.role) == ("Medical Director", "decision_maker")


def test_cancelling_an_edit_returns_the_section(client, csm, own_account, dana):
    client.force_login(csm)

    in_place = client.get(reverse("contact_section", args=["A-OWN"]), headers=HTMX)
    plain = client.get(reverse("contact_section", args=["A-OWN"]))

    assertTemplateUsed(in_place, "accounts/_contacts.html")
    assertNotContains(in_place, 'data-testid="contact-editing"')
    assert (plain.status_code, plain["Location"]) == (302, "/accounts/A-OWN/#contacts")


def test_marking_the_champion_as_left_in_place_records_it(client, csm, own_account, dana):
    client.force_login(csm)
    yesterday = timezone.localdate() - dt.timedelta(days=1)

    response = client.post(reverse("contact_leave", args=["A-OWN", "C-DANA"]),
                           {"left_on": yesterday.isoformat()}, headers=HTMX)

    assert response.context["contact_flash"] == (f"Marked Dana Reyes as left on {yesterday:%Y-%m-%d}. The "
                                                 "champion-left alert is raised at the next recompute.")
    dana.refresh_from_db()
    assert (dana.is_active, dana.left_date) == (False, yesterday)
    assert list(ChampionChange.objects.values_list("kind", "effective", "by")) == [("left", yesterday, csm.pk)]
    assertContains(response, f"{yesterday:%Y-%m-%d} · Dana Reyes: Champion left")
    assertContains(response, f"Left {yesterday:%Y-%m-%d}")
    assertNotContains(response, 'data-testid="champion-badge"')


def test_marking_as_left_without_javascript_goes_back(client, csm, own_account, dana):
    client.force_login(csm)

    response = client.post(reverse("contact_leave", args=["A-OWN", "C-DANA"]), {"left_on": ""})

    assert (response.status_code, response["Location"]) == (302, "/accounts/A-OWN/#contacts")
    dana.refresh_from_db()
    assert dana.left_date == timezone.localdate()


@pytest.mark.parametrize(("left_on", "message"), [
    ("2999-01-01", "The day they left is in the future; mark them once they have left."),
    ("٢٠٢٥-٠١-٠١", "Give the day they left as a date, e.g. 2025-04-02."),
    ("yesterday", "Give the day they left as a date, e.g. 2025-04-02."),
])
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_refused_leave_says_why_and_changes_nothing(client, csm, own_account, dana, headers, left_on, message):
    client.force_login(csm)

    response = client.post(reverse("contact_leave", args=["A-OWN", "C-DANA"]), {"left_on": left_on}, headers=headers)

    assertContains(response, message, status_code=200 if headers else 400)
    dana.refresh_from_db()
    assert (dana.is_active, dana.left_date, ChampionChange.objects.count()) == (True, None, 0)


def test_a_csm_cannot_add_edit_or_mark_contacts_of_another_csms_account(client, csm, own_account, foreign_account):
    theirs = ContactFactory(external_id="C-THEIRS", account=foreign_account, name="Pat Other", role="champion")
    ContactFactory(external_id="C-MINE", account=own_account)
    client.force_login(csm)

    answers = [
        client.get(reverse("contact_add", args=["A-FOREIGN"])).status_code,
        client.post(reverse("contact_add", args=["A-FOREIGN"]), typed()).status_code,
        client.get(reverse("contact_edit", args=["A-FOREIGN", "C-THEIRS"]), headers=HTMX).status_code,
        client.post(reverse("contact_edit", args=["A-FOREIGN", "C-THEIRS"]), typed()).status_code,
        client.post(reverse("contact_leave", args=["A-FOREIGN", "C-THEIRS"]), headers=HTMX).status_code,
        client.get(reverse("contact_section", args=["A-FOREIGN"]), headers=HTMX).status_code,
        # Their contact reached through the CSM's own account is no better.
        client.post(reverse("contact_edit", args=["A-OWN", "C-THEIRS"]), typed()).status_code,
        client.post(reverse("contact_leave", args=["A-OWN", "C-THEIRS"])).status_code,
    ]

    assert answers == [404] * 8
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_active, Contact.objects.filter(account=foreign_account).count()) == (
        "Pat Other", True, 1)
    assert (ChampionChange.objects.count(), AuditEvent.objects.filter(action="changed").count()) == (0, 0)


def test_a_manager_edits_contacts_of_any_account(client, manager, own_account, dana):
    client.force_login(manager)

    response = client.post(reverse("contact_edit", args=["A-OWN", "C-DANA"]), typed(name="Dana Reyes"))

    assert response.status_code == 302
    assert ChampionChange.objects.get().by == manager


def test_account_360_takes_the_same_queries_however_many_contacts_touches_and_changes(client, csm, own_account):
    client.force_login(csm)

    def contacts(first: int, n: int) -> None:
        for i in range(first, first + n):
            contact = ContactFactory(account=own_account, role="champion" if i % 2 else "user")
            TouchpointFactory(account=own_account, contact=contact, kind=TouchpointKind.NOTE, direction="",
                              occurred_at=dt.datetime(2025, 3, 1 + i % 20, tzinfo=dt.UTC))
            ChampionChange.objects.create(account=own_account, contact=contact, kind="became",
                                          effective=dt.date(2025, 3, 1), by=csm)

    contacts(0, 1)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("account_detail", args=["A-OWN"])).status_code == 200
    contacts(1, 15)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse("account_detail", args=["A-OWN"]))

    assert len(response.context["contacts"]) == 16
    assert len(large) == len(small)


def test_the_account_api_lists_the_contacts_with_their_last_touch(csm, own_account, dana):
    from rest_framework.test import APIClient

    TouchpointFactory(account=own_account, contact=dana, kind=TouchpointKind.CALL, direction=Direction.OUTBOUND,
                      occurred_at=dt.datetime(2025, 3, 14, 9, tzinfo=dt.UTC))
    api = APIClient()
    api.force_login(csm)

    body = api.get(reverse("api_account", args=["A-OWN"])).json()

    assert body["contacts"] == [{
        "external_id": "C-DANA", "name": "Dana Reyes", "email": "dana@lakeside.example.org", "phone": "",
        "title": "Practice Manager", "role": "champion", "sentiment": "positive", "is_active": True,
        "left_date": None, "last_touch": "2025-03-14T09:00:00Z"}]
