"""The scoring configuration (docs/scoring.md): the seed's preset is valid and matches the SPEC's table; every kind
of invalid document is refused with a sentence that names the problem. (The shipped default, which fits
the same rules to the book, is checked in test_fitted_rules.)"""

import pytest

from scoring.config import (
    ALERT_TYPES,
    MEASURE_IDS,
    RULE_IDS,
    ConfigError,
    default_config,
    parse_config,
    parsed_document,
    preset_config,
    validate_config,
)


def rule_doc(document: dict, rule_id: str) -> dict:
    return next(r for r in document["risk_rules"] if r["id"] == rule_id)


def measure_doc(document: dict, measure_id: str) -> dict:
    return next(m for m in document["health"]["measures"] if m["id"] == measure_id)


def problems_after(edit) -> list[str]:
    """The problems of the default configuration after `edit(document)`."""
    document = preset_config("seed-001")
    edit(document)
    return validate_config(document)


# --- the default ----------------------------------------------------------------------------------

def test_the_default_configuration_is_valid():
    assert validate_config(preset_config("seed-001")) == []


def test_a_stored_document_is_parsed_once_and_a_changed_one_again():
    document = preset_config("seed-001")
    changed = preset_config("seed-001")
    rule_doc(changed, "usage_drop")["enabled"] = False

    first, again = parsed_document(document), parsed_document(preset_config("seed-001"))
    other = parsed_document(changed)

    assert first == parse_config(document) and again is first
    assert other != first and not next(r for r in other.rules if r.id == "usage_drop").enabled
    broken = preset_config("seed-001")
    broken["risk_levels"]["high"] = "many"
    with pytest.raises(ConfigError):
        parsed_document(broken)


def test_default_config_returns_a_fresh_copy_each_time():
    first = preset_config("seed-001")
    first["risk_rules"][0]["enabled"] = False
    first["health"]["measures"].clear()

    assert preset_config("seed-001")["risk_rules"][0]["enabled"] is True
    assert len(preset_config("seed-001")["health"]["measures"]) == 17


def test_default_rules_match_the_spec_table():
    config = parse_config(preset_config("seed-001"))

    assert [r.id for r in config.rules if r.enabled] == [
        "usage_drop", "support_load", "error_volume", "churn_intent", "satisfaction", "escalation", "downgrade",
        "trial",
    ]
    assert {r.id: [(t.threshold, t.points, t.reason) for t in r.tiers] for r in config.rules if r.enabled} == {
        "usage_drop": [(0.60, 40, "Usage dropped {pct}% (30d vs prior)"),
                       (0.40, 28, "Usage dropped {pct}% (30d vs prior)"),
                       (0.20, 12, "Usage dropped {pct}% (30d vs prior)")],
        "support_load": [(6, 18, "High support load ({n} tickets in 30d)"),
                         (3, 10, "High support load ({n} tickets in 30d)")],
        "error_volume": [(10, 15, "High error volume ({n} errors in 30d)"),
                         (3, 8, "High error volume ({n} errors in 30d)")],
        "churn_intent": [(None, 22, "Customer language suggests cancellation risk")],
        "satisfaction": [(2, 12, "Low satisfaction score (1-2/5)"), (3, 6, "Medium satisfaction score (3/5)")],
        "escalation": [(None, 10, "Ticket escalation (higher risk)")],
        "downgrade": [(None, 12, "Recent downgrade (value risk)")],
        "trial": [(None, 8, "Trial customer (activation risk)")],
    }
    assert (config.high, config.medium) == (60, 30)
    assert config.default_action == "Maintain regular touchpoints and monitor health signals"


def test_default_action_groups_follow_the_spec_order():
    config = parse_config(preset_config("seed-001"))

    assert [g.rules for g in config.action_groups] == [
        ("usage_drop",), ("support_load", "escalation"), ("churn_intent",), ("trial",), ("satisfaction",),
        ("downgrade",),
    ]
    assert all(len(g.actions) == 2 for g in config.action_groups)


