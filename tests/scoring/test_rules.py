"""The churn-risk rules of docs/scoring.md: every boundary, point value, reason text, level and action."""

import pandas as pd
import pytest

from scoring.config import Config, parse_config, preset_config
from scoring.rules import evaluate_rules

CONFIG = parse_config(preset_config("seed-001"))  # the table of docs/scoring.md
DEFAULT_ACTION = "Maintain regular touchpoints and monitor health signals"


def signals(**overrides) -> pd.DataFrame:
    """One subscription's rule inputs: steady usage, no tickets, no errors, no flags; overrides win."""
    row = {
        "usage_30": 100, "usage_prev": 100, "errors_30": 0, "tickets_30": 0, "rated_30": 0,
        "satisfaction_sum_30": 0, "escalated_30": 0, "churn_intent_30": 0, "downgrade_flag": False,
        "is_trial": False,
    }
    row.update(overrides)
    return pd.DataFrame([row])


def risk(config: Config = CONFIG, **overrides) -> dict:
    """The evaluated risk of one subscription, as a plain dict."""
    return evaluate_rules(signals(**overrides), config).iloc[0].to_dict()


def score_and_reasons(config: Config, **overrides) -> tuple[int, str]:
    result = risk(config, **overrides)
    return result["risk_score"], result["top_reasons"]


def config_with(edit) -> Config:
    """The seed's configuration after `edit(document)`."""
    document = preset_config("seed-001")
    edit(document)
    return parse_config(document)


def rule_doc(document: dict, rule_id: str) -> dict:
    return next(r for r in document["risk_rules"] if r["id"] == rule_id)


# --- usage_drop -----------------------------------------------------------------------------------

def test_steady_usage_fires_no_rule():
    result = risk()

    assert result["risk_score"] == 0
    assert result["risk_level"] == "Low"
    assert result["fired_rules"] == []
    assert result["top_reasons"] == ""
    assert result["recommended_actions"] == DEFAULT_ACTION


def test_usage_drop_just_under_20_percent_adds_nothing():
    result = risk(usage_prev=1000, usage_30=801)  # drop 0.199

    assert result["risk_score"] == 0
    assert result["fired_rules"] == []


def test_usage_drop_of_exactly_20_percent_adds_12_points():
    result = risk(usage_prev=5, usage_30=4)

    assert result["risk_score"] == 12
    assert result["top_reasons"] == "Usage dropped 20% (30d vs prior)"


@pytest.mark.parametrize(
    ("prior", "last", "points", "reason"),
    [
        (1000, 601, 12, "Usage dropped 40% (30d vs prior)"),  # 0.399: the 40% tier is not reached
        (5, 3, 28, "Usage dropped 40% (30d vs prior)"),
        (1000, 401, 28, "Usage dropped 60% (30d vs prior)"),  # 0.599: text rounds to 60, points do not
        (5, 2, 40, "Usage dropped 60% (30d vs prior)"),
        (50, 0, 40, "Usage dropped 100% (30d vs prior)"),
    ],
)
def test_usage_drop_tiers(prior, last, points, reason):
    result = risk(usage_prev=prior, usage_30=last)

    assert result["risk_score"] == points
    assert [(f["rule"], f["points"], f["reason"]) for f in result["fired_rules"]] == [("usage_drop", points, reason)]


@pytest.mark.parametrize("last", [0, 10])
def test_usage_drop_is_zero_without_prior_usage(last):
    assert risk(usage_prev=0, usage_30=last)["fired_rules"] == []


def test_usage_increase_fires_no_rule():
    assert risk(usage_prev=100, usage_30=250)["fired_rules"] == []


@pytest.mark.parametrize(
    ("prior", "last", "text"),
    [
        (200, 143, "Usage dropped 29% (30d vs prior)"),  # 28.5% rounds half up, not to even
        (200, 141, "Usage dropped 30% (30d vs prior)"),  # 29.5%
        (1000, 795, "Usage dropped 21% (30d vs prior)"),  # 20.5%
        (3, 2, "Usage dropped 33% (30d vs prior)"),  # 33.33%
        (3, 1, "Usage dropped 67% (30d vs prior)"),  # 66.67%
    ],
)
def test_usage_drop_percent_is_rounded_half_up_to_a_whole_number(prior, last, text):
    assert risk(usage_prev=prior, usage_30=last)["top_reasons"] == text


