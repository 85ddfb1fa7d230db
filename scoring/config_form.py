"""The scoring configuration as a form people fill in (admin's editor of a draft, docs/scoring.md): health
weights, tier and risk-level thresholds, each rule's switch, look-back, thresholds, points and reason, the
recommended actions, the trend and the alerts' switches and figures.

The form is generated from the document it edits (its rules, measures, tiers, action groups and alerts, in
their order) and from the pydantic models of scoring.config (which figures an alert may hold); what it does
not show (rule families, risk caps, normalisation methods, alert lists) stays as the document has it, for the
JSON. It checks what was typed (digits, lengths, NUL characters), writes the values into a copy of the
document and validates that whole, as the JSON is validated (scoring.config.edited_config_problems); each
problem is shown next to the field or section it is about.
"""

import copy
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from scoring.config import (
    ALERT_FIGURES,
    MEASURE_IDS,
    RULE_DAYS,
    RULE_DIRECTIONS,
    RULE_LABELS,
    RULE_PLACEHOLDERS,
    edited_config_problems,
    slug,
)
from scoring.models import ScoringConfig

NUMBER_MAX_LENGTH = 20
TEXT_MAX_LENGTH = 300
ACTIONS_MAX_LENGTH = 3000
NUL_MESSAGE = {"null_characters_not_allowed": "This text contains a NUL character (\\0); remove it."}
DIRECTION_WORDS = {
    "at_least": "fires at or above a threshold; list the tiers from the highest threshold down",
    "at_most": "fires at or below a threshold; list the tiers from the lowest threshold up",
    "recency": "fires when the text is at most this many days old (empty: any within the look-back)",
    "flag": "fires when the condition holds",
}


class ConfigNumberField(forms.Field):
    """A number as a configuration holds it, written with the digits 0-9, an optional minus and decimal
    point: a whole number stays whole (15), a decimal is a decimal (0.6), so the JSON reads as typed."""

    widget = forms.NumberInput(attrs={"step": "any"})
    default_error_messages = {
        "required": "Give a number.",
        "invalid": "Write a number with the digits 0-9, such as 15 or 0.6.",
        "too_long": f"Write at most {NUMBER_MAX_LENGTH} characters.",
    }
    NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")

    def to_python(self, value: Any) -> int | float | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        if len(text) > NUMBER_MAX_LENGTH:
            raise ValidationError(self.error_messages["too_long"], code="too_long")
        if not self.NUMBER.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return float(text) if "." in text else int(text)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, float):  # 1e-05 would not read back: write it out
            return format(Decimal(repr(value)), "f")
        return value


class ActionsField(forms.CharField):
    """Recommended actions, one per line (blank lines left out)."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 80})

    def __init__(self, **kwargs):
        super().__init__(max_length=ACTIONS_MAX_LENGTH, error_messages={
            "max_length": f"Keep the actions to {ACTIONS_MAX_LENGTH} characters.", **NUL_MESSAGE}, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


def _text_field(label: str, required: bool = True) -> forms.CharField:
    return forms.CharField(label=label, max_length=TEXT_MAX_LENGTH, required=required,
                           error_messages={"required": "Write a text.", "max_length": f"Keep it to "
                                           f"{TEXT_MAX_LENGTH} characters.", **NUL_MESSAGE},
                           widget=forms.TextInput(attrs={"size": 60}))


def _number_field(label: str, required: bool = True) -> ConfigNumberField:
    return ConfigNumberField(label=label, required=required)


def _label(identifier: str) -> str:
    return identifier.replace("_", " ").capitalize()


@dataclass
class TierRow:
    number: int
    threshold: forms.BoundField | None
    points: forms.BoundField
    reason: forms.BoundField


@dataclass
class RuleRow:
    id: str
    label: str
    direction: str
    placeholders: str
    enabled: forms.BoundField
    days: forms.BoundField | None
    tiers: list[TierRow]
    errors: list[str]


@dataclass
class MeasureRow:
    id: str
    label: str
    group: str
    weight: forms.BoundField
    bad: forms.BoundField | None
    good: forms.BoundField | None


@dataclass
class AlertRow:
    id: str
    label: str
    enabled: forms.BoundField
    figures: list[forms.BoundField]


@dataclass
class Slot:
    """Where a field's value goes in the document; an empty optional value removes the key."""

    loc: tuple
    optional: bool = False


@dataclass
class Layout:
    """What the template lays out, in the document's order."""

    measures: list[MeasureRow] = field(default_factory=list)
    tiers: list[forms.BoundField] = field(default_factory=list)
    rules: list[RuleRow] = field(default_factory=list)
    actions: list[forms.BoundField] = field(default_factory=list)
    alerts: list[AlertRow] = field(default_factory=list)


