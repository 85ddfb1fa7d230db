"""Step messages: a playbook step's template filled for an account from its latest scores."""

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountFacts:
    """What a template may name about one account (every value already text)."""

    values: dict[str, str]


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
    return AccountFacts(values)


def render_message(template: str, facts: AccountFacts) -> str:
    """The template with its placeholders filled (templates are validated on save, so all are known)."""
    return template.format_map(facts.values)


def contact_first_name(account) -> str:
    """The first name of the account's champion, else of its first active contact by name; "" if none."""
    from accounts.models import ContactRole

    active = account.contacts.filter(is_active=True).order_by("name")
    contact = active.filter(role=ContactRole.CHAMPION).first() or active.first()
    return contact.name.split(" ")[0] if contact and contact.name else ""


def drafts_from_tasks(drafts, interventions, account):
    """Outreach drafts filled from the account's next open e-mail and Slack steps, when a playbook has
    them; otherwise the drafts built from its reasons stay."""
    from dataclasses import replace

    open_tasks = sorted((t for i in interventions for t in i.tasks.all() if t.status == "open" and t.message),
                        key=lambda t: t.due_at)
    email = next((t for t in open_tasks if t.channel == "email"), None)
    slack = next((t for t in open_tasks if t.channel == "slack"), None)
    if email is not None:
        drafts = replace(drafts, email_subject=f"{account.name}: {email.title}", email_body=email.message,
                         source=f"Filled from the step \"{email.title}\" of {email.intervention.playbook.name}.")
    if slack is not None:
        drafts = replace(drafts, slack=slack.message)
    return drafts
