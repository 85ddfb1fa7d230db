"""Forms of the cross-domain pages: assigning accounts from the account list, choosing a digest's day and CSM."""

import datetime as dt

from django import forms
from django.utils import timezone

from accounts.models import AccountAssignment, User
from accounts.selectors import assignable_csms

MAX_CHECKED = 500  # ticked rows of one request (a page shows 50); "all matching the filter" has no limit


class CsmChoiceField(forms.ModelChoiceField):
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
        if len(self.checked) > MAX_CHECKED:
            raise forms.ValidationError(f"Tick at most {MAX_CHECKED} accounts, or choose all matching the filter.")
        return cleaned


FIRST_DAY = dt.date(2000, 1, 1)


class DayField(forms.DateField):
    """A day as YYYY-MM-DD in the digits 0-9 (strptime would take other scripts' digits), from 2000 to today."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m-%d"], required=False, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and not value.isascii():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value and not FIRST_DAY <= value <= timezone.localdate():
            raise forms.ValidationError(f"Choose a day from {FIRST_DAY} to today.", code="out_of_range")


class CsmPick(CsmChoiceField):
    """A CSM by id in the digits 0-9 (int() would take other scripts' digits too)."""

    def to_python(self, value):
        if isinstance(value, str) and value and not (value.isascii() and value.isdigit()):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class DigestForm(forms.Form):
    """The My digest page's choices: the day (default today) and, for a manager, whose digest."""

    problem_messages = {"date": {"invalid": "'{value}' is not a date; give it as YYYY-MM-DD, e.g. 2026-03-31."},
                        "csm": {"invalid_choice": "Choose one of the CSMs listed."}}

    date = DayField(label="Day")
    csm = CsmPick(queryset=User.objects.none(), required=False, empty_label="My own digest", label="CSM")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if user.sees_all_accounts:
            self.fields["csm"].queryset = assignable_csms()
        else:
            del self.fields["csm"]


class WeekForm(forms.Form):
    """The weekly summary page's choice: the week's last day (default today)."""

    problem_messages = {"date": {"invalid": "'{value}' is not a date; give it as YYYY-MM-DD, e.g. 2026-03-31."}}

    date = DayField(label="Week ending")