def test_default_measure_weights_match_the_spec():
    config = parse_config(preset_config("seed-001"))
    weights = {m.id: m.weight for m in config.measures}
    by_group: dict[str, float] = {}
    for m in config.measures:
        by_group[m.group] = by_group.get(m.group, 0) + m.weight

    assert by_group == {"usage": 40, "engagement": 30, "business": 20, "relationship": 10}
    assert weights == {
        "daily_active_rate": 15, "feature_adoption_depth": 10, "usage_trend_30d": 10, "plan_utilisation": 5,
        "support_sentiment": 10, "feature_request_activity": 8, "community_participation": 5,
        "onboarding_completion": 4, "documentation_engagement": 3,
        "payment_health": 8, "contract_trend": 6, "team_adoption": 4, "integration_health": 2,
        "csm_interactions": 4, "executive_engagement": 3, "referral_likelihood": 2, "case_study_participation": 1,
    }


def test_default_health_tiers_match_the_spec():
    config = parse_config(preset_config("seed-001"))

    assert [(t.name, t.min) for t in config.tiers] == [
        ("Thriving", 80), ("Healthy", 60), ("At risk", 40), ("High risk", 20), ("Critical", 0),
    ]


def test_parse_config_keeps_disabled_rules_and_normalisations():
    def edit(document):
        rule_doc(document, "trial")["enabled"] = False
        measure_doc(document, "referral_likelihood")["normalisation"] = {"method": "percentile", "within": "segment"}

    document = preset_config("seed-001")
    edit(document)
    config = parse_config(document)

    assert config.rule("trial").enabled is False
    assert config.rule("trial").direction == "flag"
    referral = next(m for m in config.measures if m.id == "referral_likelihood")
    assert (referral.group, referral.weight) == ("relationship", 2.0)
    assert (referral.normalisation.method, referral.normalisation.within) == ("percentile", "segment")


def test_parsed_alerts_do_not_change_when_the_document_does():
    document = preset_config("seed-001")
    config = parse_config(document)

    document["alerts"]["critical_drop"]["below"] = 5

    assert config.alerts["critical_drop"]["below"] == 20


def test_name_and_notes_are_allowed_at_the_top_level():
    assert problems_after(lambda d: d.update(name="Q3 tuning", notes="stricter usage drop")) == []


# --- invalid documents ----------------------------------------------------------------------------

def not_an_object(kind: str) -> str:
    return ("the configuration must be a JSON object {...} with the keys risk_rules, risk_levels, action_groups, "
            f"default_action, health, alerts (got {kind}); start from a copy of the active configuration "
            "(`manage.py scoring_config export FILE.json`, or Copy in admin)")


@pytest.mark.parametrize(("document", "kind"), [
    ([], "a list"), ("config", "a text"), (None, "null"), (42, "a number"), (True, "true or false"),
    ([{"risk_rules": []}], "a list"),
])
def test_a_document_that_is_not_a_json_object_is_refused_with_the_keys_it_needs(document, kind):
    assert validate_config(document) == [not_an_object(kind)]


@pytest.mark.parametrize("weight", [0, -5, "10", True, None])
def test_a_measure_weight_must_be_positive(weight):
    problems = problems_after(lambda d: measure_doc(d, "daily_active_rate").update(weight=weight))

    assert problems == [f"measure 'daily_active_rate': weight must be a positive number (got {weight!r})"]


def test_usage_drop_thresholds_must_decrease():
    def edit(document):
        rule_doc(document, "usage_drop")["tiers"][0]["threshold"] = 0.30  # 0.30, 0.40, 0.20

    assert problems_after(edit) == [
        "risk rule 'usage_drop': thresholds overlap; list them from the highest to the lowest, each lower than "
        "the one before (got [0.3, 0.4, 0.2])"
    ]


def test_equal_thresholds_overlap():
    def edit(document):
        rule_doc(document, "support_load")["tiers"][1]["threshold"] = 6

    assert problems_after(edit) == [
        "risk rule 'support_load': thresholds overlap; list them from the highest to the lowest, each lower than "
        "the one before (got [6, 6])"
    ]


@pytest.mark.parametrize(("low", "medium"), [(3, 2), (3, 3)])
def test_satisfaction_thresholds_must_increase(low, medium):
    def edit(document):
        tiers = rule_doc(document, "satisfaction")["tiers"]
        tiers[0]["threshold"], tiers[1]["threshold"] = low, medium

    assert problems_after(edit) == [
        "risk rule 'satisfaction': thresholds overlap; list them from the lowest to the highest, each higher than "
        f"the one before (got [{low}, {medium}])"
    ]


