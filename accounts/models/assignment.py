"""Who looks after an account: the rules that assign new accounts to a team of CSMs in turn, and the history of
every assignment (by a manager or by a rule). accounts.assignment writes them."""

from django.db import models

from accounts.models.customers import Account, Segment
from accounts.models.users import User


class AssignmentRule(models.Model):
    """Accounts matching every condition given (a blank one matches any) go to the rule's team in turn; the
    first active rule in order that matches an account decides."""

    name = models.CharField(max_length=120, unique=True)
    order = models.PositiveSmallIntegerField(default=100, help_text="Lower is tried first.")
    active = models.BooleanField(default=True)
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True, help_text="Blank: any segment.")
    plan_tier = models.CharField(max_length=64, blank=True, help_text="Blank: any plan tier (case-insensitive).")
    ehr_system = models.CharField("EHR system", max_length=64, blank=True,
                                  help_text="Blank: any EHR system (case-insensitive).")
    region = models.CharField(max_length=64, blank=True,
                              help_text="The account's country as imported (e.g. US, DE); blank: any region.")
    team = models.ManyToManyField(User, related_name="assignment_rules", blank=True,
                                  help_text="The CSMs who take the matching accounts in turn (by user name); "
                                            "inactive users and non-CSMs are passed over.")
    cursor = models.PositiveIntegerField(default=0, editable=False,
                                         help_text="Accounts assigned by the rule so far: where the turn goes on.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def conditions(self) -> str:
        """The conditions in words ("Segment SMB, region US"; "any account")."""
        parts = [f"{label} {value}" for label, value in (("segment", self.segment), ("plan tier", self.plan_tier),
                                                          ("EHR", self.ehr_system), ("region", self.region)) if value]
        text = ", ".join(parts)
        return text[:1].upper() + text[1:] if parts else "Any account"


class AccountAssignment(models.Model):
    """One change of an account's CSM: from whom to whom, by whom (nobody: a rule) and why."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="assignments")
    from_csm = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_csm = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                           help_text="Who assigned it; empty when a rule did.")
    rule = models.ForeignKey(AssignmentRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "at"], name="assignment_account_at")]

    def __str__(self) -> str:
        return f"{self.account} → {self.to_csm or 'nobody'}"
