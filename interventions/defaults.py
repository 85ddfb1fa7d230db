"""The default playbooks (docs/interventions.md): Critical and At risk answer the health tier, High risk the churn-risk
level. Installed by a data migration (and by seed_demo, for a database emptied since) and editable in
admin afterwards. Due offsets and escalations are hours after the trigger. E-mail and in-app steps go to
the customer: their {reasons} and {actions} are the customer-facing topics and offers
(interventions.messages)."""

from decimal import Decimal

EXEC_EMAIL = """Dear {contact},

I lead customer success at our company and wanted to reach out personally about {account}. I would
like to talk with you about {reasons}, and to set up a call this week with you and {csm} to agree on a
plan that gets your team full value from the platform.

Kind regards"""

RETENTION_EMAIL = """Hi {contact},

Thank you for the time today. As promised, here are the options we can offer {account} while we work
through the plan together: a billing pause, a move to a smaller plan with a grace period, or free
training sessions for your team. Let me know which suits you best.

Best regards,
{csm}"""

PERSONAL_EMAIL = """Hi {contact},

I wanted to check in personally on how things are going at {account}, and talk about {reasons}.
Could we find 20 minutes this week? I can also offer {actions}.

Best regards,
{csm}"""

VALUE_EMAIL = """Hi {contact},

A quick note on what {account} has achieved with us so far, and two things that teams on the {plan}
plan find most useful. Happy to walk you through them any time.

Best regards,
{csm}"""

DEFAULT_PLAYBOOKS = [
    {"name": "Critical: executive rescue", "trigger_kind": "tier", "trigger_value": "Critical", "priority": 10,
     "cooldown_days": 30, "control_share": "0.100",
     "description": "Executive outreach within the hour, a dedicated CSM within two hours, a usage analysis and "
                    "improvement plan within four; escalation at 24, 48 and 72 hours; retention offers.",
     "steps": [
         {"title": "Executive outreach to the customer's sponsor", "due_offset_hours": 1, "channel": "email",
          "assignee_role": "executive", "template": EXEC_EMAIL, "escalate_after_hours": 24},
         {"title": "Dedicated CSM call", "due_offset_hours": 2, "channel": "call", "assignee_role": "csm",
          "template": "Call {contact} at {account}: health {health} ({tier}), risk {risk}. Why: {reasons}.",
          "escalate_after_hours": 48},
         {"title": "Usage analysis and improvement plan", "due_offset_hours": 4, "channel": "task",
          "assignee_role": "csm", "template": "Analyse {account}'s usage and write the improvement plan. "
                                              "Start from: {actions}.", "escalate_after_hours": 72},
         {"title": "Retention offer: billing pause, downgrade with grace period or free training",
          "due_offset_hours": 24, "channel": "email", "assignee_role": "csm", "template": RETENTION_EMAIL,
          "escalate_after_hours": 72},
     ]},
    # On the headline verdict (issue "Predictive truth"): the riskiest accounts are those at High churn risk,
    # whatever their measures say (their health is capped to the High risk tier or below).
    {"name": "High risk: personal outreach", "trigger_kind": "risk_level", "trigger_value": "High", "priority": 20,
     "cooldown_days": 30, "control_share": "0.100",
     "description": "A personal CSM e-mail within four hours, an optimisation session offer within a day and a "
                    "value-realisation report within two.",
     "steps": [
         {"title": "Personal CSM e-mail", "due_offset_hours": 4, "channel": "email", "assignee_role": "csm",
          "template": PERSONAL_EMAIL, "escalate_after_hours": 24},
         {"title": "Offer an optimisation session", "due_offset_hours": 24, "channel": "call",
          "assignee_role": "csm", "template": "Offer {contact} an optimisation session for {account}: {actions}.",
          "escalate_after_hours": 48},
         {"title": "Send a value-realisation report", "due_offset_hours": 48, "channel": "email",
          "assignee_role": "csm", "template": VALUE_EMAIL, "escalate_after_hours": 72},
     ]},
    {"name": "At risk: nurture", "trigger_kind": "tier", "trigger_value": "At risk", "priority": 30,
     "cooldown_days": 45, "control_share": "0.100",
     "description": "A value e-mail on day 1, in-app tips on day 3 and a success story on day 7.",
     "steps": [
         {"title": "Day 1: value e-mail", "due_offset_hours": 24, "channel": "email", "assignee_role": "csm",
          "template": VALUE_EMAIL, "escalate_after_hours": None},
         {"title": "Day 3: in-app tips", "due_offset_hours": 72, "channel": "in_app", "assignee_role": "csm",
          "template": "Tips for {account}: ask us for {actions}.", "escalate_after_hours": None},
         {"title": "Day 7: customer success story", "due_offset_hours": 168, "channel": "email",
          "assignee_role": "csm", "template": "Hi {contact}, here is how a team like yours at {account} got more "
                                              "from the {plan} plan.\n\n{csm}", "escalate_after_hours": None},
     ]},
]


def install_default_playbooks(playbook_model, step_model) -> int:
    """Create the default playbooks that are missing by name (an edited one is left alone); returns how
    many were created. Takes the model classes so the data migration can pass its historical ones."""
    created_count = 0
    for spec in DEFAULT_PLAYBOOKS:
        fields = {k: v for k, v in spec.items() if k != "steps"}
        fields["control_share"] = Decimal(fields["control_share"])
        playbook, created = playbook_model.objects.get_or_create(name=spec["name"], defaults=fields)
        if created:
            created_count += 1
            step_model.objects.bulk_create(step_model(playbook=playbook, order=number, **step)
                                           for number, step in enumerate(spec["steps"], 1))
    return created_count
