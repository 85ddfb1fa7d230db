"""Contacts kept by hand (issue 17, item 4): accounts.contacts adds and edits a contact, marks one as left,
audits each write and records every champion change; a refused detail names its field and writes nothing;
a champion marked as left raises the champion-left alert at the next recompute."""

import datetime as dt

import pytest

from accounts.contacts import ContactDetails, contact_add, contact_edit, contact_leave
from accounts.models import AuditEvent, ChampionChange, Contact, ContactRole, Direction, TouchpointKind
from accounts.selectors import contacts_with_last_touch
from healthcs.errors import DomainError
from scoring.models import Alert
from scoring.services import recompute_scores
from tests.factories import AccountFactory, ContactFactory, TouchpointFactory
from tests.scoring.test_alerts import AS_OF, customer, day

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 4, 2)


def dana(**fields) -> ContactDetails:
    return ContactDetails(**{"name": "Dana Reyes", "email": "dana@lakeside.example.org", "phone": "+1 555 010 2030",
                             "title": "Practice Manager", "role": ContactRole.CHAMPION, "sentiment": "positive"}
                          | fields)


def changes(account) -> list[tuple]:
    return list(ChampionChange.objects.filter(account=account).order_by("id")
                .values_list("contact__name", "kind", "effective", "new_role", "by__username"))


# Adding --------------------------------------------------------------------------------------------------------

def test_it_adds_a_contact_with_a_made_up_external_id_and_records_the_new_champion(csm, own_account):
    contact = contact_add(account=own_account, user=csm, details=dana(), today=TODAY)

    stored = Contact.objects.get()
    assert stored == contact
    assert contact.external_id.startswith("contact-") and len(contact.external_id) == 40
    assert (stored.account, stored.name, stored.email, stored.phone, stored.title, stored.role, stored.sentiment,
            stored.is_active, stored.left_date) == (
        own_account, "Dana Reyes", "dana@lakeside.example.org", "+1 555 010 2030", "Practice Manager", "champion",
        "positive", True, None)
    assert changes(own_account) == [("Dana Reyes", "became", TODAY, "", "casey")]
    assert list(AuditEvent.objects.values_list("user__username", "action", "object_type", "changes")) == [
        ("casey", "created", "accounts.Contact",
         {"account": [None, "A-OWN"], "name": [None, "Dana Reyes"], "email": [None, "dana@lakeside.example.org"],
          "phone": [None, "+1 555 010 2030"], "title": [None, "Practice Manager"], "role": [None, "champion"],
          "sentiment": [None, "positive"]})]


def test_a_decision_maker_without_email_phone_or_sentiment_is_no_champion_change(csm, own_account):
    contact = contact_add(account=own_account, user=csm, details=ContactDetails(
        name="  Lee Park ", role=ContactRole.DECISION_MAKER))

    assert (contact.name, contact.role, contact.get_role_display(), contact.email, contact.phone,
            contact.sentiment) == ("Lee Park", "decision_maker", "Decision maker", "", "", "")
    assert changes(own_account) == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "   ", "Give the contact's name."),
    ("name", "Dana\x00Reyes", "The name contains a NUL character (\\0); remove it."),
    ("name", "D" * 201, "The name has 201 characters; keep it to 200."),
    ("email", "dana@", "'dana@' is not an e-mail address; write it like name@clinic.org, or leave it empty."),
    ("email", "x" * 300 + "@clinic.org", "The e-mail has 311 characters; keep it to 254."),
    ("phone", "call me maybe", "'call me maybe' is not a phone number; write it with the digits 0-9, e.g. "
                               "+1 555 010 2030 or (030) 1234-567 x12, or leave it empty."),
    ("phone", "٠٣٠ ١٢٣٤٥٦٧", "'٠٣٠ ١٢٣٤٥٦٧' is not a phone number; write it with the digits 0-9, e.g. "
                             "+1 555 010 2030 or (030) 1234-567 x12, or leave it empty."),
    ("phone", "1234", "'1234' is not a phone number; write it with the digits 0-9, e.g. "
                      "+1 555 010 2030 or (030) 1234-567 x12, or leave it empty."),
    ("phone", "9" * 40, "The phone has 40 characters; keep it to 32."),
    ("title", "T\x00", "The title contains a NUL character (\\0); remove it."),
    ("role", "boss", "'boss' is not a role; use one of: champion, executive_sponsor, decision_maker, admin, user."),
    ("sentiment", "ecstatic", "'ecstatic' is not a sentiment; use one of: positive, neutral, negative, or leave it "
                              "empty (not known)."),
])
def test_a_refused_detail_names_its_field_and_nothing_is_written(csm, own_account, field, value, message):
    with pytest.raises(DomainError) as refused:
        contact_add(account=own_account, user=csm, details=dana(**{field: value}))

    assert (refused.value.field, refused.value.message) == (field, message)
    assert (Contact.objects.count(), ChampionChange.objects.count(), AuditEvent.objects.count()) == (0, 0, 0)


