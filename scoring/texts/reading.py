"""What the text reader returns for one customer text (docs/text-intelligence.md): the same schema whoever read it — the
built-in rules or the local LLM — so scoring, the Ticket Analyzer, the API and the CSV command read one thing."""

from dataclasses import asdict, dataclass, field

CATEGORIES = ("billing", "bug", "integration", "onboarding", "performance", "feature_request",
              "account_cancellation", "other")
CATEGORY_LABELS = {"billing": "Billing", "bug": "Bug", "integration": "Integration", "onboarding": "Onboarding",
                   "performance": "Performance", "feature_request": "Feature request",
                   "account_cancellation": "Account / cancellation", "other": "Other"}
# Kinds of evidence, most important first (the Ticket Analyzer highlights the more important of two crossing
# phrases). "evidence" is anything else that decided: a case-study mention, a phrase the LLM quoted.
EVIDENCE_KINDS = {"churn_intent": "Churn intent", "competitor": "Competitor", "fact": "Fact",
                  "category": "Category", "sentiment": "Sentiment", "evidence": "Other evidence"}


@dataclass(frozen=True)
class Evidence:
    """A phrase of the text and what it is evidence of; start and end are offsets in the sanitised text."""

    kind: str
    phrase: str
    start: int
    end: int


@dataclass(frozen=True)
class Facts:
    """The facts a CSM needs, as written in the text (each None or empty when the text does not say)."""

    days_to_renewal: int | None = None
    amounts: tuple[str, ...] = ()  # money as written: "$12,400", "3.500 €"
    seats: int | None = None
    ehr: str = ""  # the EHR or practice system named: "Epic", "athenahealth"

    def as_dict(self) -> dict:
        return {"days_to_renewal": self.days_to_renewal, "amounts": list(self.amounts), "seats": self.seats,
                "ehr": self.ehr}


@dataclass
class Reading:
    summary: str
    category: str
    sentiment: float  # -1 (negative) .. 1 (positive)
    sentiment_label: str  # negative, neutral, positive
    churn_intent: bool
    intent_phrase: str
    competitors: list[str]
    recommended_action: str
    language: str  # en, de
    feature_request: bool
    case_study: bool
    facts: Facts = field(default_factory=Facts)
    evidence: list[Evidence] = field(default_factory=list)
    reader: str = ""  # who read it: "builtin-<version>" or "llm-<model>"
    note: str = ""  # why the LLM fell back, or that the text was cut

    @property
    def competitor(self) -> str:
        """The first competitor named, or ""."""
        return self.competitors[0] if self.competitors else ""

    def as_dict(self) -> dict:
        return asdict(self)
