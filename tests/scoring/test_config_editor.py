"""The scoring configuration's editor in admin (docs/scoring.md): a draft's weights, thresholds, rules and texts
as a form that reads back into exactly the document it shows, refuses what the JSON would refuse (and weights
that do not add up to 100) next to the field with everything typed kept and nothing saved, feeds the preview,
and is open to admins only; the JSON export and "Edit as JSON" stay."""

import copy
import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from accounts.models import AuditEvent
from scoring.config import edited_config_problems
from scoring.configs import config_changes, config_draft_create, config_export, ensure_active_config
from scoring.models import ConfigStatus, ScoringConfig
from tests.scoring.page_data import OWN_RISK, SATISFACTION_REASON, score_book

pytestmark = pytest.mark.django_db

WEIGHTS_WRONG = "health.measures: the weights must add up to 100 (they add up to 105)"


@pytest.fixture
def draft(admin_user):
    ensure_active_config()
    return config_draft_create(user=admin_user, name="Tuning", notes="Q3 review")


def change_url(config: ScoringConfig, query: str = "") -> str:
    return reverse("admin:scoring_scoringconfig_change", args=[config.pk]) + query


class _FormReader(HTMLParser):
    """What a browser would post of the page's editor form: every input's value, checked boxes, textareas."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self.inputs: dict[str, dict] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") != "submit":
            self.inputs[name] = attrs
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.values[name] = "on"
            else:
                self.values[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self.values[name] = name, ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # Browsers drop the one newline that follows <textarea>.
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None


def read_form(response) -> _FormReader:
    reader = _FormReader()
    reader.feed(response.content.decode())
    return reader


def page_values(client, config: ScoringConfig) -> dict[str, str]:
    values = read_form(client.get(change_url(config))).values
    values.pop("csrfmiddlewaretoken", None)
    return values


def post(client, config: ScoringConfig, values: dict[str, str], button: str = "_save"):
    return client.post(change_url(config), {**values, button: "Save"})


def audit_count(config: ScoringConfig) -> int:
    return AuditEvent.objects.filter(object_type="scoring.ScoringConfig", object_id=str(config.pk),
                                     action="changed").count()


def stored(config: ScoringConfig) -> tuple:
    config.refresh_from_db()
    return config.name, config.notes, config.data


# The form shows the document and reads back into it ------------------------------------------------------

def test_a_draft_opens_in_the_form_with_its_figures(client, admin_user, draft):
    client.force_login(admin_user)

    response = client.get(change_url(draft))

    assert response.status_code == 200
    values = read_form(response).values
    assert (values["weight_daily_active_rate"], values["tier_healthy"], values["risk_medium"]) == ("15", "60", "35")
    assert (values["rule_usage_drop_1_threshold"], values["rule_usage_drop_1_points"]) == ("0.9", "60")
    assert values["rule_usage_drop_1_reason"] == "Usage dropped {pct}% (30d vs prior)"
    assert "rule_usage_drop_enabled" in values and "rule_support_load_enabled" not in values  # on, off
    assert values["rule_churn_intent_days"] == "90" and "rule_usage_drop_days" not in values
    assert values["actions_0"] == "Schedule a check-in to reset goals\nRecommend 1-2 key features to activate this week"
    assert values["alert_usage_cliff_drop"] == "0.5" and values["name"] == "Tuning"
    assertContains(response, 'Weights add up to <strong id="weight-total">100</strong> of 100.')
    assertContains(response, f'<a href="{change_url(draft, "?json=1")}">Edit as JSON</a>', html=True)
    assertContains(response, '<script src="/static/js/config_weights.js" defer></script>', html=True)


def test_posting_the_form_as_shown_gives_back_the_same_document(client, admin_user, draft):
    before = copy.deepcopy(draft.data)
    client.force_login(admin_user)

    response = post(client, draft, page_values(client, draft))

    assertRedirects(response, change_url(draft), fetch_redirect_response=False)
    assert stored(draft) == ("Tuning", "Q3 review", before)
    assert audit_count(draft) == 0  # nothing changed, nothing to record


def test_every_field_reads_back_into_its_place_in_the_document(client, admin_user, draft):
    """Each field of the page, changed on its own, changes exactly its own value in the JSON."""
    client.force_login(admin_user)
    values = page_values(client, draft)
    expected = copy.deepcopy(draft.data)
    changed = dict(values)
    # A new value for every field, each still valid: weights trade 1 point, thresholds move inside their order.
    changed["weight_daily_active_rate"], changed["weight_feature_adoption_depth"] = "16", "9"
    expected["health"]["measures"][0]["weight"], expected["health"]["measures"][1]["weight"] = 16, 9
    changed["bad_daily_active_rate"], changed["good_daily_active_rate"] = "0.25", "0.95"
    expected["health"]["measures"][0]["normalisation"].update(bad=0.25, good=0.95)
    changed["tier_thriving"], changed["tier_at_risk"] = "85", "45"
    expected["health"]["tiers"][0]["min"], expected["health"]["tiers"][2]["min"] = 85, 45
    changed["trend_days"], changed["trend_stable_band"] = "14", "2.5"
    expected["health"]["trend"] = {"days": 14, "stable_band": 2.5}
    changed["risk_high"], changed["risk_medium"] = "70", "40"
    expected["risk_levels"] = {"high": 70, "medium": 40}
    del changed["rule_trial_enabled"]
    changed["rule_support_load_enabled"] = "on"
    changed["rule_failed_payment_days"] = ""  # empty: the rule's own default look-back
    changed["rule_usage_drop_2_threshold"], changed["rule_usage_drop_2_points"] = "0.7", "30"
    changed["rule_usage_drop_2_reason"] = "Usage fell {pct}%"
    changed["rule_churn_intent_2_threshold"] = ""  # the last recency tier may leave its threshold out
    changed["rule_escalation_1_reason"] = "Escalated ({n})"
    changed["actions_0"] = "Call them\n\n  Plan a review  \n"
    changed["default_action"] = "Keep in touch"
    del changed["alert_critical_drop_enabled"]
    changed["alert_usage_cliff_days"], changed["alert_core_feature_unused_min_active_share"] = "5", "0.4"
    changed["name"], changed["notes"] = "Tuned", "Fewer false alarms"
    rules = {rule["id"]: rule for rule in expected["risk_rules"]}
    rules["trial"]["enabled"], rules["support_load"]["enabled"] = False, True
    del rules["failed_payment"]["days"]
    rules["usage_drop"]["tiers"][1] = {"threshold": 0.7, "points": 30, "reason": "Usage fell {pct}%"}
    del rules["churn_intent"]["tiers"][1]["threshold"]
    rules["escalation"]["tiers"][0]["reason"] = "Escalated ({n})"
    expected["action_groups"][0]["actions"] = ["Call them", "Plan a review"]
    expected["default_action"] = "Keep in touch"
    expected["alerts"]["critical_drop"]["enabled"] = False
    expected["alerts"]["usage_cliff"]["days"] = 5
    expected["alerts"]["core_feature_unused"]["min_active_share"] = 0.4

    response = post(client, draft, changed)

    assertRedirects(response, change_url(draft), fetch_redirect_response=False)
    assert stored(draft) == ("Tuned", "Fewer false alarms", expected)
    event = AuditEvent.objects.get(object_type="scoring.ScoringConfig", object_id=str(draft.pk), action="changed")
    assert (event.user, event.changes["health.measures[0].weight"], event.changes["name"]) == (
        admin_user, [15, 16], ["Tuning", "Tuned"])
    assert event.changes["risk_rules[1].enabled"] == [False, True]


def test_the_export_is_the_stored_document_as_json(client, admin_user, manager, draft):
    client.force_login(admin_user)

    response = client.get(reverse("admin:scoring_scoringconfig_export", args=[draft.pk]))

    assert response["Content-Disposition"] == f'attachment; filename="scoring-config-v{draft.version}.json"'
    assert json.loads(response.content) == config_export(draft) == {"name": "Tuning", **draft.data}
    client.force_login(manager)
    assert client.get(reverse("admin:scoring_scoringconfig_export", args=[draft.pk])).status_code == 200


# Refusals: next to the field, everything typed kept, nothing saved ---------------------------------------

def test_weights_that_do_not_add_up_to_100_are_refused(client, admin_user, draft):
    before = stored(draft)
    client.force_login(admin_user)
    values = {**page_values(client, draft), "weight_daily_active_rate": "20", "risk_medium": "33"}

    response = post(client, draft, values)

    assert response.status_code == 200
    assertContains(response, f'<ul class="errorlist" id="weights-errors"><li>{WEIGHTS_WRONG}</li></ul>', html=True)
    assertContains(response, 'Weights add up to <strong id="weight-total">105</strong> of 100.')
    kept = read_form(response).values
    assert (kept["weight_daily_active_rate"], kept["risk_medium"]) == ("20", "33")
    assert stored(draft) == before and audit_count(draft) == 0


@pytest.mark.parametrize(("edit", "where", "problem"), [
    ({"tier_healthy": "85"}, "tiers-errors",
     "health.tiers: thresholds overlap; each tier&#x27;s minimum must be lower than the one before and "
     "Critical&#x27;s must be 0 (got [80, 85, 40, 20, 0])"),
    ({"risk_medium": "70"}, "levels-errors", "risk_levels overlap: need 0 &lt; medium &lt; high &lt;= 100 "
                                             "(got medium 70, high 60)"),
], ids=["health-tiers", "risk-levels"])
def test_thresholds_out_of_order_are_refused_in_their_section(client, admin_user, draft, edit, where, problem):
    before = stored(draft)
    client.force_login(admin_user)

    response = post(client, draft, {**page_values(client, draft), **edit})

    assert response.status_code == 200
    assertContains(response, f'<ul class="errorlist" id="{where}"><li>{problem}</li></ul>', html=True)
    assert {name: read_form(response).values[name] for name in edit} == edit
    assert stored(draft) == before and audit_count(draft) == 0


def test_a_rules_tiers_out_of_order_are_refused_beside_the_rule(client, admin_user, draft):
    before = stored(draft)
    client.force_login(admin_user)

    response = post(client, draft, {**page_values(client, draft), "rule_usage_drop_2_threshold": "0.95"})

    rule = response.content.decode().split('id="rule-usage_drop"')[1].split('id="rule-')[0]
    assert "risk rule &#x27;usage_drop&#x27;: thresholds overlap; list them from the highest to the lowest, each " \
           "lower than the one before (got [0.9, 0.95, 0.4, 0.2])" in rule
    assert stored(draft) == before


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("rule_usage_drop_1_reason", "Usage\x00dropped", "This text contains a NUL character (\\0); remove it."),
    ("rule_usage_drop_1_reason", "x" * 10_000, "Keep it to 300 characters."),
    ("rule_usage_drop_1_reason", "Usage dropped {percent}",
     "risk rule &#x27;usage_drop&#x27;, tier 1: unknown placeholder percent (allowed: {last}, {pct}, {prior})"),
    ("weight_daily_active_rate", "١٥", "Write a number with the digits 0-9, such as 15 or 0.6."),
    ("weight_daily_active_rate", "1e400", "Write a number with the digits 0-9, such as 15 or 0.6."),
    ("weight_daily_active_rate", "nan", "Write a number with the digits 0-9, such as 15 or 0.6."),
    ("weight_daily_active_rate", "9" * 400, "Write at most 20 characters."),
    ("weight_daily_active_rate", "", "Give a number."),
    ("weight_daily_active_rate", "-5", "measure &#x27;daily_active_rate&#x27;: weight must be a positive number "
                                       "(got -5)"),
    ("rule_usage_drop_1_points", "99999999999999999999",
     "risk rule &#x27;usage_drop&#x27;, tier 1: points must be a whole number from 1 to 100"),
    ("rule_usage_drop_1_points", "12.5",
     "risk rule &#x27;usage_drop&#x27;, tier 1: points must be a whole number from 1 to 100"),
    ("actions_0", "\n \n", "action_groups[0]: actions must be non-empty texts"),
], ids=["nul", "long-text", "placeholder", "arabic-digits", "overflow", "nan", "huge", "empty", "negative",
        "huge-points", "fractional-points", "no-actions"])
def test_hostile_or_wrong_input_is_refused_at_the_field(client, admin_user, draft, field, typed, message):
    before = stored(draft)
    client.force_login(admin_user)

    response = post(client, draft, {**page_values(client, draft), field: typed})

    assert response.status_code == 200
    assert f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li></ul>' in response.content.decode()
    assert stored(draft) == before and audit_count(draft) == 0


# The preview from the form ---------------------------------------------------------------------------------

def test_a_rule_switched_off_is_stored_and_changes_the_preview(client, admin_user, draft, own_account,
                                                               foreign_account):
    score_book(own_account, foreign_account)
    client.force_login(admin_user)
    values = page_values(client, draft)
    del values["rule_usage_drop_enabled"]

    response = post(client, draft, values, button="_preview")

    assertRedirects(response, reverse("admin:scoring_scoringconfig_preview", args=[draft.pk]),
                    fetch_redirect_response=False)
    draft.refresh_from_db()
    assert next(r for r in draft.data["risk_rules"] if r["id"] == "usage_drop")["enabled"] is False
    preview = client.get(response["Location"])
    # Lakeside's usage drop (40 points) no longer counts: only its satisfaction (12) is left.
    row = preview.content.decode().split("Lakeside Family Practice (A-OWN)")[1].split("</tr>")[0]
    assert "<td>Medium → Low</td>" in row and f"<td>{OWN_RISK} → 12</td>" in row
    assert OWN_RISK - 40 == 12 and SATISFACTION_REASON  # the page data's own arithmetic


# Who may edit ---------------------------------------------------------------------------------------------

def test_a_manager_reads_a_draft_but_cannot_change_it(client, manager, draft):
    before = stored(draft)
    client.force_login(manager)

    page = client.get(change_url(draft))
    response = client.post(change_url(draft), {"weight_daily_active_rate": "20", "_save": "Save"})

    assert page.status_code == 200
    assertNotContains(page, 'id="config-editor"')
    assertNotContains(page, 'name="_save"')
    assert response.status_code == 403
    assert stored(draft) == before and audit_count(draft) == 0


def test_a_csm_cannot_open_a_draft(client, csm, draft):
    client.force_login(csm)

    assert client.get(change_url(draft)).status_code == 403
    assert client.post(change_url(draft), {"risk_medium": "20", "_save": "Save"}).status_code == 403
    assert client.get(reverse("admin:scoring_scoringconfig_export", args=[draft.pk])).status_code == 403


def test_the_active_configuration_stays_read_only(client, admin_user, draft):
    active = ensure_active_config()
    before = stored(active)
    client.force_login(admin_user)

    page = client.get(change_url(active))
    response = client.post(change_url(active), {**page_values(client, draft), "risk_medium": "20", "_save": "Save"})

    assertNotContains(page, 'id="config-editor"')
    assertNotContains(page, 'name="_save"')
    assertContains(page, "Copy into a new draft")
    assert response.status_code == 403
    assert stored(active) == before and active.status == ConfigStatus.ACTIVE


def test_the_editor_page_reads_a_fixed_number_of_rows(client, admin_user, draft, django_assert_max_num_queries):
    client.force_login(admin_user)
    with django_assert_max_num_queries(6):  # session, user, the draft: none per rule or measure
        client.get(change_url(draft))


# Edit as JSON ----------------------------------------------------------------------------------------------

def test_editing_as_json_is_checked_as_the_form_is(client, admin_user, draft):
    before = stored(draft)
    data = copy.deepcopy(draft.data)
    data["health"]["measures"][0]["weight"] = 20
    client.force_login(admin_user)

    page = client.get(change_url(draft, "?json=1"))
    refused = client.post(change_url(draft, "?json=1"),
                          {"name": "Tuning", "notes": "", "data": json.dumps(data), "_save": "Save"})

    assertContains(page, 'name="data"')
    assert refused.status_code == 200
    assertContains(refused, f"<li>{WEIGHTS_WRONG}</li>", html=True)
    assert stored(draft) == before


def test_editing_as_json_saves_and_records_the_change(client, admin_user, draft):
    data = copy.deepcopy(draft.data)
    data["risk_levels"]["medium"] = 30
    client.force_login(admin_user)

    response = client.post(change_url(draft, "?json=1"),
                           {"name": "Tuning", "notes": "Q3 review", "data": json.dumps(data), "_save": "Save"})

    assert response.status_code == 302
    assert stored(draft) == ("Tuning", "Q3 review", data)
    event = AuditEvent.objects.get(object_type="scoring.ScoringConfig", object_id=str(draft.pk), action="changed")
    assert event.changes == {"risk_levels.medium": [35, 30]}


# The rules behind the form ----------------------------------------------------------------------------------

def test_edited_configurations_need_weights_of_100_and_say_where():
    data = ensure_active_config().data
    data["health"]["measures"][0]["weight"] = 20

    assert edited_config_problems(data) == [(("health", "measures"), WEIGHTS_WRONG)]


def test_changes_are_listed_by_path():
    before = {"a": [1, {"b": 2}], "c": "x", "d": [1]}
    after = {"a": [1, {"b": 3}], "c": "x", "d": [1, 2], "e": True}

    assert config_changes(before, after) == {"a[1].b": [2, 3], "d": [[1], [1, 2]], "e": [None, True]}