@pytest.mark.parametrize("phone", ["+49 (030) 1234-567", "555.010.2030", "030/12345 x12", "+1 555 010 2030 ext. 7"])
def test_phone_numbers_as_people_write_them_are_taken(csm, own_account, phone):
    assert contact_add(account=own_account, user=csm, details=dana(phone=phone)).phone == phone


# Editing --------------------------------------------------------------------------------------------------------

def test_editing_audits_the_changed_fields_only(csm, own_account):
    contact = ContactFactory(account=own_account, name="Dana Reyes", email="dana@lakeside.example.org",
                             title="Practice Manager", role=ContactRole.USER)

    contact_edit(contact=contact, user=csm, details=dana(role=ContactRole.USER, phone="", sentiment="negative"))

    contact.refresh_from_db()
    assert (contact.sentiment, contact.role) == ("negative", "user")
    assert list(AuditEvent.objects.values_list("action", "changes")) == [("changed", {"sentiment": ["", "negative"]})]
    assert changes(own_account) == []


def test_nothing_changed_writes_nothing(csm, own_account):
    contact = contact_add(account=own_account, user=csm, details=dana())
    AuditEvent.objects.all().delete()

    contact_edit(contact=contact, user=csm, details=dana())

    assert AuditEvent.objects.count() == 0 and ChampionChange.objects.count() == 1


def test_a_contact_becoming_or_no_longer_being_champion_is_recorded(csm, manager, own_account):
    contact = ContactFactory(account=own_account, name="Dana Reyes", role=ContactRole.USER)

    contact_edit(contact=contact, user=csm, details=dana(), today=TODAY)
    contact_edit(contact=contact, user=manager, details=dana(role=ContactRole.EXECUTIVE_SPONSOR),
                 today=TODAY + dt.timedelta(days=1))

    assert changes(own_account) == [("Dana Reyes", "became", TODAY, "", "casey"),
                                    ("Dana Reyes", "stepped_down", TODAY + dt.timedelta(days=1), "executive_sponsor",
                                     "morgan")]


def test_a_refused_edit_changes_nothing(csm, own_account):
    contact = ContactFactory(account=own_account, name="Dana Reyes", role=ContactRole.CHAMPION)

    with pytest.raises(DomainError):
        contact_edit(contact=contact, user=csm, details=dana(role=ContactRole.USER, email="not an address"))

    contact.refresh_from_db()
    assert contact.role == "champion"
    assert (ChampionChange.objects.count(), AuditEvent.objects.count()) == (0, 0)


def test_the_role_of_a_contact_who_left_stays_as_they_left(csm, own_account):
    contact = ContactFactory(account=own_account, name="Dana Reyes", role=ContactRole.CHAMPION, is_active=False,
                             left_date=TODAY)

    with pytest.raises(DomainError) as refused:
        contact_edit(contact=contact, user=csm, details=dana(role=ContactRole.USER))

    assert (refused.value.field, refused.value.message) == (
        "role", "Dana Reyes has left the customer; the role they left in stays as it was.")
    contact.refresh_from_db()
    assert contact.role == "champion"


# Leaving --------------------------------------------------------------------------------------------------------