@pytest.mark.parametrize("threshold", [-1, "0.5", None])
def test_a_tiered_rule_needs_a_threshold_of_zero_or_more(threshold):
    problems = problems_after(lambda d: rule_doc(d, "error_volume")["tiers"][0].update(threshold=threshold))

    assert problems == ["risk rule 'error_volume', tier 1: threshold must be a number >= 0"]


@pytest.mark.parametrize("points", [0, 101, 1.5, "10", True])
def test_points_must_be_a_whole_number_from_1_to_100(points):
    problems = problems_after(lambda d: rule_doc(d, "trial")["tiers"][0].update(points=points))

    assert problems == ["risk rule 'trial', tier 1: points must be a whole number from 1 to 100"]


@pytest.mark.parametrize(("healthy", "critical"), [(80, 0), (85, 0), (60, 5)])
def test_health_tiers_must_not_overlap(healthy, critical):
    def edit(document):
        document["health"]["tiers"][1]["min"] = healthy
        document["health"]["tiers"][4]["min"] = critical

    assert problems_after(edit) == [
        "health.tiers: thresholds overlap; each tier's minimum must be lower than the one before and Critical's "
        f"must be 0 (got [80, {healthy}, 40, 20, {critical}])"
    ]


def test_health_tiers_must_be_the_five_named_tiers_in_order():
    def edit(document):
        document["health"]["tiers"][0]["name"] = "Excellent"

    assert problems_after(edit) == [
        "health.tiers must list the five tiers in order: Thriving, Healthy, At risk, High risk, Critical"
    ]


@pytest.mark.parametrize(("medium", "high"), [(60, 60), (70, 60), (0, 60), (30, 101)])
def test_risk_levels_must_not_overlap(medium, high):
    problems = problems_after(lambda d: d.update(risk_levels={"high": high, "medium": medium}))

    assert problems == [f"risk_levels overlap: need 0 < medium < high <= 100 (got medium {medium}, high {high})"]


def test_risk_levels_need_both_numbers():
    assert problems_after(lambda d: d.update(risk_levels={"high": 60})) == [
        "risk_levels needs numbers 'high' and 'medium'"
    ]


def test_an_unknown_rule_id_is_refused():
    def edit(document):
        document["risk_rules"].append({"id": "usage_spike", "enabled": True, "tiers": []})

    assert problems_after(edit) == [
        "risk_rules[8]: unknown rule id 'usage_spike' (known: usage_drop, support_load, error_volume, churn_intent, "
        "satisfaction, escalation, downgrade, trial, error_rate, failed_payment, champion_left, silence, "
        "low_health, trial_adoption, detractor, ticket_spike)"
    ]


def test_a_missing_rule_is_refused_with_a_hint_to_disable_it_instead():
    problems = problems_after(lambda d: d["risk_rules"].remove(rule_doc(d, "trial")))

    assert problems == ["risk rule 'trial' is missing (switch it off with \"enabled\": false instead)"]


def test_a_rule_listed_twice_is_refused():
    problems = problems_after(lambda d: d["risk_rules"].append(rule_doc(d, "escalation")))

    assert problems == ["risk rule 'escalation' is listed twice"]


def test_enabled_must_be_true_or_false():
    problems = problems_after(lambda d: rule_doc(d, "downgrade").update(enabled="yes"))

    assert problems == ["risk rule 'downgrade': 'enabled' must be true or false"]


def test_a_yes_no_rule_has_exactly_one_tier():
    def edit(document):
        rule = rule_doc(document, "escalation")
        rule["tiers"].append(dict(rule["tiers"][0]))

    assert problems_after(edit) == ["risk rule 'escalation': a yes/no rule has exactly one tier"]


def test_a_rule_without_tiers_is_refused():
    assert problems_after(lambda d: rule_doc(d, "support_load").update(tiers=[])) == [
        "risk rule 'support_load': 'tiers' must be a non-empty list"
    ]


def test_an_unknown_placeholder_in_a_reason_is_refused():
    def edit(document):
        rule_doc(document, "support_load")["tiers"][1]["reason"] = "High support load ({count} tickets)"

    assert problems_after(edit) == [
        "risk rule 'support_load', tier 2: unknown placeholder count (allowed: {n})"
    ]


def test_a_rule_without_placeholders_allows_none():
    def edit(document):
        rule_doc(document, "trial")["tiers"][0]["reason"] = "Trial for {days} days"

    assert problems_after(edit) == ["risk rule 'trial', tier 1: unknown placeholder days (allowed: none)"]


