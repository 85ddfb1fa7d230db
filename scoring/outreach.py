"""What a CSM does next about an account, from its latest snapshot: the Next Best Action checklist
(every action of the action groups whose rules fired, riskiest reason first, each with the reason it
answers) and outreach drafts: an e-mail to the customer and a Slack note for the team.

The rules' reasons ("Usage dropped 70% (30d vs prior)") and the configured actions ("Confirm resolution
plan and close the loop") are the team's words and stay internal (checklist, Slack, CSM tasks). What goes
to the customer (the e-mail draft, e-mail and in-app playbook steps) names topics and offers written for
them, chosen by the fired rules' ids.
"""

from dataclasses import dataclass

from accounts.models import Account, Contact, ContactRole
from scoring.config import parsed_document
from scoring.models import Snapshot


@dataclass(frozen=True)
class Step:
    action: str
    because: str  # the reason (rule text) the step answers


@dataclass(frozen=True)
class Drafts:
    email_subject: str
    email_body: str
    slack: str
    source: str = "Written for the customer from the reasons above, which stay internal; edit before sending."


# Per risk rule id: the topic the customer is invited to talk about, and what we offer them.
CUSTOMER_TOPICS: dict[str, str] = {
    "usage_drop": "how your team is using the platform day to day",
    "support_load": "the recent support requests from your team",
    "error_volume": "the technical problems your team ran into recently",
    "churn_intent": "what your team needs from us in the coming months",
    "satisfaction": "your recent experience with our support",
    "escalation": "the support questions that needed extra attention",
    "downgrade": "the recent change to your plan",
    "trial": "getting your team set up during the trial",
    "error_rate": "the technical problems your team ran into recently",
    "failed_payment": "your recent invoices and the billing set-up that suits you",
    "champion_left": "who on your team now leads the work with us",
    "silence": "how things are going for your team",
    "low_health": "how your team is getting on with the platform",
    "trial_adoption": "what your team wants to achieve during the trial",
    "detractor": "the feedback you gave us recently",
    "ticket_spike": "the recent support requests from your team",
}
CUSTOMER_OFFERS: dict[str, str] = {
    "usage_drop": "a short session to revisit your goals and the features that help most",
    "support_load": "a review of your open requests with a clear plan to resolve them",
    "error_volume": "a technical review with our support engineers",
    "churn_intent": "a review of the value your team gets today, with a few quick wins",
    "satisfaction": "priority support from our team over the next week",
    "escalation": "a review of your open requests with a clear plan to resolve them",
    "downgrade": "training for the workflows that matter most to your team",
    "trial": "a guided onboarding session",
    "error_rate": "a technical review with our support engineers",
    "failed_payment": "a billing plan that fits your budget cycle",
    "champion_left": "an introduction session for your team's new lead",
    "silence": "a short call to plan the next few weeks together",
    "low_health": "a review of how your team uses the platform, with a plan for the next month",
    "trial_adoption": "a hands-on session with your team to get the first workflows running",
    "detractor": "a call with our team to put right what went wrong",
    "ticket_spike": "a review of your open requests with a clear plan to resolve them",
}
# For an account with no fired rule, or only rules of a custom configuration not listed above.
GENERAL_TOPIC = "how things are going for your team"
GENERAL_OFFER = "a short call to plan the next few weeks together"


def _by_rule(fired_rules: list[dict], phrases: dict[str, str], general: str, limit: int) -> list[str]:
    """The phrases of the fired rules, riskiest first, each once; the general one when none is known."""
    chosen: list[str] = []
    for fired in sorted(fired_rules, key=lambda f: -f.get("points", 0)):
        phrase = phrases.get(fired.get("rule", ""))
        if phrase and phrase not in chosen:
            chosen.append(phrase)
    return chosen[:limit] or [general]


def customer_topics(fired_rules: list[dict], limit: int = 3) -> list[str]:
    """What to talk about with the customer, in their words (never the rules' reasons)."""
    return _by_rule(fired_rules, CUSTOMER_TOPICS, GENERAL_TOPIC, limit)


def customer_offers(fired_rules: list[dict], limit: int = 2) -> list[str]:
    """What to offer the customer, in their words (never the configured actions)."""
    return _by_rule(fired_rules, CUSTOMER_OFFERS, GENERAL_OFFER, limit)


def phrase_list(phrases: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def next_best_actions(snapshot: Snapshot) -> list[Step]:
    """The checklist: the fired rules from most to fewest points, each adding the actions of its
    action groups not listed yet; the configuration's default action when no rule fired."""
    config = parsed_document(snapshot.config.data)
    steps: list[Step] = []
    seen: set[str] = set()
    for fired in sorted(snapshot.fired_rules, key=lambda f: -f["points"]):
        for group in config.action_groups:
            if fired["rule"] not in group.rules:
                continue
            for action in group.actions:
                if action not in seen:
                    seen.add(action)
                    steps.append(Step(action, fired["reason"]))
    return steps or [Step(config.default_action, "No risk rule fired")]


def outreach_drafts(account: Account, snapshot: Snapshot, steps: list[Step], sender: str,
                    contacts: list[Contact] | None = None) -> Drafts:
    """An e-mail to the account's champion (or main contact), written for the customer (topics and
    offers, no reasons or scores), and a Slack note for the team (the reasons and the first action).
    `contacts`: the account's contacts when the caller has read them already (any order)."""
    if contacts is None:
        contacts = list(account.contacts.filter(is_active=True))
    active = sorted((c for c in contacts if c.is_active), key=lambda c: (c.name, c.pk))
    contact = next((c for c in active if c.role == ContactRole.CHAMPION), None) or next(iter(active), None)
    greeting = f"Hi {contact.name.split()[0]}," if contact and contact.name else "Hello,"
    topics = phrase_list(customer_topics(snapshot.fired_rules))
    offers = phrase_list(customer_offers(snapshot.fired_rules))
    first_step = steps[0].action if steps else ""
    body = "\n".join([
        greeting,
        "",
        f"I wanted to check in on how {account.name} is getting on with us. I'd like to talk about {topics}, "
        "and make sure you get full value from the platform.",
        "",
        "Could we find 20 minutes this week? I'd like to hear what is working, what isn't, and agree on a "
        f"couple of next steps together. I can also offer {offers}.",
        "",
        "Best regards,",
        sender,
    ])
    slack = (f":warning: *{account.name}* ({account.external_id}) — risk {snapshot.risk_score} "
             f"({snapshot.risk_level}), health {snapshot.health_score if snapshot.health_score is not None else 'n/a'}"
             f"{f' ({snapshot.health_tier})' if snapshot.health_tier else ''}. "
             f"Why: {snapshot.top_reasons or 'no risk rule fired'}. Next: {first_step}.")
    return Drafts(email_subject=f"Checking in: {account.name} and your team", email_body=body, slack=slack)