def test_a_champion_who_leaves_is_recorded_with_the_day_they_left(csm, own_account):
    contact = ContactFactory(account=own_account, name="Dana Reyes", role=ContactRole.CHAMPION)

    contact_leave(contact=contact, user=csm, left_on=TODAY - dt.timedelta(days=3), today=TODAY)

    contact.refresh_from_db()
    assert (contact.is_active, contact.left_date, contact.role) == (False, dt.date(2025, 3, 30), "champion")
    assert changes(own_account) == [("Dana Reyes", "left", dt.date(2025, 3, 30), "", "casey")]
    assert list(AuditEvent.objects.values_list("action", "changes")) == [
        ("changed", {"is_active": [True, False], "left_date": [None, "2025-03-30"]})]


def test_a_user_who_leaves_is_no_champion_change_and_leaves_today_by_default(csm, own_account):
    contact = ContactFactory(account=own_account, role=ContactRole.USER)

    contact_leave(contact=contact, user=csm, today=TODAY)

    contact.refresh_from_db()
    assert (contact.is_active, contact.left_date) == (False, TODAY)
    assert ChampionChange.objects.count() == 0


@pytest.mark.parametrize(("left_on", "message"), [
    (TODAY + dt.timedelta(days=1), "The day they left is in the future; mark them once they have left."),
    (dt.date(1999, 12, 31), "The day they left is before 2000; give the day they left."),
])
def test_a_day_in_the_future_or_before_2000_is_refused(csm, own_account, left_on, message):
    contact = ContactFactory(account=own_account, role=ContactRole.CHAMPION)

    with pytest.raises(DomainError) as refused:
        contact_leave(contact=contact, user=csm, left_on=left_on, today=TODAY)

    assert (refused.value.field, refused.value.message) == ("left_on", message)
    contact.refresh_from_db()
    assert (contact.is_active, contact.left_date, ChampionChange.objects.count()) == (True, None, 0)


def test_leaving_twice_is_refused(csm, own_account):
    contact = ContactFactory(account=own_account, name="Dana Reyes", is_active=False, left_date=TODAY)

    with pytest.raises(DomainError) as refused:
        contact_leave(contact=contact, user=csm, today=TODAY)

    assert refused.value.message == "Dana Reyes is already marked as left on 2025-04-02."


# The champion-left alert ------------------------------------------------------------------------------------------

def test_a_champion_marked_as_left_raises_champion_left_at_the_next_recompute(csm):
    account = customer("A-1").account
    champion = contact_add(account=account, user=csm, details=dana(), today=day(40))
    recompute_scores(as_of=AS_OF)
    assert Alert.objects.filter(account=account, kind="champion_left").count() == 0

    contact_leave(contact=champion, user=csm, left_on=day(2), today=AS_OF)
    recompute_scores(as_of=AS_OF)

    raised = Alert.objects.get(account=account, kind="champion_left")
    assert (raised.message, raised.evidence) == ("Champion left on 2025-03-14", {"left_on": "2025-03-14",
                                                                                 "champions_left": 1})


def test_a_champion_moved_to_another_role_raises_no_alert(csm):
    account = customer("A-1").account
    champion = contact_add(account=account, user=csm, details=dana(), today=day(40))

    contact_edit(contact=champion, user=csm, details=dana(role=ContactRole.USER), today=day(2))
    recompute_scores(as_of=AS_OF)

    assert Alert.objects.filter(account=account, kind="champion_left").count() == 0
    assert [kind for _, kind, *_ in changes(account)] == ["became", "stepped_down"]


# Last touch --------------------------------------------------------------------------------------------------------

def test_last_touch_is_the_latest_touchpoint_naming_the_contact(own_account):
    dana, lee, gone = (ContactFactory(account=own_account, name=name, is_active=name != "Ari Gone")
                       for name in ("Dana Reyes", "Lee Park", "Ari Gone"))
    other = ContactFactory(account=AccountFactory(), name="Elsewhere")
    for days, contact in ((5, dana), (1, dana), (9, lee), (0, other)):
        TouchpointFactory(account=contact.account, contact=contact, kind=TouchpointKind.CALL,
                          direction=Direction.OUTBOUND, occurred_at=dt.datetime(2025, 4, 10 - days, 9, tzinfo=dt.UTC))

    rows = [(c.name, c.last_touch) for c in contacts_with_last_touch(own_account)]

    assert rows == [("Dana Reyes", dt.datetime(2025, 4, 9, 9, tzinfo=dt.UTC)),
                    ("Lee Park", dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC)), ("Ari Gone", None)]
