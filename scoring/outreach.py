"""What a CSM does next about an account, from its latest snapshot: the Next Best Action checklist
(every action of the action groups whose rules fired, riskiest reason first, each with the reason it
answers) and outreach drafts (e-mail and Slack) that name the account and what was seen."""

from dataclasses import dataclass

from accounts.models import Account, ContactRole
from scoring.config import parse_config
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
    source: str = "Drafted from the reasons above; edit before sending."


def next_best_actions(snapshot: Snapshot) -> list[Step]:
    """The checklist: the fired rules from most to fewest points, each adding the actions of its
    action groups not listed yet; the configuration's default action when no rule fired."""
    config = parse_config(snapshot.config.data)
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


def outreach_drafts(account: Account, snapshot: Snapshot, steps: list[Step], sender: str) -> Drafts:
    """An e-mail to the account's champion (or main contact) and a Slack note for the team."""
    active = account.contacts.filter(is_active=True).order_by("name")
    contact = active.filter(role=ContactRole.CHAMPION).first() or active.first()
    greeting = f"Hi {contact.name.split()[0]}," if contact and contact.name else "Hello,"
    reasons = [f["reason"] for f in sorted(snapshot.fired_rules, key=lambda f: -f["points"])][:3]
    seen = ("; ".join(r[0].lower() + r[1:] for r in reasons)) if reasons else "how things are going"
    first_step = steps[0].action if steps else ""
    body = "\n".join([
        greeting,
        "",
        f"I wanted to check in on how {account.name} is getting on with us. Looking at the last few weeks "
        f"I noticed {seen}, and I'd like to make sure you get full value from the platform.",
        "",
        "Could we find 20 minutes this week? I'd like to hear what is working, what isn't, and agree on a "
        "couple of next steps together.",
        "",
        "Best regards,",
        sender,
    ])
    slack = (f":warning: *{account.name}* ({account.external_id}) — risk {snapshot.risk_score} "
             f"({snapshot.risk_level}), health {snapshot.health_score if snapshot.health_score is not None else 'n/a'}"
             f"{f' ({snapshot.health_tier})' if snapshot.health_tier else ''}. "
             f"Why: {snapshot.top_reasons or 'no risk rule fired'}. Next: {first_step}.")
    return Drafts(email_subject=f"Checking in: {account.name} and your team", email_body=body, slack=slack)
