"""Forms of the accounts pages, and how a touchpoint logged by hand is read (page form and API body)."""

from pathlib import Path

from django import forms
from django.conf import settings
from rest_framework import serializers

from accounts.contacts import EMAIL_MAX, NAME_MAX, PHONE_MAX, TITLE_MAX, ContactDetails
from accounts.models import ChurnEvent, ChurnReason, Contact, ContactRole, ContactSentiment, Direction, Touchpoint
from accounts.services import CHURN_FEEDBACK_MAX, LOGGED_KINDS, TOUCHPOINT_SUBJECT_MAX, TOUCHPOINT_TEXT_MAX
from healthcs.inputs import (
    SPOKEN,
    Date,
    DayField,
    InputSerializer,
    Moment,
    MomentField,
    TextField,
    WholeNumberField,
    shown,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files and cleans each of them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


CHOOSE_FILES = "Choose the files to import: the CSV files, or one .zip holding them."


class ImportUploadForm(forms.Form):
    """Several CSV files or one zip; the size and the file types are checked here."""

    files = MultipleFileField(
        widget=MultipleFileInput(attrs={"accept": ".csv,.zip"}),
        error_messages={"required": CHOOSE_FILES},
        help_text="The RavenStack CSV files (and optional contacts, touchpoints, surveys, "
                  "invoices), or one .zip holding them.",
    )

    def clean_files(self):
        uploads = [u for u in self.cleaned_data["files"] if u]
        if not uploads:
            raise forms.ValidationError(CHOOSE_FILES)
        limit = settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024
        if sum(u.size for u in uploads) > limit:
            raise forms.ValidationError(
                f"The upload is larger than the {settings.IMPORT_MAX_UPLOAD_MB} MB limit. "
                "Split it or import it from the command line."
            )
        suffixes = {Path(u.name).suffix.lower() for u in uploads}
        wrong = sorted(u.name for u in uploads if Path(u.name).suffix.lower() not in (".csv", ".zip"))
        if wrong:
            raise forms.ValidationError(
                f"Only .csv files or one .zip file can be imported (not: {', '.join(wrong)})."
            )
        if ".zip" in suffixes and len(uploads) > 1:
            raise forms.ValidationError("Upload either CSV files or a single .zip, not both.")
        return uploads


# Touchpoints logged by hand: the pages' form and the API's body ---------------------------------------------

LOG_KINDS = ", ".join(LOGGED_KINDS)
LOGGED_KIND_CHOICES = [(k.value, k.label) for k in LOGGED_KINDS]  # also named in the API schema's enums
TOUCHPOINT_MESSAGES = {
    "kind": {code: f"Choose what to log: one of {LOG_KINDS}." for code in ("required", "blank", "null")}
    | {"invalid_choice": f"'{{value}}' is not something to log; use one of: {LOG_KINDS}."},
    "text": {code: "Write the text: what was said or agreed." for code in ("required", "blank", "null")},
    "contact": {"max_length": "'{value}' is not one of this account's contacts; choose one from the list."},
    "occurred_at": {code: "Give when it happened as a date and time, e.g. 2025-04-02 09:00."
                    for code in ("invalid", "date", "datetime")},
}


class TouchpointForm(forms.Form):
    """A touchpoint logged on a page (Account 360, a task row of My queue): what, which way, with whom (a contact's
    external id), subject, text, when (empty: now), and the task row it was logged from."""

    kind = forms.ChoiceField(choices=LOGGED_KIND_CHOICES)
    direction = forms.ChoiceField(choices=[("", "—"), *Direction.choices], required=False)
    contact = forms.CharField(max_length=Contact._meta.get_field("external_id").max_length, required=False)
    subject = forms.CharField(max_length=TOUCHPOINT_SUBJECT_MAX, required=False)
    text = forms.CharField(max_length=TOUCHPOINT_TEXT_MAX)
    occurred_at = MomentField(required=False, label="date and time")
    task = WholeNumberField(min_value=1, max_value=2**63 - 1, required=False)

    problem_messages = TOUCHPOINT_MESSAGES


class TouchpointInput(InputSerializer):
    """The API's touchpoint: {"kind": "call", "direction": "outbound", "contact": "C-1", "subject": "...",
    "text": "...", "occurred_at": "2025-04-02T09:00:00Z"}; only kind and text are required."""

    kind = serializers.ChoiceField(choices=LOGGED_KIND_CHOICES)
    contact = TextField(max_length=64, required=False, allow_blank=True, allow_null=True,
                        help_text="The external id of one of the account's contacts (context[\"account\"]).")
    text = TextField(max_length=TOUCHPOINT_TEXT_MAX, help_text="What was said or agreed; read by the text reader.")
    occurred_at = Moment(required=False, allow_null=True, help_text="When it happened; now when left out.")
    problem_messages = TOUCHPOINT_MESSAGES

    class Meta:
        model = Touchpoint
        fields = ["kind", "direction", "contact", "subject", "text", "occurred_at"]
        extra_kwargs = {"direction": {"required": False}, "subject": {"required": False}}

    def validate_contact(self, external_id: str | None) -> Contact | None:
        if not external_id:
            return None
        contact = self.context["account"].contacts.filter(external_id=external_id).first()
        if contact is None:
            raise serializers.ValidationError(f"No contact '{shown(external_id)}' on this account; give one of its "
                                              "contacts' external ids.", code=SPOKEN)
        return contact


# Contacts kept by hand: the pages' forms --------------------------------------------------------------------

ROLES = ", ".join(ContactRole.values)
SENTIMENTS = ", ".join(ContactSentiment.values)
CONTACT_MESSAGES = {
    "name": {code: "Give the contact's name." for code in ("required", "blank", "null")},
    "role": {code: f"Choose the contact's role: one of {ROLES}." for code in ("required", "blank", "null")}
    | {"invalid_choice": f"'{{value}}' is not a role; use one of: {ROLES}."},
    "sentiment": {"invalid_choice": f"'{{value}}' is not a sentiment; use one of: {SENTIMENTS}, or leave it "
                                    "empty (not known)."},
    "left_on": {"invalid": "Give the day they left as a date, e.g. 2025-04-02."},
}


class ContactForm(forms.Form):
    """A contact added or edited on Account 360: name, e-mail, phone, title, role and sentiment. Lengths and
    choices are read here; the e-mail and phone formats by accounts.contacts, for every caller alike."""

    name = forms.CharField(max_length=NAME_MAX)
    email = forms.CharField(max_length=EMAIL_MAX, required=False, label="e-mail")
    phone = forms.CharField(max_length=PHONE_MAX, required=False)
    title = forms.CharField(max_length=TITLE_MAX, required=False)
    role = forms.ChoiceField(choices=ContactRole.choices)
    sentiment = forms.ChoiceField(choices=[("", "Not known"), *ContactSentiment.choices], required=False)

    problem_messages = CONTACT_MESSAGES

    def details(self) -> ContactDetails:
        """The typed details of a valid form."""
        return ContactDetails(**{name: self.cleaned_data[name] for name in CONTACT_FIELDS})


CONTACT_FIELDS = ("name", "email", "phone", "title", "role", "sentiment")


class ContactLeaveForm(forms.Form):
    """The day a contact left the customer (empty: today)."""

    left_on = DayField(required=False, label="day they left")

    problem_messages = CONTACT_MESSAGES


class ChurnInput(InputSerializer):
    """The API's churn marking: {"reason_code": "competitor", "feedback": "...", "churn_date": "2025-04-02"};
    churn_date is today when left out. accounts.services.account_mark_churned checks the rest."""

    reason_code = serializers.ChoiceField(choices=ChurnReason.choices,
                                          help_text="One of the fixed reason codes (docs/pages.md#renewals).")
    feedback = TextField(max_length=CHURN_FEEDBACK_MAX, source="feedback_text",
                         help_text="What the customer said, or why it is not known.")
    churn_date = Date(required=False, allow_null=True, help_text="The day the account churned; today when left out.")

    class Meta:
        model = ChurnEvent
        fields = ["reason_code", "feedback", "churn_date"]
