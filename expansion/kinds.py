"""The expansion signal types of docs/expansion.md, by id: the pipeline (expansion issue) detects them, and a
playbook (interventions) may be triggered by one."""

SIGNAL_KINDS: dict[str, str] = {
    "usage_limit": "Usage above 80% of the plan's limit",
    "overage": "Overage three months running",
    "power_users": "Power users (advanced features above 70%)",
    "team_growth": "Team growth (seats added, active users beyond seats)",
    "integration_request": "Integration requests",
    "api_growth": "API usage growth above 1.5x",
    "promoter": "Promoter (NPS 9-10) with a healthy score",
    "feature_requests": "Repeated feature requests",
}
