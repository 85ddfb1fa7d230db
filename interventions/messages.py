"""Step messages: a playbook step's template filled for an account from its latest scores.

One module checks and fills templates, for admin's validation and for firing alike: a template is valid
when it renders against a sample account (`check_template`), and the renderer (`render_message`) reads
the template with string.Formatter's parser and substitutes plain text itself — it never applies a format
spec, a conversion or an attribute lookup, so a template that slipped into the database unchecked raises
TemplateProblem (which firing records on the playbook) instead of breaking the run or growing a message to
any size.

Customer channels (e-mail, in-app) get customer-facing values: {reasons} and {actions} become topics and
offers written for the customer (scoring.outreach), and the team's own figures (health, risk, tier, ARR,
the playbook's name) are not available there at all.
"""

import datetime as dt
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from types import SimpleNamespace

from accounts.models import ContactRole
from healthcs.errors import DomainError
from scoring.outreach import customer_offers, customer_topics, phrase_list

# What a step's message template may name, and what each is filled with.
TEMPLATE_PLACEHOLDERS: dict[str, str] = {
    "account": "the account's name", "account_id": "its external id", "plan": "its plan tier",
    "arr": "its ARR, e.g. $12,000", "renewal": "its renewal date", "csm": "the CSM's name",
    "contact": "the champion's (or first active contact's) name", "health": "the health score",
    "tier": "the health tier", "risk": "the churn-risk score", "risk_level": "the risk level",
    "reasons": "the top risk reasons (in e-mail and in-app steps: the topics to discuss, in the customer's words)",
    "actions": "the recommended actions (in e-mail and in-app steps: what we offer, in the customer's words)",
    "playbook": "the playbook's name",
}
# Steps whose message goes to the customer, and the placeholders those may use: never the team's figures.
CUSTOMER_CHANNELS = frozenset({"email", "in_app"})
CUSTOMER_PLACEHOLDERS = ("account", "plan", "renewal", "csm", "contact", "reasons", "actions")
TEMPLATE_MAX = 4000  # characters of a template
MESSAGE_MAX = 5000  # characters of a filled message; a longer one is cut (firing) or refused (admin)


class TemplateProblem(DomainError):
    """A template that cannot be filled; the message says what is wrong and how to write it instead. Its own
    name because firing catches it (and only it) to record the failure on the playbook."""


@dataclass(frozen=True)
class AccountFacts:
    """What a template may name about one account (every value already text): the team's values, and
    the customer-facing ones that e-mail and in-app steps use."""

    values: dict[str, str]
    customer: dict[str, str]

    def for_channel(self, channel: str) -> dict[str, str]:
        return self.customer if channel in CUSTOMER_CHANNELS else self.values


def account_facts(*, account, snapshot, contact_name: str = "", playbook_name: str = "") -> AccountFacts:
    """The placeholders' values for an account and its snapshot (either may lack data: "—" then)."""

    def text(value, fmt: str = "{}") -> str:
        return "—" if value in (None, "") else fmt.format(value)

    csm = account.csm
    values = {
        "account": account.name, "account_id": account.external_id, "plan": text(account.plan_tier),
        "renewal": text(account.renewal_date), "csm": (csm.get_full_name() or csm.username) if csm else "your CSM",
        "contact": contact_name or "there", "playbook": playbook_name,
        "arr": text(getattr(snapshot, "arr", None), "${:,.0f}"),
        "health": text(getattr(snapshot, "health_score", None), "{:.0f}"),
        "tier": text(getattr(snapshot, "health_tier", None)),
        "risk": text(getattr(snapshot, "risk_score", None)),
        "risk_level": text(getattr(snapshot, "risk_level", None)),
        "reasons": getattr(snapshot, "top_reasons", "") or "no risk rule fired",
        "actions": getattr(snapshot, "recommended_actions", "") or "—",
    }
    fired = getattr(snapshot, "fired_rules", None) or []
    customer = {name: values[name] for name in CUSTOMER_PLACEHOLDERS}
    customer.update(csm=values["csm"] if csm else "our customer success team",
                    reasons=phrase_list(customer_topics(fired)), actions=phrase_list(customer_offers(fired)))
    return AccountFacts(values, customer)


def allowed_placeholders(channel: str) -> tuple[str, ...]:
    return CUSTOMER_PLACEHOLDERS if channel in CUSTOMER_CHANNELS else tuple(TEMPLATE_PLACEHOLDERS)


def _braced(names) -> str:
    return ", ".join("{" + name + "}" for name in names)