def test_usage_drop_evidence_records_the_drop_and_both_windows():
    [fired] = risk(usage_prev=200, usage_30=143)["fired_rules"]

    assert fired == {
        "rule": "usage_drop", "points": 12, "reason": "Usage dropped 29% (30d vs prior)",
        "evidence": {"pct": 29, "last": 143, "prior": 200, "drop": 0.285},
    }


# --- support_load and error_volume ----------------------------------------------------------------

@pytest.mark.parametrize(("tickets", "points"), [(0, 0), (2, 0), (3, 10), (5, 10), (6, 18), (40, 18)])
def test_support_load_tiers(tickets, points):
    assert risk(tickets_30=tickets)["risk_score"] == points


def test_support_load_reason_names_the_ticket_count():
    [fired] = risk(tickets_30=3)["fired_rules"]

    assert fired == {"rule": "support_load", "points": 10, "reason": "High support load (3 tickets in 30d)",
                     "evidence": {"n": 3}}


@pytest.mark.parametrize(("errors", "points"), [(0, 0), (2, 0), (3, 8), (9, 8), (10, 15), (500, 15)])
def test_error_volume_tiers(errors, points):
    assert risk(errors_30=errors)["risk_score"] == points


def test_error_volume_reason_names_the_error_count():
    [fired] = risk(errors_30=10)["fired_rules"]

    assert fired == {"rule": "error_volume", "points": 15, "reason": "High error volume (10 errors in 30d)",
                     "evidence": {"n": 10}}


# --- satisfaction ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("rated", "total", "points", "reason"),
    [
        (1, 1, 12, "Low satisfaction score (1-2/5)"),
        (100, 249, 12, "Low satisfaction score (1-2/5)"),  # mean 2.49 rounds to 2
        (100, 250, 6, "Medium satisfaction score (3/5)"),  # mean 2.50 rounds half up to 3
        (100, 349, 6, "Medium satisfaction score (3/5)"),  # mean 3.49 rounds to 3
    ],
)
def test_satisfaction_tiers_use_the_mean_rounded_half_up(rated, total, points, reason):
    result = risk(rated_30=rated, satisfaction_sum_30=total)

    assert result["risk_score"] == points
    assert result["top_reasons"] == reason


@pytest.mark.parametrize(("rated", "total"), [(100, 350), (2, 9), (1, 5)])
def test_satisfaction_of_4_or_more_fires_no_rule(rated, total):
    assert risk(rated_30=rated, satisfaction_sum_30=total)["fired_rules"] == []


def test_satisfaction_rule_is_skipped_when_no_ticket_was_rated():
    # Tickets but none rated: there is no mean, so neither the low nor the medium tier fires.
    result = risk(tickets_30=2, rated_30=0, satisfaction_sum_30=0)

    assert result["fired_rules"] == []


def test_satisfaction_evidence_records_mean_and_rounded_mean():
    [fired] = risk(rated_30=100, satisfaction_sum_30=249)["fired_rules"]

    assert fired["evidence"] == {"mean": 2.49, "rounded": 2}


# --- yes/no rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("overrides", "fired"),
    [
        ({"churn_intent_30": 1},
         {"rule": "churn_intent", "points": 22, "reason": "Customer language suggests cancellation risk",
          "evidence": {"n": 1, "days": 30}}),
        ({"escalated_30": 2},
         {"rule": "escalation", "points": 10, "reason": "Ticket escalation (higher risk)", "evidence": {"n": 2}}),
        ({"downgrade_flag": True},
         {"rule": "downgrade", "points": 12, "reason": "Recent downgrade (value risk)", "evidence": {}}),
        ({"is_trial": True},
         {"rule": "trial", "points": 8, "reason": "Trial customer (activation risk)", "evidence": {}}),
    ],
)
def test_yes_no_rules_add_their_points_and_reason(overrides, fired):
    result = risk(**overrides)

    assert result["fired_rules"] == [fired]
    assert result["risk_score"] == fired["points"]


