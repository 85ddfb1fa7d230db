"""Contacts kept by hand (docs/pages.md#contacts): adding and editing a customer's people, and marking one as
having left. Every write is checked (names, e-mail, phone, hostile input), audited, and, when it changes who
the account's champions are, recorded as a ChampionChange. A champion marked as left keeps the champion role
with its left date, which is what the champion-left alert and risk rule read at the next recompute."""

import datetime as dt
import re
import uuid
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import (
    Account,
    ChampionChange,
    ChampionChangeKind,
    Contact,
    ContactRole,
    ContactSentiment,
    User,
)
from healthcs.errors import DomainError, shown
from healthcs.inputs import text_checked

NAME_MAX = Contact._meta.get_field("name").max_length
EMAIL_MAX = Contact._meta.get_field("email").max_length
PHONE_MAX = Contact._meta.get_field("phone").max_length
TITLE_MAX = Contact._meta.get_field("title").max_length
EARLIEST_LEFT = dt.date(2000, 1, 1)
# A phone number as people write it: an optional +, digits 0-9 with spaces, dots, dashes, slashes or
# brackets between them, and an optional extension ("x12", "ext. 12"). ASCII only: other scripts' digits
# would pass \d but no phone dials them.
PHONE = re.compile(r"\+?\(?[0-9][0-9 ()./-]*(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?", re.ASCII | re.IGNORECASE)
PHONE_DIGITS_MIN = 5
PHONE_EXAMPLE = "+1 555 010 2030 or (030) 1234-567 x12"


@dataclass(frozen=True)
class ContactDetails:
    """What a person types about a contact: all but the name may be empty (sentiment empty: not known)."""

    name: str
    email: str = ""
    phone: str = ""
    title: str = ""
    role: str = ContactRole.USER
    sentiment: str = ""


def _text(value: str, *, field: str, label: str, limit: int, required: bool = False) -> str:
    return text_checked(value, field=field, label=label, limit=limit,
                        missing=f"Give the contact's {label}." if required else None)


def _checked(details: ContactDetails) -> ContactDetails:
    """The details stripped and checked, or DomainError naming the first refused field (nothing written)."""
    name = _text(details.name, field="name", label="name", limit=NAME_MAX, required=True)
    email = _text(details.email, field="email", label="e-mail", limit=EMAIL_MAX)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(f"'{shown(email)}' is not an e-mail address; write it like name@clinic.org, "
                              "or leave it empty.", field="email") from None
    phone = _text(details.phone, field="phone", label="phone", limit=PHONE_MAX)
    if phone and (not PHONE.fullmatch(phone) or sum(ch.isdigit() for ch in phone) < PHONE_DIGITS_MIN):
        raise DomainError(f"'{shown(phone)}' is not a phone number; write it with the digits 0-9, e.g. "
                          f"{PHONE_EXAMPLE}, or leave it empty.", field="phone")
    title = _text(details.title, field="title", label="title", limit=TITLE_MAX)
    if details.role not in ContactRole.values:
        raise DomainError(f"'{shown(details.role)}' is not a role; use one of: {', '.join(ContactRole.values)}.",
                          field="role")
    if details.sentiment and details.sentiment not in ContactSentiment.values:
        raise DomainError(f"'{shown(details.sentiment)}' is not a sentiment; use one of: "
                          f"{', '.join(ContactSentiment.values)}, or leave it empty (not known).", field="sentiment")
    return ContactDetails(name=name, email=email, phone=phone, title=title, role=details.role,
                          sentiment=details.sentiment)


def _record_change(*, contact: Contact, kind: str, effective: dt.date, by: User | None, new_role: str = "") -> None:
    ChampionChange.objects.create(account_id=contact.account_id, contact=contact, kind=kind, effective=effective,
                                  new_role=new_role, by=by if by is not None and by.is_authenticated else None)


@transaction.atomic
def contact_add(*, account: Account, user: User | None, details: ContactDetails, today: dt.date | None = None
                ) -> Contact:
    """Add a contact to an account by hand (its external id made up here), audit it, and record a new champion.
    Raises DomainError naming the field for a refused detail (nothing written)."""
    details = _checked(details)
    contact = Contact.objects.create(external_id=f"contact-{uuid.uuid4().hex}", account=account, **asdict(details))
    audit_record(user=user, action="created", obj=contact,
                 changes={"account": [None, account.external_id]}
                 | {name: [None, value] for name, value in asdict(details).items() if value})
    if contact.role == ContactRole.CHAMPION:
        _record_change(contact=contact, kind=ChampionChangeKind.BECAME, effective=today or timezone.localdate(),
                       by=user)
    return contact


@transaction.atomic
def contact_edit(*, contact: Contact, user: User | None, details: ContactDetails, today: dt.date | None = None
                 ) -> Contact:
    """Change a contact's details, audit the changed fields, and record a champion who became or stopped being
    one. Raises DomainError (nothing written) for a refused detail, or a role change of a contact who left
    (they keep the role they left in, which the champion-left alert reads)."""
    details = _checked(details)
    current = Contact.objects.select_for_update().get(pk=contact.pk)
    before = {name: getattr(current, name) for name in asdict(details)}
    changes = {name: [before[name], value] for name, value in asdict(details).items() if before[name] != value}
    if "role" in changes and not current.is_active:
        raise DomainError(f"{current.name} has left the customer; the role they left in stays as it was.",
                          field="role")
    if not changes:
        return current
    for name, value in asdict(details).items():
        setattr(current, name, value)
    current.save(update_fields=list(changes))
    audit_record(user=user, action="changed", obj=current, changes=changes)
    if "role" in changes and ContactRole.CHAMPION in changes["role"]:
        became = current.role == ContactRole.CHAMPION
        _record_change(contact=current, effective=today or timezone.localdate(), by=user,
                       kind=ChampionChangeKind.BECAME if became else ChampionChangeKind.STEPPED_DOWN,
                       new_role="" if became else current.role)
    return current


@transaction.atomic
def contact_leave(*, contact: Contact, user: User | None, left_on: dt.date | None = None,
                  today: dt.date | None = None) -> Contact:
    """Mark a contact as having left the customer on a day (today unless given), audit it, and record a champion
    who left: the next recompute raises the champion-left alert for the account when that day is in the alert's
    window. Raises DomainError (nothing written) for a contact who already left, or a day in the future or
    before 2000."""
    today = today or timezone.localdate()
    left_on = left_on or today
    if left_on > today:
        raise DomainError("The day they left is in the future; mark them once they have left.", field="left_on")
    if left_on < EARLIEST_LEFT:
        raise DomainError("The day they left is before 2000; give the day they left.", field="left_on")
    current = Contact.objects.select_for_update().get(pk=contact.pk)
    if not current.is_active or current.left_date is not None:
        when = f" on {current.left_date}" if current.left_date else ""
        raise DomainError(f"{current.name} is already marked as left{when}.", field="left_on")
    current.is_active, current.left_date = False, left_on
    current.save(update_fields=["is_active", "left_date"])
    audit_record(user=user, action="changed", obj=current,
                 changes={"is_active": [True, False], "left_date": [None, left_on.isoformat()]})
    if current.role == ContactRole.CHAMPION:
        _record_change(contact=current, kind=ChampionChangeKind.LEFT, effective=left_on, by=user)
    return current