def _fill(template: str, values: Mapping[str, str], channel: str) -> str:
    """The template with each placeholder replaced by its value, as plain text. Raises TemplateProblem
    naming every bad placeholder and listing the allowed ones."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as error:
        raise TemplateProblem(f"The template's braces do not match ({error}); write {{{{ and }}}} for a literal "
                              "brace.") from None
    allowed = allowed_placeholders(channel)
    problems, out = [], []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        plain = "{" + re.split(r"[.\[]", name)[0] + "}"
        if conversion or spec:
            what = f"a conversion (!{conversion})" if conversion else f"a format (:{spec})"
            problems.append(f"Placeholder {shown} has {what}, which templates do not take: write {plain} alone.")
        elif "." in name or "[" in name:
            problems.append(f"Placeholder {shown} reads an attribute or an index, which templates do not take: "
                            f"write {plain} alone.")
        elif name in values:
            out.append(values[name])
        elif name in TEMPLATE_PLACEHOLDERS:
            problems.append(f"Placeholder {shown} is for the team only and is not sent to customers "
                            "(e-mail and in-app steps).")
        else:
            problems.append(f"Unknown placeholder {shown}.")
    if problems:
        raise TemplateProblem(" ".join(dict.fromkeys(problems)) + f" Allowed placeholders: {_braced(allowed)}.")
    return "".join(out)


def render_message(template: str, facts: AccountFacts, channel: str) -> str:
    """The step's message for the account, cut to MESSAGE_MAX characters. Raises TemplateProblem for a
    template check_template would refuse (one stored before the checks, or written to the database directly)."""
    message = _fill(template, facts.for_channel(channel), channel)
    return message if len(message) <= MESSAGE_MAX else message[:MESSAGE_MAX - 1] + "…"


@cache
def sample_facts() -> AccountFacts:
    """A typical account with every placeholder filled: the sample templates are checked against."""
    account = SimpleNamespace(name="Lakeside Family Practice", external_id="A-1042", plan_tier="Professional",
                              renewal_date=dt.date(2025, 6, 30),
                              csm=SimpleNamespace(get_full_name=lambda: "Casey Jones", username="casey"))
    snapshot = SimpleNamespace(
        arr=24000, health_score=38.0, health_tier="High risk", risk_score=62, risk_level="High",
        top_reasons="Usage dropped 45% (30d vs prior); High support load (7 tickets in 30d); Low satisfaction "
                    "score (1-2/5)",
        recommended_actions="Schedule a check-in to reset goals; Recommend 1-2 key features to activate this week; "
                            "Confirm resolution plan and close the loop",
        fired_rules=[{"rule": "usage_drop", "points": 28}, {"rule": "support_load", "points": 18},
                     {"rule": "satisfaction", "points": 12}])
    return account_facts(account=account, snapshot=snapshot, contact_name="Priya",
                         playbook_name="High risk: personal outreach")


def check_template(template: str, channel: str) -> None:
    """Raise TemplateProblem unless the template renders for the channel against the sample account
    within the length limits: the one check admin's validation and firing share."""
    if len(template) > TEMPLATE_MAX:
        raise TemplateProblem(f"The template is {len(template):,} characters long; keep it to {TEMPLATE_MAX:,}.")
    message = _fill(template, sample_facts().for_channel(channel), channel)
    if len(message) > MESSAGE_MAX:
        raise TemplateProblem(f"Filled in for a typical account the message is {len(message):,} characters long; "
                              f"keep it to {MESSAGE_MAX:,} (use each placeholder fewer times).")


def contact_first_name(account) -> str:
    """The first name of the account's champion, else of its first active contact by name; "" if none."""
    active = account.contacts.filter(is_active=True).order_by("name")
    contact = active.filter(role=ContactRole.CHAMPION).first() or active.first()
    return contact.name.split(" ")[0] if contact and contact.name else ""


def drafts_from_tasks(drafts, interventions, account):
    """Outreach drafts filled from the account's next open e-mail and Slack steps, when a playbook has
    them; otherwise the drafts built from its reasons stay. The subject stays the customer-facing one:
    a step's title is the team's name for the work ("Retention offer ...")."""
    open_tasks = sorted((t for i in interventions for t in i.tasks.all() if t.status == "open" and t.message),
                        key=lambda t: t.due_at)
    email = next((t for t in open_tasks if t.channel == "email"), None)
    slack = next((t for t in open_tasks if t.channel == "slack"), None)
    if email is not None:
        drafts = replace(drafts, email_body=email.message,
                         source=f"Filled from the step \"{email.title}\" of {email.intervention.playbook.name}.")
    if slack is not None:
        drafts = replace(drafts, slack=slack.message)
    return drafts