def test_churn_intent_evidence_quotes_the_texts_that_voiced_it():
    items = [{"source": "ticket", "id": "T-1", "phrase": "won't renew"}]
    frame = signals(churn_intent_30=1).assign(intent_evidence=[items])

    [fired] = evaluate_rules(frame, CONFIG).iloc[0]["fired_rules"]

    assert fired["evidence"] == {"n": 1, "days": 30, "items": items}  # days: the look-back


@pytest.mark.parametrize("overrides", [{"churn_intent_30": 0}, {"escalated_30": 0}, {"downgrade_flag": False}])
def test_yes_no_rules_stay_silent_when_their_condition_is_false(overrides):
    assert risk(**overrides)["fired_rules"] == []


# --- score, level, reasons and actions ------------------------------------------------------------

ALL_RULES = {
    "usage_prev": 5, "usage_30": 2, "tickets_30": 6, "errors_30": 10, "churn_intent_30": 1, "rated_30": 1,
    "satisfaction_sum_30": 1, "escalated_30": 1, "downgrade_flag": True, "is_trial": True,
}


def test_score_is_capped_at_100_when_every_rule_fires():
    result = risk(**ALL_RULES)

    assert [f["points"] for f in result["fired_rules"]] == [40, 18, 15, 22, 12, 10, 12, 8]  # 137 in total
    assert result["risk_score"] == 100
    assert result["risk_level"] == "High"


def test_top_reasons_are_the_first_three_fired_in_table_order():
    result = risk(**ALL_RULES)

    assert result["top_reasons"] == (
        "Usage dropped 60% (30d vs prior); High support load (6 tickets in 30d); High error volume (10 errors in 30d)"
    )


def test_top_reasons_follow_table_order_not_points():
    result = risk(is_trial=True, downgrade_flag=True, escalated_30=1, churn_intent_30=1)

    assert result["top_reasons"] == (
        "Customer language suggests cancellation risk; Ticket escalation (higher risk); Recent downgrade (value risk)"
    )


def test_top_reasons_follow_table_order_whatever_the_order_of_the_configuration_list():
    reversed_config = config_with(lambda d: d["risk_rules"].reverse())

    result = risk(reversed_config, is_trial=True, tickets_30=3)

    assert result["top_reasons"] == "High support load (3 tickets in 30d); Trial customer (activation risk)"


@pytest.mark.parametrize(
    ("overrides", "score", "level"),
    [
        ({"usage_prev": 5, "usage_30": 2, "downgrade_flag": True, "is_trial": True}, 60, "High"),  # 40+12+8
        ({"usage_prev": 5, "usage_30": 3, "errors_30": 10, "rated_30": 1, "satisfaction_sum_30": 3,
          "escalated_30": 1}, 59, "Medium"),  # 28+15+6+10
        ({"churn_intent_30": 1, "is_trial": True}, 30, "Medium"),  # 22+8
        ({"errors_30": 10, "rated_30": 1, "satisfaction_sum_30": 3, "is_trial": True}, 29, "Low"),  # 15+6+8
    ],
)
def test_risk_level_boundaries(overrides, score, level):
    result = risk(**overrides)

    assert (result["risk_score"], result["risk_level"]) == (score, level)


@pytest.mark.parametrize(
    ("overrides", "actions"),
    [
        ({}, DEFAULT_ACTION),
        ({"is_trial": True}, "Offer guided onboarding session; Share onboarding checklist + milestones"),
        ({"escalated_30": 1},
         "Confirm resolution plan and close the loop; Escalate repeat issues with a clear timeline"),
        # support_load and escalation share one group: its actions appear once
        ({"tickets_30": 6, "escalated_30": 1},
         "Confirm resolution plan and close the loop; Escalate repeat issues with a clear timeline"),
        ({"usage_prev": 5, "usage_30": 4, "tickets_30": 3},
         "Schedule a check-in to reset goals; Recommend 1-2 key features to activate this week; "
         "Confirm resolution plan and close the loop"),
        # SPEC order is trial, satisfaction, downgrade: not the rule table's order
        ({"downgrade_flag": True, "rated_30": 1, "satisfaction_sum_30": 2, "is_trial": True},
         "Offer guided onboarding session; Share onboarding checklist + milestones; "
         "Follow up on dissatisfaction with a recovery plan"),
        ({"downgrade_flag": True, "churn_intent_30": 1},
         "Offer a value review (ROI + quick wins); Create a 2-week success plan with milestones; "
         "Run a value-gap call to understand missing needs"),
        ({"rated_30": 1, "satisfaction_sum_30": 3},
         "Follow up on dissatisfaction with a recovery plan; Offer proactive support for the next 7 days"),
        ({"downgrade_flag": True},
         "Run a value-gap call to understand missing needs; Offer training or enablement for key workflows"),
    ],
)
def test_recommended_actions_are_the_first_three_of_the_fired_groups_in_spec_order(overrides, actions):
    assert risk(**overrides)["recommended_actions"] == actions