@pytest.mark.parametrize("reason", ["Usage dropped {pct% (30d vs prior)", "", "   ", None])
def test_a_reason_must_be_a_non_empty_valid_format_text(reason):
    problems = problems_after(lambda d: rule_doc(d, "usage_drop")["tiers"][0].update(reason=reason))

    assert problems == ["risk rule 'usage_drop', tier 1: reason must be a non-empty text with valid {placeholders}"]


def test_an_unknown_measure_id_is_refused():
    def edit(document):
        document["health"]["measures"].append(
            {"id": "nps_velocity", "weight": 3, "normalisation": {"method": "linear", "bad": 0, "good": 1}}
        )

    [problem] = problems_after(edit)

    assert problem.startswith("health.measures[17]: unknown measure id 'nps_velocity' (known: daily_active_rate, ")
    assert all(measure_id in problem for measure_id in MEASURE_IDS)


def test_a_measure_listed_twice_is_refused():
    problems = problems_after(lambda d: d["health"]["measures"].append(measure_doc(d, "team_adoption")))

    assert problems == ["measure 'team_adoption': listed twice"]


@pytest.mark.parametrize("normalisation", [{"method": "percentile"}, {"method": "percentile", "within": "region"}])
def test_percentile_normalisation_needs_within(normalisation):
    problems = problems_after(lambda d: measure_doc(d, "daily_active_rate").update(normalisation=normalisation))

    assert problems == [
        "measure 'daily_active_rate': percentile normalisation needs 'within': one of plan_tier, segment"
    ]


@pytest.mark.parametrize("within", ["plan_tier", "segment"])
def test_percentile_within_plan_tier_or_segment_is_valid(within):
    normalisation = {"method": "percentile", "within": within}

    assert problems_after(lambda d: measure_doc(d, "daily_active_rate").update(normalisation=normalisation)) == []


@pytest.mark.parametrize("normalisation", [{"method": "linear", "bad": 1, "good": 1},
                                           {"method": "linear", "bad": 0}, {"method": "linear", "bad": "0", "good": 1}])
def test_linear_normalisation_needs_two_different_numbers(normalisation):
    problems = problems_after(lambda d: measure_doc(d, "payment_health").update(normalisation=normalisation))

    assert problems == ["measure 'payment_health': linear normalisation needs two different numbers 'bad' and 'good'"]


def test_a_reversed_linear_normalisation_is_valid():
    normalisation = {"method": "linear", "bad": 10, "good": 0}

    assert problems_after(lambda d: measure_doc(d, "payment_health").update(normalisation=normalisation)) == []


def test_an_unknown_normalisation_method_is_refused():
    normalisation = {"method": "log", "bad": 0, "good": 1}

    assert problems_after(lambda d: measure_doc(d, "payment_health").update(normalisation=normalisation)) == [
        "measure 'payment_health': normalisation.method must be 'linear' or 'percentile'"
    ]


def test_an_unknown_alert_type_is_refused():
    def edit(document):
        document["alerts"]["nps_drop"] = {"enabled": True}

    assert problems_after(edit) == [
        f"alerts: unknown alert type 'nps_drop' (known: {', '.join(ALERT_TYPES)})"
    ]


def test_a_missing_alert_type_is_refused():
    problems = problems_after(lambda d: d["alerts"].pop("silent_account"))

    assert problems == ["alert 'silent_account': must be an object with 'enabled' true or false"]


@pytest.mark.parametrize(
    ("kind", "key", "value", "problem"),
    [
        ("critical_drop", "below", 0, "alert 'critical_drop': below must be a positive number"),
        ("silent_account", "days", -1, "alert 'silent_account': days must be a positive number"),
        ("usage_cliff", "drop", 1.5, "alert 'usage_cliff': drop must be a number above 0 and at most 1"),
        ("usage_cliff", "drop", 0, "alert 'usage_cliff': drop must be a number above 0 and at most 1"),
        ("core_feature_unused", "days", 31, "alert 'core_feature_unused': days must be at most 30"),
        ("core_feature_unused", "features", "ehr_sync",
         "alert 'core_feature_unused': features must be a list of feature names"),
        ("renewal_risk", "levels", ["Critical"], "alert 'renewal_risk': levels must be a list of High, Medium, Low"),
    ],
)
def test_alert_settings_are_checked(kind, key, value, problem):
    assert problems_after(lambda d: d["alerts"][kind].update({key: value})) == [problem]


