"""Forms of the cross-domain pages: assigning accounts from the account list, saving a view of it and choosing a
role's default view, working alerts in the inbox, choosing a digest's day and CSM."""

import datetime as dt

from django import forms
from django.utils import timezone

from accounts.models import AccountAssignment, User
from accounts.selectors import assignable_csms
from healthcs.inputs import MAX_TICKED, DayField, RecordChoiceField, TickedIdsField
from workspace.models import VIEW_NAME_MAX, DefaultRole, SavedView


class CsmChoiceField(RecordChoiceField):
    """A CSM of the list (by id in digits 0-9), shown with their e-mail."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.email})" if obj.email else obj.username


class AssignForm(forms.Form):
    """Assign to (a CSM), which accounts (the ticked ones or all those matching the filter) and why."""

    csm = CsmChoiceField(queryset=assignable_csms(), empty_label="Choose a CSM…", label="Assign to",
                                 error_messages={"required": "Choose the CSM to assign the accounts to.",
                                                 "invalid_choice": "Choose one of the CSMs listed."})
    scope = forms.ChoiceField(choices=[("checked", "the ticked accounts"), ("matching", "all matching the filter")],
                              initial="checked", widget=forms.RadioSelect)
    reason = forms.CharField(required=False, max_length=AccountAssignment._meta.get_field("reason").max_length)

    def __init__(self, *args, checked: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.checked = checked

    def clean(self):
        cleaned = super().clean()
        if len(self.checked) > MAX_TICKED:
            raise forms.ValidationError(f"Tick at most {MAX_TICKED} accounts, or choose all matching the filter.")
        return cleaned


class SavedViewForm(forms.Form):
    """A saved view's name and whether the team shares it (its filter and sort come from the list's address)."""

    name = forms.CharField(max_length=VIEW_NAME_MAX, label="view name")
    shared = forms.BooleanField(required=False)
    problem_messages = {"name": {"required": "Give the view a name."}}


class RoleDefaultForm(forms.Form):
    """The role whose default view changes, and the shared view it becomes (none: the plain list)."""

    role = forms.ChoiceField(choices=DefaultRole.choices)
    view = forms.ModelChoiceField(queryset=SavedView.objects.filter(shared=True), required=False,
                                  error_messages={"invalid_choice": "Choose one of the shared views listed."})
    problem_messages = {"view": {"invalid_choice": "Choose one of the shared views listed."}}


ALERT_ACTIONS = {"acknowledge": "Acknowledge", "snooze": "Snooze", "resolve": "Resolve"}


class AlertBulkForm(forms.Form):
    """What to do (acknowledge, snooze until a day, resolve) with which alerts (the ticked ones, by id, or all those
    matching the inbox's filter)."""

    action = forms.ChoiceField(choices=list(ALERT_ACTIONS.items()), label="action")
    scope = forms.ChoiceField(choices=[("checked", "the ticked alerts"), ("matching", "all matching the filter")],
                              initial="checked", widget=forms.RadioSelect, label="which alerts")
    alert = TickedIdsField(noun="alert")
    until = DayField(required=False, label="snooze until")

    problem_messages = {
        "action": {code: "Choose what to do with the alerts: acknowledge, snooze or resolve."
                   for code in ("required", "invalid_choice")},
        "scope": {code: "Choose the ticked alerts or all the alerts matching the filter."
                  for code in ("required", "invalid_choice")},
        "until": {code: "Give the day to snooze until as YYYY-MM-DD, e.g. 2025-04-02."
                  for code in ("invalid", "required", "null_characters_not_allowed")},
    }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "snooze" and not cleaned.get("until") and "until" not in self.errors:
            self.add_error("until", forms.ValidationError("required", code="required"))
        return cleaned


FIRST_DAY = dt.date(2000, 1, 1)


class PastDayField(DayField):
    """A day as YYYY-MM-DD in the digits 0-9, from 2000 to today; none means today."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not FIRST_DAY <= value <= timezone.localdate():
            raise forms.ValidationError(f"Choose a day from {FIRST_DAY} to today.", code="out_of_range")


class DigestForm(forms.Form):
    """The My digest page's choices: the day (default today) and, for a manager, whose digest."""

    problem_messages = {"date": {"invalid": "'{value}' is not a date; give it as YYYY-MM-DD, e.g. 2026-03-31."},
                        "csm": {"invalid_choice": "Choose one of the CSMs listed."}}

    date = PastDayField(label="Day")
    csm = CsmChoiceField(queryset=User.objects.none(), required=False, empty_label="My own digest", label="CSM")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if user.sees_all_accounts:
            self.fields["csm"].queryset = assignable_csms()
        else:
            del self.fields["csm"]


class WeekForm(forms.Form):
    """The weekly summary page's choice: the week's last day (default today)."""

    problem_messages = {"date": {"invalid": "'{value}' is not a date; give it as YYYY-MM-DD, e.g. 2026-03-31."}}

    date = PastDayField(label="Week ending")