# --- configuration takes effect -------------------------------------------------------------------

def test_a_disabled_rule_adds_nothing():
    config = config_with(lambda d: rule_doc(d, "usage_drop").update(enabled=False))

    result = risk(config, usage_prev=5, usage_30=2, is_trial=True)

    assert result["risk_score"] == 8
    assert [f["rule"] for f in result["fired_rules"]] == ["trial"]
    assert result["top_reasons"] == "Trial customer (activation risk)"
    assert result["recommended_actions"] == "Offer guided onboarding session; Share onboarding checklist + milestones"


def test_a_disabled_satisfaction_rule_adds_nothing_for_a_low_score():
    config = config_with(lambda d: rule_doc(d, "satisfaction").update(enabled=False))

    assert risk(config, rated_30=3, satisfaction_sum_30=3)["risk_score"] == 0


def test_changed_thresholds_points_and_reason_take_effect():
    def edit(document):
        rule_doc(document, "support_load")["tiers"] = [
            {"threshold": 4, "points": 20, "reason": "Many tickets: {n}"},
            {"threshold": 2, "points": 5, "reason": "Some tickets: {n}"},
        ]

    config = config_with(edit)

    assert score_and_reasons(config, tickets_30=1) == (0, "")
    assert score_and_reasons(config, tickets_30=2) == (5, "Some tickets: 2")
    assert score_and_reasons(config, tickets_30=3) == (5, "Some tickets: 3")
    assert score_and_reasons(config, tickets_30=4) == (20, "Many tickets: 4")


def test_changed_usage_drop_text_can_quote_both_windows():
    def edit(document):
        rule_doc(document, "usage_drop")["tiers"][2]["reason"] = "Usage {prior} -> {last} (-{pct}%)"

    assert risk(config_with(edit), usage_prev=200, usage_30=143)["top_reasons"] == "Usage 200 -> 143 (-29%)"


def test_changed_risk_levels_take_effect():
    config = config_with(lambda d: d.update(risk_levels={"high": 20, "medium": 10}))

    assert risk(config, is_trial=True)["risk_level"] == "Low"  # 8
    assert risk(config, tickets_30=3)["risk_level"] == "Medium"  # 10
    assert risk(config, churn_intent_30=1)["risk_level"] == "High"  # 22


def test_changed_action_groups_and_default_action_take_effect():
    def edit(document):
        document["action_groups"] = [{"rules": ["trial", "downgrade"], "actions": ["Call the owner"]}]
        document["default_action"] = "Nothing to do"

    config = config_with(edit)

    assert risk(config, is_trial=True)["recommended_actions"] == "Call the owner"
    assert risk(config, tickets_30=3)["recommended_actions"] == "Nothing to do"  # no group for support_load
    assert risk(config)["recommended_actions"] == "Nothing to do"


# --- many subscriptions at once -------------------------------------------------------------------

def test_each_row_is_scored_on_its_own_and_keeps_its_index():
    frame = pd.concat([signals(is_trial=True), signals(), signals(tickets_30=6, usage_prev=5, usage_30=1)])
    frame.index = ["S-1", "S-2", "S-3"]

    result = evaluate_rules(frame, CONFIG)

    assert list(result.index) == ["S-1", "S-2", "S-3"]
    assert result["risk_score"].tolist() == [8, 0, 58]
    assert result["risk_level"].tolist() == ["Low", "Low", "Medium"]
    assert result["top_reasons"].tolist() == [
        "Trial customer (activation risk)", "",
        "Usage dropped 80% (30d vs prior); High support load (6 tickets in 30d)",
    ]
    assert [[f["rule"] for f in rules] for rules in result["fired_rules"]] == [
        ["trial"], [], ["usage_drop", "support_load"]
    ]