def test_an_unknown_top_level_key_is_refused():
    [problem] = problems_after(lambda d: d.update(weights={}))

    assert problem.startswith("unknown key 'weights' (known: ")


def test_validate_config_lists_every_problem_at_once():
    def edit(document):
        measure_doc(document, "daily_active_rate")["weight"] = 0
        rule_doc(document, "satisfaction")["tiers"].reverse()
        document["risk_levels"] = {"high": 30, "medium": 60}
        document["alerts"]["nps_drop"] = {"enabled": True}

    assert problems_after(edit) == [
        "risk rule 'satisfaction': thresholds overlap; list them from the lowest to the highest, each higher than "
        "the one before (got [3, 2])",
        "risk_levels overlap: need 0 < medium < high <= 100 (got medium 60, high 30)",
        "measure 'daily_active_rate': weight must be a positive number (got 0)",
        f"alerts: unknown alert type 'nps_drop' (known: {', '.join(ALERT_TYPES)})",
    ]


def test_parse_config_raises_config_error_listing_every_problem():
    document = preset_config("seed-001")
    document["risk_rules"] = [r for r in document["risk_rules"] if r["id"] not in ("trial", "downgrade")]
    measure_doc(document, "team_adoption")["weight"] = -1

    with pytest.raises(ConfigError) as raised:
        parse_config(document)

    assert raised.value.problems == [
        "risk rule 'downgrade' is missing (switch it off with \"enabled\": false instead)",
        "risk rule 'trial' is missing (switch it off with \"enabled\": false instead)",
        "measure 'team_adoption': weight must be a positive number (got -1)",
    ]
    assert str(raised.value) == "; ".join(raised.value.problems)


def test_parse_config_refuses_a_non_object():
    with pytest.raises(ConfigError) as raised:
        parse_config([])

    assert raised.value.problems == [not_an_object("a list")]


def test_every_rule_id_is_known_to_the_configuration():
    assert RULE_IDS == tuple(r["id"] for r in default_config()["risk_rules"])
    assert RULE_IDS[:8] == tuple(r["id"] for r in preset_config("seed-001")["risk_rules"])


# --- malformed documents are reported, never raised ---

@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["risk_rules"][0].update(id=["usage_drop"]),
        lambda d: d["health"]["measures"][0].update(id={"name": "daily_active_rate"}),
        lambda d: d["action_groups"][0].update(rules=[["usage_drop"]]),
        lambda d: d["alerts"]["renewal_risk"].update(levels=[["High"]]),
    ],
    ids=["rule id", "measure id", "action group rule", "alert level"],
)
def test_a_malformed_id_is_reported_not_raised(edit):
    assert problems_after(edit) != []


def test_a_reason_with_an_invalid_format_spec_is_refused():
    def edit(document):
        rule_doc(document, "support_load")["tiers"][0]["reason"] = "High support load ({n:q} tickets)"

    assert problems_after(edit) != []


def test_a_threshold_that_is_not_a_finite_number_is_refused():
    def edit(document):
        rule_doc(document, "error_volume")["tiers"][0]["threshold"] = float("nan")

    assert "risk rule 'error_volume', tier 1: threshold must be a number >= 0" in problems_after(edit)


def test_an_infinite_weight_is_refused():
    def edit(document):
        measure_doc(document, "payment_health")["weight"] = float("inf")

    assert "measure 'payment_health': weight must be a positive number (got inf)" in problems_after(edit)


def test_the_declared_rules_name_the_path_of_each_refused_field():
    def edit(document):
        document["risk_rules"].append(5)
        document["action_groups"][0]["actions"] = [" "]
        measure_doc(document, "payment_health")["normalisation"] = {"method": "percentile"}
        document["health"]["trend"]["stable_band"] = "narrow"
        document["alerts"]["usage_cliff"]["days"] = 2.5

    assert problems_after(edit) == [
        "risk_rules[8]: must be an object with 'id' and 'enabled'",
        "action_groups[0]: actions must be non-empty texts",
        "measure 'payment_health': percentile normalisation needs 'within': one of plan_tier, segment",
        "health.trend.stable_band must be a number >= 0",
        "alert 'usage_cliff': days must be a whole number from 1 to 14",
    ]