class ConfigEditorForm(forms.Form):
    """A draft configuration's name, notes and every figure and text people tune, built from its document."""

    name = forms.CharField(max_length=ScoringConfig._meta.get_field("name").max_length, required=False,
                           error_messages=NUL_MESSAGE, widget=forms.TextInput(attrs={"size": 60}))
    notes = forms.CharField(required=False, max_length=5000, error_messages=NUL_MESSAGE,
                            widget=forms.Textarea(attrs={"rows": 2, "cols": 80}))
    risk_high = _number_field("High from")
    risk_medium = _number_field("Medium from")
    default_action = _text_field("When no rule fires")
    trend_days = _number_field("Trend over (days)")
    trend_stable_band = _number_field("Stable within (points)")

    def __init__(self, *args, document: dict[str, Any], name: str = "", notes: str = "", **kwargs):
        self.base = document
        self.slots: dict[str, Slot] = {
            "risk_high": Slot(("risk_levels", "high")), "risk_medium": Slot(("risk_levels", "medium")),
            "default_action": Slot(("default_action",)),
            "trend_days": Slot(("health", "trend", "days")),
            "trend_stable_band": Slot(("health", "trend", "stable_band")),
        }
        # Where a problem about a whole part of the document is shown (the longest matching path wins).
        self.sections: dict[tuple, str] = {("health", "measures"): "weights", ("health", "tiers"): "tiers",
                                           ("health", "trend"): "trend", ("risk_levels",): "levels",
                                           ("risk_rules",): "rules", ("action_groups",): "actions",
                                           ("alerts",): "alerts"}
        super().__init__(*args, initial={"name": name, "notes": notes}, **kwargs)
        self._add_measures()
        self._add_tiers()
        self._add_rules()
        self._add_actions()
        self._add_alerts()
        for name_, slot in self.slots.items():
            self.initial.setdefault(name_, _get(document, slot.loc))
        self.section_errors: dict[str, list[str]] = {key: [] for key in self.sections.values()}
        self.unplaced_errors: list[str] = []
        self.document: dict[str, Any] | None = None

    # Building the fields from the document ------------------------------------------------------------

    def _add(self, name: str, form_field: forms.Field, loc: tuple, optional: bool = False) -> None:
        form_field.widget.attrs.setdefault("aria-label", form_field.label)
        self.fields[name] = form_field
        self.slots[name] = Slot(loc, optional)

    def _add_measures(self) -> None:
        for index, measure in enumerate(self.base["health"]["measures"]):
            label, loc = _label(measure["id"]), ("health", "measures", index)
            self._add(f"weight_{measure['id']}", _number_field(f"{label} weight"), (*loc, "weight"))
            self.fields[f"weight_{measure['id']}"].widget.attrs["data-weight"] = ""
            if measure["normalisation"].get("method") == "linear":
                for end in ("bad", "good"):
                    self._add(f"{end}_{measure['id']}", _number_field(f"{label}: {end} at"),
                              (*loc, "normalisation", end))

    def _add_tiers(self) -> None:
        for index, tier in enumerate(self.base["health"]["tiers"]):
            self._add(f"tier_{slug(str(tier['name']))}", _number_field(f"{tier['name']} from"),
                      ("health", "tiers", index, "min"))

    def _add_rules(self) -> None:
        for index, rule in enumerate(self.base["risk_rules"]):
            rule_id, loc = rule["id"], ("risk_rules", index)
            self.sections[loc] = f"rule_{rule_id}"
            self._add(f"rule_{rule_id}_enabled", forms.BooleanField(label=f"{RULE_LABELS[rule_id]} on",
                                                                    required=False), (*loc, "enabled"))
            if rule_id in RULE_DAYS:
                self._add(f"rule_{rule_id}_days", _number_field("Look back (days)", required=False),
                          (*loc, "days"), optional=True)
            direction = RULE_DIRECTIONS[rule_id]
            for number in range(1, len(rule["tiers"]) + 1):
                prefix, tier_loc = f"rule_{rule_id}_{number}", (*loc, "tiers", number - 1)
                if direction != "flag":
                    self._add(f"{prefix}_threshold",
                              _number_field(f"Tier {number} threshold", required=direction != "recency"),
                              (*tier_loc, "threshold"), optional=True)
                self._add(f"{prefix}_points", _number_field(f"Tier {number} points"), (*tier_loc, "points"))
                self._add(f"{prefix}_reason", _text_field(f"Tier {number} reason"), (*tier_loc, "reason"))

    def _add_actions(self) -> None:
        for index, group in enumerate(self.base["action_groups"]):
            label = ", ".join(RULE_LABELS.get(rule_id, str(rule_id)) for rule_id in group["rules"])
            self._add(f"actions_{index}", ActionsField(label=label or "No rule", required=False),
                      ("action_groups", index, "actions"))

    def _add_alerts(self) -> None:
        for alert_id, alert in self.base["alerts"].items():
            loc = ("alerts", alert_id)
            self._add(f"alert_{alert_id}_enabled", forms.BooleanField(label=f"{_label(alert_id)} on",
                                                                      required=False), (*loc, "enabled"))
            for figure in ALERT_FIGURES:
                if figure in alert:
                    self._add(f"alert_{alert_id}_{figure}", _number_field(_label(figure)), (*loc, figure))

    # What the template lays out ------------------------------------------------------------------------

    def layout(self) -> Layout:
        layout = Layout()
        for measure in self.base["health"]["measures"]:
            mid = measure["id"]
            layout.measures.append(MeasureRow(
                id=mid, label=_label(mid), group=MEASURE_IDS[mid].capitalize(), weight=self[f"weight_{mid}"],
                bad=self[f"bad_{mid}"] if f"bad_{mid}" in self.fields else None,
                good=self[f"good_{mid}"] if f"good_{mid}" in self.fields else None))
        layout.tiers = [self[f"tier_{slug(str(t['name']))}"] for t in self.base["health"]["tiers"]]
        for rule in self.base["risk_rules"]:
            rid = rule["id"]
            tiers = [TierRow(number=n,
                             threshold=self[f"rule_{rid}_{n}_threshold"]
                             if f"rule_{rid}_{n}_threshold" in self.fields else None,
                             points=self[f"rule_{rid}_{n}_points"], reason=self[f"rule_{rid}_{n}_reason"])
                     for n in range(1, len(rule["tiers"]) + 1)]
            layout.rules.append(RuleRow(
                id=rid, label=RULE_LABELS[rid], direction=DIRECTION_WORDS[RULE_DIRECTIONS[rid]],
                placeholders=", ".join(f"{{{name}}}" for name in sorted(RULE_PLACEHOLDERS[rid])) or "none",
                enabled=self[f"rule_{rid}_enabled"],
                days=self[f"rule_{rid}_days"] if f"rule_{rid}_days" in self.fields else None,
                tiers=tiers, errors=self.section_errors[f"rule_{rid}"]))
        layout.actions = [self[f"actions_{i}"] for i in range(len(self.base["action_groups"]))]
        layout.alerts = [AlertRow(id=aid, label=_label(aid), enabled=self[f"alert_{aid}_enabled"],
                                  figures=[self[f"alert_{aid}_{f}"] for f in ALERT_FIGURES
                                           if f"alert_{aid}_{f}" in self.fields])
                         for aid in self.base["alerts"]]
        return layout

    def weight_total(self) -> str:
        """The weights' sum as typed (what the page shows beside them before any script runs)."""
        total = 0.0
        for name, slot in self.slots.items():
            if slot.loc[:2] == ("health", "measures") and slot.loc[-1] == "weight":
                value = self.data.get(name) if self.is_bound else self.initial.get(name)
                try:
                    total += float(ConfigNumberField().to_python(value) or 0)
                except ValidationError:
                    return "?"
        return f"{total:.10g}"

    # Checking ------------------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned  # say what cannot be read first; the document's rules need readable values
        document = copy.deepcopy(self.base)
        for name, slot in self.slots.items():
            _put(document, slot.loc, cleaned[name], remove=slot.optional and cleaned[name] is None)
        for loc, problem in edited_config_problems(document):
            self._place(loc, problem)
        if not self.errors:
            self.document = document
        return cleaned

    def _place(self, loc: tuple, problem: str) -> None:
        """A problem next to the field it is about, or in its section, or above the form."""
        fields = [name for name, slot in self.slots.items() if loc[:len(slot.loc)] == slot.loc]
        if fields:
            self.add_error(max(fields, key=lambda name: len(self.slots[name].loc)), problem)
            return
        sections = [path for path in self.sections if loc[:len(path)] == path]
        if sections:
            self.section_errors[self.sections[max(sections, key=len)]].append(problem)
        else:
            self.unplaced_errors.append(problem)
        self.add_error(None, problem)


def _get(document: Any, loc: tuple) -> Any:
    for step in loc:
        if isinstance(document, dict):
            document = document.get(step)
        elif isinstance(document, list) and isinstance(step, int) and step < len(document):
            document = document[step]
        else:
            return None
    return document


def _put(document: Any, loc: tuple, value: Any, remove: bool = False) -> None:
    parent = _get(document, loc[:-1])
    if remove:
        parent.pop(loc[-1], None)
    else:
        parent[loc[-1]] = value
