"""The demo book generator: a realistic, deterministic healthcare SaaS book of business as the nine
import files (RavenStack layout plus contacts, touchpoints, surveys and invoices).

Determinism: everything comes from ``random.Random(seed)`` (decisions and text) and
``numpy.random.default_rng(seed)`` (usage), in a fixed order, relative to the ``as_of`` date passed
in; the same (accounts, seed, as_of) gives byte-identical CSV files. Ids carry no seed, so a second
book with another seed or size replaces the first one's accounts in place: switch books on an empty
database.

The book, as of ``as_of``:

* Accounts are clinics, practices and health systems in three segments (SMB, Mid-Market,
  Enterprise) with fitting seats, sites, plan tiers and MRR, an EHR (Epic, Cerner, Allscripts,
  athenahealth), a renewal date on the anniversary of signup (so spread over the next 12 months), an
  onboarding completion and a CSM from ``csm_emails`` (balanced; none when the list is empty).
* ``Account.seats`` is the number of seats in use (provisioned users) and ``Subscription.seats`` the
  licensed seats, so plan utilisation = account seats / licensed seats of the active subscriptions.
* A year (``HISTORY_DAYS``) of usage, tickets, touchpoints, surveys and invoices. Every active
  subscription has daily usage (``ehr_sync`` runs every day, so there is at least one row per day):
  every adopted feature over the last ``USAGE_DAYS`` days, the ``CORE_FEATURES`` only before that.
* A recorded share of accounts carries a planted pattern in ``scenario`` (see ``SCENARIO_SHARES``):
  the churn precursors ehr_integration_breakage, champion_left, silent, escalating_emails,
  competitor_near_renewal, failed_payments and usage_cliff; the expansion precursors
  seats_near_limit, power_users, feature_requests and promoters; the rest are healthy or neutral
  with ordinary noise.
* ``outcome`` records what happens (churned / expanded / retained), drawn with scenario-dependent
  probabilities (``OUTCOME_PROBABILITIES``); healthy and neutral accounts churn too, without warning.
  Most planned churners are due inside the book's year (spread over it, most in the scored last 120
  days), their pattern starting 30-90 days before the churn day (``SIGNAL_LEAD_DAYS``) with varied
  strength; the rest churn after as_of (still customers, what a score as of as_of must predict).
  Churners due inside the year are *not* churned here: seed_demo decides their fate from what the
  product did before their churn day (workspace.demo.outcomes), so the book has no churn event until
  then. Churn-pattern accounts that do not churn are decoys; half of them had their pattern in the past
  and recovered (``recovers``). The ``PLAN_KEY`` frame records per account what was planted.
* No row is dated after ``as_of`` except the next open invoice.
"""

import datetime as dt
import io
import random
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from accounts.importing import schema
from workspace.demo import text
from workspace.demo.text import COMPETITORS, EHR_SYSTEMS, Topic, Voice

Progress = Callable[[str, int, int], None]
PLAN_KEY = "planted"  # the frame of what was planted per account: not an import file

USAGE_DAYS = 130  # days of full daily usage (every adopted feature) up to as_of (the spec asks for 90+)
HISTORY_DAYS = 365  # a year of usage, tickets, touchpoints and surveys: enough past dates to learn churn from
CORE_FEATURES = ("scheduling", "ehr_sync", "patient_intake")  # the only features written before USAGE_DAYS
EVENT_DAYS = HISTORY_DAYS  # tickets, touchpoints and surveys cover this many days up to as_of
INVOICE_DAYS = 365
MIN_TENURE_DAYS = 170  # every account signed up at least this long ago
USAGE_CHUNK = 1000  # subscriptions per vectorised usage batch

CHURN_SCENARIOS = ("ehr_integration_breakage", "champion_left", "silent", "escalating_emails",
                   "competitor_near_renewal", "failed_payments", "usage_cliff")
EXPANSION_SCENARIOS = ("seats_near_limit", "power_users", "feature_requests", "promoters")
SCENARIO_SHARES: dict[str, float] = {
    "ehr_integration_breakage": 0.06,
    "champion_left": 0.05,
    "silent": 0.05,
    "escalating_emails": 0.04,
    "competitor_near_renewal": 0.04,
    "failed_payments": 0.04,
    "usage_cliff": 0.04,
    "seats_near_limit": 0.05,
    "power_users": 0.05,
    "feature_requests": 0.04,
    "promoters": 0.05,
    "neutral": 0.18,
    "healthy": 0.31,
}
# (churned, expanded, retained) per scenario.
OUTCOME_PROBABILITIES: dict[str, tuple[float, float, float]] = {
    "ehr_integration_breakage": (0.65, 0.05, 0.30),
    "champion_left": (0.60, 0.05, 0.35),
    "silent": (0.70, 0.02, 0.28),
    "escalating_emails": (0.65, 0.03, 0.32),
    "competitor_near_renewal": (0.75, 0.02, 0.23),
    "failed_payments": (0.55, 0.03, 0.42),
    "usage_cliff": (0.70, 0.03, 0.27),
    "seats_near_limit": (0.04, 0.70, 0.26),
    "power_users": (0.04, 0.60, 0.36),
    "feature_requests": (0.06, 0.50, 0.44),
    "promoters": (0.03, 0.55, 0.42),
    "neutral": (0.15, 0.08, 0.77),
    "healthy": (0.05, 0.12, 0.83),
}
# Planned churners: when their churn is due. Most fall inside the book's year (their fate is decided by
# seed_demo from what the product did before that day); the rest after as_of (the later outcome a score
# as of as_of must predict). Of those inside the year, most fall in the scored last 182 days.
FUTURE_CHURN_SHARE = 0.15
RECENT_CHURN_SHARE = 0.65  # of the churners inside the year: due 5-118 days before as_of, else 119-270
SIGNAL_LEAD_DAYS = (30, 90)  # a planted pattern starts this many days before the planned churn
DECOY_PAST_SHARE = 0.5  # churn-pattern accounts that do not churn: share whose pattern passed and recovered
RECOVERY_DAYS = 21  # usage climbs back to normal over this many days after a pattern passes
CHURN_REASONS: dict[str, tuple[tuple[str, float], ...]] = {
    "ehr_integration_breakage": (("support", 0.5), ("features", 0.2), ("competitor", 0.2), ("unknown", 0.1)),
    "champion_left": (("unknown", 0.4), ("budget", 0.3), ("competitor", 0.3)),
    "silent": (("unknown", 0.5), ("budget", 0.3), ("features", 0.2)),
    "escalating_emails": (("support", 0.7), ("competitor", 0.3)),
    "competitor_near_renewal": (("competitor", 0.8), ("pricing", 0.2)),
    "failed_payments": (("budget", 0.6), ("pricing", 0.4)),
    "usage_cliff": (("competitor", 0.4), ("budget", 0.3), ("unknown", 0.3)),
    "other": (("pricing", 0.3), ("budget", 0.25), ("features", 0.2), ("unknown", 0.25)),
}

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_SHARES = (0.55, 0.30, 0.15)
INDUSTRIES: dict[str, tuple[tuple[str, float], ...]] = {
    "SMB": (("Primary care", 0.28), ("Pediatrics", 0.10), ("Behavioral health", 0.15),
            ("Dermatology", 0.10), ("Orthopedics", 0.05), ("Women's health", 0.07), ("Urgent care", 0.06),
            ("Physical therapy", 0.08), ("Ophthalmology", 0.05), ("Cardiology", 0.03),
            ("Community health center", 0.03)),
    "Mid-Market": (("Multi-specialty group", 0.25), ("Primary care", 0.15), ("Behavioral health", 0.12),
                   ("Orthopedics", 0.08), ("Cardiology", 0.08), ("Urgent care", 0.10),
                   ("Community health center", 0.10), ("Pediatrics", 0.05), ("Women's health", 0.04),
                   ("Dermatology", 0.03)),
    "Enterprise": (("Health system", 0.65), ("Multi-specialty group", 0.25), ("Behavioral health", 0.05),
                   ("Community health center", 0.05)),
}
# Three in four ehr_integration_breakage accounts run this EHR: its sync failures, in the last 12-24 days
# of the book, are the spike the Drivers & insights themes must show.
CRISIS_EHR = "Cerner"
EHR_WEIGHTS: dict[str, tuple[float, ...]] = {  # Epic, Cerner, Allscripts, athenahealth
    "SMB": (0.10, 0.08, 0.27, 0.55),
    "Mid-Market": (0.30, 0.20, 0.25, 0.25),
    "Enterprise": (0.55, 0.30, 0.12, 0.03),
}
PLAN_WEIGHTS: dict[str, tuple[float, float, float]] = {  # Basic, Pro, Enterprise
    "SMB": (0.55, 0.45, 0.0),
    "Mid-Market": (0.10, 0.60, 0.30),
    "Enterprise": (0.0, 0.15, 0.85),
}
PLAN_TIERS = ("Basic", "Pro", "Enterprise")
PRICE_PER_SEAT = {"Basic": 29.0, "Pro": 49.0, "Enterprise": 79.0}
SEAT_RANGES = {"SMB": (5, 40), "Mid-Market": (40, 250), "Enterprise": (250, 2500)}
SITE_RANGES = {"SMB": (1, 2), "Mid-Market": (2, 6), "Enterprise": (5, 30)}
MONTHLY_BILLING_SHARE = {"SMB": 0.8, "Mid-Market": 0.5, "Enterprise": 0.15}
COUNTRIES = (("US", 0.88), ("CA", 0.06), ("GB", 0.03), ("AU", 0.03))
REFERRALS = (("partner", 0.2), ("ehr_marketplace", 0.2), ("referral", 0.2), ("conference", 0.12),
             ("website", 0.18), ("outbound", 0.1))
SEVEN_DAY_INDUSTRIES = {"Health system", "Urgent care"}


@dataclass(frozen=True)
class Feature:
    """One product feature as it shows up in the usage file."""

    name: str
    per_seat: float  # mean uses per seat in use on a weekday
    secs: int  # mean seconds per use
    adoption: tuple[float, float, float]  # chance a subscription uses it, per segment
    weekday_use: float  # chance of a row on a weekday
    weekend_use: float
    error_rate: float  # errors per use
    beta: bool = False
    advanced: bool = False
    automated: bool = False  # system-to-system traffic: runs every day, barely slower at weekends
    floor: float = 0.0  # uses per day on top of the per-seat volume (interfaces carry every patient)


FEATURES: tuple[Feature, ...] = (
    Feature("scheduling", 6.0, 40, (1.0, 1.0, 1.0), 1.0, 0.9, 0.002),
    Feature("ehr_sync", 12.0, 1, (1.0, 1.0, 1.0), 1.0, 1.0, 0.004, automated=True, floor=40.0),
    Feature("patient_intake", 2.5, 150, (0.8, 0.85, 0.9), 0.95, 0.7, 0.003),
    Feature("e_prescribing", 1.2, 60, (0.55, 0.65, 0.8), 0.9, 0.1, 0.002),
    Feature("reporting", 0.15, 240, (0.6, 0.8, 0.95), 0.6, 0.03, 0.004),
    Feature("telehealth", 0.5, 1100, (0.45, 0.55, 0.7), 0.75, 0.3, 0.006),
    Feature("billing", 1.5, 90, (0.55, 0.65, 0.7), 0.9, 0.03, 0.003),
    Feature("patient_messaging", 1.8, 45, (0.6, 0.7, 0.8), 0.85, 0.7, 0.002),
    Feature("api", 8.0, 1, (0.1, 0.35, 0.7), 1.0, 1.0, 0.005, advanced=True, automated=True, floor=30.0),
    Feature("population_health", 0.08, 500, (0.03, 0.2, 0.55), 0.5, 0.02, 0.004, advanced=True),
    Feature("ai_scribe", 0.4, 420, (0.05, 0.1, 0.2), 0.6, 0.05, 0.02, beta=True, advanced=True),
    Feature("smart_waitlist", 0.3, 30, (0.08, 0.1, 0.12), 0.6, 0.1, 0.01, beta=True),
    Feature("prior_auth_automation", 0.2, 120, (0.03, 0.08, 0.15), 0.5, 0.02, 0.02, beta=True),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
EHR_SYNC = FEATURE_NAMES.index("ehr_sync")
SCHEDULING = FEATURE_NAMES.index("scheduling")


@dataclass(frozen=True)
class UsageShape:
    """How an account's usage moves over the usage window, relative to its anchor day."""

    trend_start: int  # days before the anchor where the trend starts (negative)
    end_level: float  # usage level on the anchor day (1.0 = unchanged)
    cliff_level: float = 1.0  # multiplier on the last three days (usage cliff)
    spike_start: int = 0  # days before the anchor where ehr_sync errors spike (0: none)
    spike_rate: float = 0.0  # errors per ehr_sync message during the spike
    advanced_boost: float = 1.0
    error_factor: float = 1.0


@dataclass
class ContactPlan:
    """One person at the customer; ``persona`` decides how they write."""

    contact_id: str
    name: str
    email: str
    title: str
    role: str
    persona: str
    is_active: bool = True
    left_date: dt.date | None = None


@dataclass
class SubscriptionPlan:
    """One contract line; ``end`` is set for replaced or churned subscriptions only."""

    subscription_id: str
    start: dt.date
    end: dt.date | None
    plan_tier: str
    seats: int
    mrr: float
    billing: str
    auto_renew: bool
    is_trial: bool
    upgrade: bool = False
    downgrade: bool = False
    churned: bool = False
    seats_used: int = 0  # of the account's seats in use, the share this subscription carries


@dataclass
class AccountPlan:
    """Everything decided about one account before its rows are written."""

    key: str  # zero-padded account number, shared by the ids of the account's rows
    account_id: str
    name: str
    domain: str
    industry: str
    country: str
    segment: str
    ehr: str
    plan_tier: str
    seats_licensed: int
    seats_used: int
    sites: int
    billing: str
    signup: dt.date
    renewal: dt.date
    referral: str
    is_trial: bool
    onboarding_pct: float
    csm_email: str
    csm_name: str
    scenario: str
    outcome: str
    churn_date: dt.date | None
    anchor: dt.date  # signals lead up to this day: as_of, or some days before a planned churn
    shape: UsageShape
    planned_churn: dt.date | None = None  # a churn due on or before as_of whose fate seed_demo decides
    signal_start: dt.date | None = None  # the first day the planted pattern shows
    recovers: bool = False  # a decoy: the pattern passed at the anchor and usage came back
    quiet_until: dt.date | None = None  # silent decoys: interaction resumes on this day
    competitor: str = ""
    left_date: dt.date | None = None  # champion_left: when the champion left
    quiet_from: dt.date | None = None  # silent: no touchpoint or ticket from this day on
    contacts: list[ContactPlan] = field(default_factory=list)
    subscriptions: list[SubscriptionPlan] = field(default_factory=list)

    @property
    def churned(self) -> bool:
        return self.churn_date is not None

    @property
    def family(self) -> str:
        if self.scenario in CHURN_SCENARIOS:
            return "churn"
        if self.scenario in EXPANSION_SCENARIOS:
            return "expansion"
        return self.scenario


# --- Names -----------------------------------------------------------------------------------------

PLACES = ("Cedar Valley", "Riverbend", "Northside", "Lakeshore", "Harborview", "Pine Ridge", "Summit",
          "Oak Hollow", "Bayside", "Willow Creek", "Mesa Verde", "Granite Peak", "Silver Lake",
          "Prairie View", "Maple Grove", "Sunrise", "Blue Ridge", "Westfield", "Eastgate", "Red Rock",
          "Golden Plains", "Clearwater", "Stonebridge", "Fox Run", "Heritage", "Canyon", "Meadowbrook",
          "Highland", "Brookside", "Coastal", "Evergreen", "Aspen", "Magnolia", "Sequoia", "Juniper",
          "Hillcrest", "Lakeview", "Three Rivers", "Twin Oaks", "Copper Valley", "Shoreline", "Bluebonnet",
          "Ironwood", "Elm Street", "Parkside", "Valley View", "Crescent", "Foothills", "Tidewater",
          "Sandhill", "Cypress", "North Star", "Kettle River", "Old Mill", "Laurel", "Beacon Hill")
SAINTS = ("St. Brigid", "St. Luke's", "St. Agnes", "St. Vincent", "Mercy", "Good Samaritan", "Providence Valley",
          "Sacred Heart", "St. Mary's", "St. Jude", "Trinity", "Covenant", "St. Catherine", "St. Elizabeth",
          "Holy Cross", "St. Francis", "Unity", "Bethany")
NAME_PATTERNS: dict[str, tuple[str, ...]] = {
    "Primary care": ("{place} Family Medicine", "{place} Primary Care", "{place} Internal Medicine Associates",
                     "{surname} Family Practice", "{place} Family Health"),
    "Pediatrics": ("{place} Pediatrics", "{place} Children's Clinic", "{surname} Pediatric Associates"),
    "Behavioral health": ("{place} Behavioral Health", "{place} Counseling Center", "{place} Psychiatry Group",
                          "{place} Mental Wellness"),
    "Dermatology": ("{place} Dermatology", "{place} Skin & Laser Center", "{surname} Dermatology"),
    "Orthopedics": ("{place} Orthopedics & Sports Medicine", "{place} Bone & Joint", "{surname} Orthopaedic Group"),
    "Women's health": ("{place} Women's Health", "{place} OB/GYN", "{place} Women's Care"),
    "Urgent care": ("{place} Urgent Care", "{place} Express Care", "{place} Walk-In Clinic"),
    "Physical therapy": ("{place} Physical Therapy", "{place} Rehab & Wellness", "{surname} PT"),
    "Ophthalmology": ("{place} Eye Associates", "{place} Vision Center"),
    "Cardiology": ("{place} Heart & Vascular", "{place} Cardiology Associates"),
    "Community health center": ("{place} Community Health Center", "{place} Community Health"),
    "Multi-specialty group": ("{place} Medical Group", "{place} Physicians Network", "{place} Clinic",
                              "{place} Medical Associates"),
    "Health system": ("{saint} Health System", "{place} Health", "{place} Regional Medical Center",
                      "{saint} Healthcare", "{saint} Medical Center"),
}
CITIES = {"US": ("Boise", "Tulsa", "Fresno", "Omaha", "Spokane", "Dayton", "Knoxville", "Albany", "Reno",
                 "Savannah", "Madison", "Lubbock", "Billings", "Des Moines", "Chattanooga", "Eugene"),
          "CA": ("Halifax", "Calgary", "Kelowna", "London ON"),
          "GB": ("Leeds", "Bristol", "York"),
          "AU": ("Perth", "Geelong", "Hobart")}
FIRST_NAMES = ("Maria", "James", "Aisha", "Robert", "Linh", "Michael", "Priya", "David", "Fatima", "John",
               "Keisha", "Carlos", "Emily", "Wei", "Sarah", "Ahmed", "Jessica", "Luis", "Megan", "Tunde",
               "Rachel", "Daniel", "Olivia", "Hiroshi", "Ashley", "Jose", "Lauren", "Kwame", "Hannah",
               "Mohammed", "Brianna", "Andre", "Sofia", "Tyler", "Mei", "Nicole", "Diego", "Amanda", "Ravi",
               "Stephanie", "Omar", "Kayla", "Ethan", "Grace", "Marcus", "Chloe", "Samuel", "Yesenia",
               "Brandon", "Tamika", "Kevin", "Ngozi", "Heather", "Jamal", "Erin", "Ana", "Dmitri", "Leah")
LAST_NAMES = ("Lopez", "Johnson", "Nguyen", "Patel", "Williams", "Kim", "Garcia", "Okafor", "Brown",
              "Chen", "Davis", "Rodriguez", "Miller", "Haddad", "Wilson", "Martinez", "Anderson", "Singh",
              "Thomas", "Hernandez", "Moore", "Tran", "Jackson", "Lee", "White", "Gonzalez", "Harris",
              "Ali", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "Mensah",
              "King", "Wright", "Scott", "Torres", "Hill", "Flores", "Green", "Adams", "Baker", "Nelson",
              "Carter", "Mitchell", "Perez", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
              "Edwards", "Collins", "Stewart", "Sanchez", "Morris", "Rogers", "Reed", "Cook", "Morgan",
              "Bell", "Murphy", "Bailey", "Rivera", "Cooper", "Richardson", "Cox", "Howard", "Ward")
CSM_NAMES = ("Jordan Reyes", "Priya Shah", "Sam Whitfield", "Alex Moreno", "Taylor Brooks", "Casey Lin",
             "Morgan Ellis", "Riley Chen")
TITLES: dict[str, tuple[tuple[str, str], ...]] = {  # role -> (title, persona)
    "champion": (("Practice Manager", "practice_manager"), ("Clinical Informatics Manager", "it"),
                 ("Director of Operations", "practice_manager"), ("Nurse Manager", "nurse"),
                 ("Office Manager", "practice_manager"), ("Director of Ambulatory Operations", "practice_manager")),
    "executive_sponsor": (("Medical Director", "physician"), ("CEO", "practice_manager"),
                          ("COO", "practice_manager"), ("CMIO", "physician"), ("Owner / Physician", "physician"),
                          ("VP of Ambulatory Operations", "practice_manager"), ("CFO", "billing")),
    "admin": (("IT Manager", "it"), ("EHR Analyst", "it"), ("Systems Administrator", "it"),
              ("Interface Analyst", "it"), ("Billing Lead", "billing")),
    "user": (("RN", "nurse"), ("Front Desk Lead", "front_desk"), ("Billing Specialist", "billing"),
             ("Medical Assistant", "nurse"), ("Scheduler", "front_desk"), ("Revenue Cycle Specialist", "billing"),
             ("Care Coordinator", "nurse"), ("Physician", "physician"), ("Nurse Practitioner", "physician")),
}


# --- Planning ----------------------------------------------------------------------------------------

def _weighted(r: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    """One value of (value, weight) pairs, drawn in proportion to the weights."""
    roll = r.random() * sum(w for _, w in options)
    for value, weight in options:
        roll -= weight
        if roll < 0:
            return value
    return options[-1][0]


def _scenario_list(r: random.Random, count: int) -> list[str]:
    """Scenarios in their shares (largest remainder), every planted one present once the book allows."""
    planted = [s for s in SCENARIO_SHARES if s not in ("healthy", "neutral")]
    exact = {s: share * count for s, share in SCENARIO_SHARES.items()}
    counts = {s: int(v) for s, v in exact.items()}
    if count >= len(SCENARIO_SHARES):
        for s in planted:
            counts[s] = max(counts[s], 1)
    left = count - sum(counts.values())
    for s in sorted(exact, key=lambda s: (-(exact[s] - int(exact[s])), s)):
        if left <= 0:
            break
        counts[s] += 1
        left -= 1
    counts["healthy"] += count - sum(counts.values())
    scenarios = [s for s, n in counts.items() for _ in range(n)]
    r.shuffle(scenarios)
    return scenarios


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day some years earlier (28 February for a leap day)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _slug(name: str) -> str:
    """A short e-mail domain stem for an organisation name."""
    words = re.sub(r"[^a-z0-9 ]", "", name.lower()).split()
    if len(words) > 2:
        return words[0] + "".join(w[0] for w in words[1:])
    return "".join(words)


def _shape(r: random.Random, scenario: str, days_since_left: int) -> UsageShape:
    """The usage trend, cliff and error spike a scenario plants."""
    full = -USAGE_DAYS
    if scenario == "ehr_integration_breakage":
        start = -r.randint(12, 24)
        return UsageShape(start, r.uniform(0.7, 0.85), spike_start=start, spike_rate=r.uniform(0.3, 0.6))
    if scenario == "champion_left":
        return UsageShape(-days_since_left, r.uniform(0.4, 0.65))
    if scenario == "silent":
        return UsageShape(-r.randint(60, 90), r.uniform(0.45, 0.7))
    if scenario == "escalating_emails":
        return UsageShape(-30, r.uniform(0.75, 0.9), error_factor=2.5)
    if scenario == "competitor_near_renewal":
        return UsageShape(-r.randint(40, 70), r.uniform(0.7, 0.9))
    if scenario == "failed_payments":
        return UsageShape(full, r.uniform(0.85, 1.0))
    if scenario == "usage_cliff":
        return UsageShape(full, r.uniform(0.9, 1.05), cliff_level=r.uniform(0.03, 0.1))
    if scenario == "seats_near_limit":
        return UsageShape(full, r.uniform(1.15, 1.35))
    if scenario == "power_users":
        return UsageShape(full, r.uniform(1.1, 1.3), advanced_boost=3.0)
    if scenario in ("feature_requests", "promoters"):
        return UsageShape(full, r.uniform(1.0, 1.2))
    if scenario == "neutral":
        return UsageShape(full, r.uniform(0.8, 1.05), error_factor=1.8)
    return UsageShape(full, r.uniform(0.95, 1.15))


def _unique_name(r: random.Random, industry: str, country: str, used: set[str]) -> str:
    """A clinic, practice or health-system name not used yet in this book."""
    pattern = text.pick(r, NAME_PATTERNS[industry])
    name = pattern.format(place=text.pick(r, PLACES), saint=text.pick(r, SAINTS), surname=text.pick(r, LAST_NAMES))
    if name in used:
        name = f"{name} of {text.pick(r, CITIES[country])}"
    base, n = name, 2
    while name in used:
        name = f"{base} {n}"
        n += 1
    used.add(name)
    return name


def _plan_contacts(r: random.Random, plan: AccountPlan) -> list[ContactPlan]:
    """Champion, executive sponsor, admins and users; the champion leaves in champion_left."""
    size = {"SMB": (3, 5), "Mid-Market": (5, 9), "Enterprise": (8, 14)}[plan.segment]
    roles = ["champion", "executive_sponsor", "admin"]
    if plan.segment != "SMB" and r.random() < 0.6:
        roles.append("admin")
    roles += ["user"] * (r.randint(*size) - len(roles))
    contacts: list[ContactPlan] = []
    seen: set[str] = set()
    domain = plan.domain
    for index, role in enumerate(roles, start=1):
        first, last = text.pick(r, FIRST_NAMES), text.pick(r, LAST_NAMES)
        local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
        while local in seen:
            local = f"{local}{r.randint(2, 9)}"
        seen.add(local)
        title, persona = TITLES[role][int(r.random() * len(TITLES[role]))]
        contact = ContactPlan(f"CON-{plan.key}-{index:02d}", f"{first} {last}", f"{local}@{domain}",
                              title, role, persona)
        if role == "user" and r.random() < 0.1:
            contact.is_active = False
            contact.left_date = plan.anchor - dt.timedelta(days=r.randint(20, 400))
        contacts.append(contact)
    if plan.left_date is not None:
        champion = contacts[0]
        champion.is_active = False
        champion.left_date = plan.left_date
    return contacts


def _plan_subscriptions(r: random.Random, plan: AccountPlan, as_of: dt.date) -> list[SubscriptionPlan]:
    """The current subscription, sometimes a replaced earlier one and an add-on."""
    prefix = f"SUB-{plan.key}"
    tier_index = PLAN_TIERS.index(plan.plan_tier)
    price = PRICE_PER_SEAT[plan.plan_tier] * max(0.65, 1 - 0.06 * np.log2(max(plan.seats_licensed, 8) / 8))
    auto_renew = r.random() < (0.5 if plan.scenario == "competitor_near_renewal" else 0.88)
    # Every contract line starts well before the pattern (and a planned churn): none starts after a churn.
    latest_start = min(as_of - dt.timedelta(days=USAGE_DAYS + 5), plan.anchor - dt.timedelta(days=30))
    subs: list[SubscriptionPlan] = []
    start = plan.signup
    change_window = (latest_start - plan.signup).days - 90
    if change_window > 30 and r.random() < 0.2:
        change = plan.signup + dt.timedelta(days=90 + r.randint(0, change_window))
        downgrade = r.random() < (0.55 if plan.family == "churn" else 0.2)
        old_tier = PLAN_TIERS[min(2, tier_index + 1)] if downgrade else PLAN_TIERS[max(0, tier_index - 1)]
        old_seats = int(plan.seats_licensed * (r.uniform(1.1, 1.4) if downgrade else r.uniform(0.6, 0.9)))
        old_mrr = float(round(old_seats * PRICE_PER_SEAT[old_tier] * 0.95))
        subs.append(SubscriptionPlan(f"{prefix}-1", plan.signup, change - dt.timedelta(days=1), old_tier,
                                     old_seats, old_mrr, plan.billing, auto_renew, False))
        start = change
        main = SubscriptionPlan(f"{prefix}-2", start, None, plan.plan_tier, plan.seats_licensed, 0.0,
                                plan.billing, auto_renew, plan.is_trial, upgrade=not downgrade, downgrade=downgrade)
    else:
        main = SubscriptionPlan(f"{prefix}-1", start, None, plan.plan_tier, plan.seats_licensed, 0.0,
                                plan.billing, auto_renew, plan.is_trial)
    subs.append(main)
    if plan.segment != "SMB" and r.random() < 0.12 and (latest_start - plan.signup).days > 60:
        addon_seats = max(5, int(plan.seats_licensed * r.uniform(0.1, 0.3)))
        main.seats = max(5, plan.seats_licensed - addon_seats)
        addon_start = plan.signup + dt.timedelta(days=r.randint(60, (latest_start - plan.signup).days))
        subs.append(SubscriptionPlan(f"{prefix}-{len(subs) + 1}", addon_start, None, plan.plan_tier, addon_seats,
                                     0.0, plan.billing, auto_renew, False))
    for sub in subs:
        if sub.mrr == 0.0 and not sub.is_trial:
            sub.mrr = float(round(sub.seats * price))
        if sub.end is None:
            sub.seats_used = max(1, round(plan.seats_used * sub.seats / plan.seats_licensed))
            if plan.churn_date is not None:
                sub.end, sub.churned = plan.churn_date, True
    return subs


def _plan_accounts(r: random.Random, count: int, as_of: dt.date, csm_emails: list[str],
                   csm_names: Mapping[str, str], *, first_number: int = 1, book_size: int | None = None
                   ) -> list[AccountPlan]:
    """Every account's attributes, scenario, outcome, contacts and subscriptions; numbered from `first_number`, as
    wide as the numbers of a book of `book_size` accounts (default: these)."""
    width = max(5, len(str(book_size or count)))
    scenarios = _scenario_list(r, count)
    csm_order = [csm_emails[i % len(csm_emails)] for i in range(count)] if csm_emails else [""] * count
    r.shuffle(csm_order)
    used_names: set[str] = set()
    plans: list[AccountPlan] = []
    for index in range(count):
        number = f"{first_number + index:0{width}d}"
        scenario = scenarios[index]
        segment = SEGMENTS[_pick_index(r, SEGMENT_SHARES)]
        industry = _weighted(r, INDUSTRIES[segment])
        country = _weighted(r, COUNTRIES)
        name = _unique_name(r, industry, country, used_names)
        ehr = EHR_SYSTEMS[_pick_index(r, EHR_WEIGHTS[segment])]
        if scenario == "ehr_integration_breakage" and index % 4:
            ehr = CRISIS_EHR  # the planted cross-customer crisis: most breakages hit one EHR at once
        plan_tier = PLAN_TIERS[_pick_index(r, PLAN_WEIGHTS[segment])]
        low, high = SEAT_RANGES[segment]
        seats = int(round(np.exp(r.uniform(np.log(low), np.log(high)))))
        sites = r.randint(*SITE_RANGES[segment])
        if scenario == "seats_near_limit":
            utilisation = r.uniform(0.95, 1.0)
        elif scenario in CHURN_SCENARIOS:
            utilisation = r.uniform(0.35, 0.75)
        else:
            utilisation = r.uniform(0.55, 0.88)
        seats_used = max(1, min(seats, round(seats * utilisation)))
        outcome = _outcome(r, scenario)
        churn_date = planned = None
        # The cross-customer crisis is happening now: its accounts' churn, if any, is still ahead.
        crisis = scenario == "ehr_integration_breakage" and ehr == CRISIS_EHR
        if outcome == "churned" and r.random() >= FUTURE_CHURN_SHARE and not crisis:
            days_before = r.randint(5, 118) if r.random() < RECENT_CHURN_SHARE else r.randint(119, 270)
            planned = as_of - dt.timedelta(days=days_before)
        # The pattern's own length (days from its start to the anchor), then where the anchor falls.
        days_since_left = r.randint(30, 75) if scenario == "champion_left" else 0
        shape = _shape(r, scenario, days_since_left)
        quiet_days = r.randint(62, 88) if scenario == "silent" else 0
        length = _pattern_length(scenario, shape, days_since_left, quiet_days)
        recovers = False
        if planned is not None:
            low, high = SIGNAL_LEAD_DAYS
            anchor = planned - dt.timedelta(days=r.randint(max(0, low - length), max(0, high - length)))
        elif scenario in CHURN_SCENARIOS and outcome != "churned" and r.random() < DECOY_PAST_SHARE and not crisis:
            anchor, recovers = as_of - dt.timedelta(days=r.randint(40, 250)), True
        else:
            anchor = as_of
        if planned is not None:
            renewal = planned + dt.timedelta(days=365)  # the contract came up for renewal on the churn day
        elif scenario == "competitor_near_renewal" and not recovers:
            renewal = as_of + dt.timedelta(days=r.randint(15, 58))
        else:
            renewal = as_of + dt.timedelta(days=r.randint(1, 365))
        years = r.choice((1, 1, 2, 2, 3, 4, 5))
        signup = _years_before(renewal, years)
        while (as_of - signup).days < MIN_TENURE_DAYS or (anchor - signup).days < 120:
            years += 1
            signup = _years_before(renewal, years)
        tenure = (as_of - signup).days
        if tenure > 365:
            onboarding = 100.0 if r.random() < 0.85 else round(r.uniform(70, 99.5), 1)
        else:
            onboarding = round(r.uniform(45, 100), 1)
        if scenario in CHURN_SCENARIOS and r.random() < 0.3:
            onboarding = round(r.uniform(30, 80), 1)
        left_date = quiet_from = quiet_until = None
        if scenario == "champion_left":
            left_date = anchor - dt.timedelta(days=days_since_left)
        if scenario == "silent":
            quiet_from = anchor - dt.timedelta(days=quiet_days)
            quiet_until = anchor + dt.timedelta(days=r.randint(3, 14)) if recovers else None
        signal_start = anchor - dt.timedelta(days=length) if scenario in CHURN_SCENARIOS else None
        billing = "monthly" if (r.random() < MONTHLY_BILLING_SHARE[segment]
                                or scenario == "failed_payments") else "annual"
        csm_email = csm_order[index]
        plan = AccountPlan(
            key=number, account_id=f"ACC-{number}", name=name, domain=_slug(name) + text.pick(
                r, (".org", ".com", ".health", "health.org", "md.com")),
            industry=industry, country=country, segment=segment, ehr=ehr, plan_tier=plan_tier,
            seats_licensed=seats, seats_used=seats_used, sites=sites, billing=billing, signup=signup,
            renewal=renewal, referral=_weighted(r, REFERRALS),
            is_trial=(segment != "Enterprise" and tenure < 365 and scenario != "failed_payments"
                      and r.random() < 0.06),
            onboarding_pct=onboarding, csm_email=csm_email,
            csm_name=csm_names.get(csm_email) or _csm_name(csm_email, csm_emails),
            scenario=scenario, outcome=outcome, churn_date=churn_date, anchor=anchor, shape=shape,
            competitor=text.pick(r, COMPETITORS) if scenario == "competitor_near_renewal" else "",
            left_date=left_date, quiet_from=quiet_from, planned_churn=planned, signal_start=signal_start,
            recovers=recovers, quiet_until=quiet_until,
        )
        plan.contacts = _plan_contacts(r, plan)
        plan.subscriptions = _plan_subscriptions(r, plan, as_of)
        plans.append(plan)
    return plans


def _pattern_length(scenario: str, shape: UsageShape, days_since_left: int, quiet_days: int) -> int:
    """How many days before its anchor a scenario's planted pattern starts to show."""
    if scenario == "ehr_integration_breakage":
        return -shape.spike_start
    if scenario == "champion_left":
        return days_since_left
    if scenario == "silent":
        return quiet_days
    if scenario == "competitor_near_renewal":
        return -shape.trend_start
    return {"escalating_emails": 28, "failed_payments": 45, "usage_cliff": 3}.get(scenario, 0)


def _pick_index(r: random.Random, weights: tuple[float, ...]) -> int:
    """The index of one weight, drawn in proportion to the weights."""
    roll = r.random() * sum(weights)
    for index, weight in enumerate(weights):
        roll -= weight
        if roll < 0:
            return index
    return len(weights) - 1


def _outcome(r: random.Random, scenario: str) -> str:
    """What happens to the account after as_of, drawn from its scenario's probabilities."""
    return ("churned", "expanded", "retained")[_pick_index(r, OUTCOME_PROBABILITIES[scenario])]


def _csm_name(email: str, csm_emails: list[str]) -> str:
    """A display name for a CSM known only by e-mail ("first.last@..." or a stable pick)."""
    if not email:
        return "Jordan Reyes"
    local = email.split("@")[0]
    if "." in local:
        return " ".join(part.capitalize() for part in local.split(".")[:2])
    return CSM_NAMES[csm_emails.index(email) % len(CSM_NAMES)]


# --- Usage (vectorised) ------------------------------------------------------------------------------

def _usage_frame(plans: list[AccountPlan], rng: np.random.Generator, as_of: dt.date,
                 progress: Progress) -> pd.DataFrame:
    """Daily feature usage of every subscription, built with numpy in batches of subscriptions."""
    window_start = as_of - dt.timedelta(days=HISTORY_DAYS - 1)
    subs = [(plan, sub) for plan in plans for sub in plan.subscriptions
            if sub.end is None or sub.end >= window_start]
    sub_ids = [sub.subscription_id for _, sub in subs]
    n_features = len(FEATURES)
    segment_index = {s: i for i, s in enumerate(SEGMENTS)}
    # Per-subscription parameters.
    first = np.array([max(0, (sub.start - window_start).days) for _, sub in subs], dtype=np.int32)
    last = np.array([((sub.end or as_of) - window_start).days for _, sub in subs], dtype=np.int32)
    anchor = np.array([(plan.anchor - window_start).days for plan, _ in subs], dtype=np.int32)
    seats = np.array([sub.seats_used for _, sub in subs], dtype=np.float64)
    seg = np.array([segment_index[plan.segment] for plan, _ in subs])
    seven_day = np.array([plan.industry in SEVEN_DAY_INDUSTRIES for plan, _ in subs])
    shapes = [plan.shape for plan, _ in subs]
    trend_start = np.array([s.trend_start for s in shapes], dtype=np.float64)
    end_level = np.array([s.end_level for s in shapes])
    cliff = np.array([s.cliff_level for s in shapes])
    spike_start = np.array([s.spike_start for s in shapes], dtype=np.float64)
    spike_rate = np.array([s.spike_rate for s in shapes])
    boost = np.array([s.advanced_boost for s in shapes])
    recovers = np.array([plan.recovers for plan, _ in subs])
    error_factor = np.array([s.error_factor for s in shapes]) * rng.lognormal(0.0, 0.4, len(subs))
    activity = rng.lognormal(0.0, 0.25, len(subs))  # how intensely this customer uses the product

    per_seat = np.array([f.per_seat for f in FEATURES])
    floor = np.array([f.floor for f in FEATURES])
    secs = np.array([f.secs for f in FEATURES], dtype=np.float64)
    weekday_use = np.array([f.weekday_use for f in FEATURES], dtype=np.float32)
    weekend_use = np.array([f.weekend_use for f in FEATURES], dtype=np.float32)
    error_rate = np.array([f.error_rate for f in FEATURES])
    advanced = np.array([f.advanced for f in FEATURES])
    automated = np.array([f.automated for f in FEATURES])
    adoption_table = np.array([f.adoption for f in FEATURES]).T  # segment x feature
    adopted = rng.random((len(subs), n_features)) < adoption_table[seg]
    adopted[boost > 1.0] |= advanced
    weight = per_seat * rng.lognormal(0.0, 0.3, (len(subs), n_features))
    weight[:, advanced] *= boost[:, None]

    days = np.arange(HISTORY_DAYS)
    # Before the last USAGE_DAYS only the core features are written: the far past stays light to import.
    detailed = days >= HISTORY_DAYS - USAGE_DAYS
    core = np.array([f.name in CORE_FEATURES for f in FEATURES])
    weekday = (window_start.weekday() + days) % 7  # 5 = Saturday, 6 = Sunday
    weekend_day = weekday >= 5
    parts: list[pd.DataFrame] = []
    for start in range(0, len(subs), USAGE_CHUNK):
        progress("Generating usage", start, len(subs))
        sl = slice(start, min(start + USAGE_CHUNK, len(subs)))
        n = sl.stop - sl.start
        rel = days[None, :] - anchor[sl, None]  # <= 0 up to the anchor day
        active = (days[None, :] >= first[sl, None]) & (days[None, :] <= last[sl, None])
        progress_in_trend = np.clip((rel - trend_start[sl, None]) / -trend_start[sl, None], 0.0, 1.0)
        level = 1.0 + (end_level[sl, None] - 1.0) * progress_in_trend
        level = np.where(rel > -3, level * cliff[sl, None], level)
        # A decoy's pattern passes at its anchor: usage climbs back to normal over RECOVERY_DAYS.
        back = np.clip(rel / RECOVERY_DAYS, 0.0, 1.0)
        low = end_level[sl, None] * cliff[sl, None]
        level = np.where(recovers[sl, None] & (rel > 0), low + (1.0 - low) * back, level)
        level *= rng.lognormal(0.0, 0.1, (n, HISTORY_DAYS))
        # Clinics are quieter at weekends, but patients still book, fill in intake forms and message,
        # and the EHR interface keeps running: a weekend never looks like a 50% usage cliff.
        saturday = np.where(seven_day[sl], 0.85, 0.7)
        sunday = np.where(seven_day[sl], 0.8, 0.6)
        day_factor = np.where(weekday[None, :] == 5, saturday[:, None],
                              np.where(weekday[None, :] == 6, sunday[:, None], 1.0))
        use_chance = np.where(weekend_day[None, :, None], weekend_use[None, None, :], weekday_use[None, None, :])
        used = rng.random((n, HISTORY_DAYS, n_features), dtype=np.float32) < use_chance
        used &= adopted[sl, None, :] & active[:, :, None] & (detailed[None, :, None] | core[None, None, :])
        # Interfaces run every day; ehr_sync is adopted by all, so every active day has a row.
        used[:, :, automated] = active[:, :, None] & adopted[sl, None, automated] & (
            detailed[None, :, None] | core[None, None, automated])
        s_i, d_i, f_i = np.nonzero(used)
        ehr_rows = f_i == EHR_SYNC
        day_effect = np.where(automated[f_i], np.sqrt(day_factor[s_i, d_i]), day_factor[s_i, d_i])
        volume = (seats[sl] * activity[sl])[s_i] * weight[sl][s_i, f_i] + floor[f_i]
        expected = volume * level[s_i, d_i] * day_effect
        counts = rng.poisson(expected)
        rel_rows = rel[s_i, d_i]
        spiking = ehr_rows & (spike_start[sl][s_i] < 0) & (rel_rows >= spike_start[sl][s_i])
        spiking &= ~(recovers[sl][s_i] & (rel_rows > 0))  # a decoy's integration was fixed
        counts = np.where(spiking, (counts * 0.6).astype(counts.dtype), counts)
        counts = np.where(ehr_rows | (f_i == SCHEDULING), np.maximum(counts, 1), counts)
        duration = np.rint(counts * secs[f_i] * rng.lognormal(0.0, 0.25, len(counts))).astype(np.int64)
        rate = error_rate[f_i] * error_factor[sl][s_i]
        rate = np.where(spiking, spike_rate[sl][s_i], rate)
        errors = np.minimum(rng.poisson(counts * rate), counts)
        global_sub = s_i + sl.start
        # Rows come out ordered by subscription, day, feature: number them within each subscription.
        row_in_sub = np.arange(len(s_i)) - np.searchsorted(s_i, s_i, side="left")
        parts.append(pd.DataFrame({
            "sub": global_sub.astype(np.int32), "n": row_in_sub.astype(np.int32),
            "day": d_i.astype(np.int16), "feature": f_i.astype(np.int8),
            "usage_count": counts.astype(np.int64), "usage_duration_secs": duration,
            "error_count": errors.astype(np.int64),
        }))
    progress("Generating usage", len(subs), len(subs))
    raw = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {c: pd.Series(dtype=np.int64) for c in ("sub", "n", "day", "feature", "usage_count",
                                                "usage_duration_secs", "error_count")})
    sub_codes = raw["sub"].to_numpy()
    prefixes = pd.Categorical.from_codes(sub_codes, categories=[f"U-{s}-" for s in sub_ids]) if sub_ids \
        else pd.Categorical([])
    usage_id = pd.Series(prefixes, dtype=object).astype(str) + raw["n"].astype(str)
    dates = pd.DatetimeIndex(pd.date_range(window_start, periods=HISTORY_DAYS, freq="D"))
    return pd.DataFrame({
        "usage_id": usage_id,
        "subscription_id": pd.Categorical.from_codes(sub_codes, categories=sub_ids) if sub_ids
        else pd.Categorical([]),
        "usage_date": dates[raw["day"].to_numpy()],
        "feature_name": pd.Categorical.from_codes(raw["feature"].to_numpy(), categories=list(FEATURE_NAMES)),
        "usage_count": raw["usage_count"],
        "usage_duration_secs": raw["usage_duration_secs"],
        "error_count": raw["error_count"],
        "is_beta_feature": np.array([f.beta for f in FEATURES])[raw["feature"].to_numpy()],
    })


# --- Events (tickets, touchpoints, surveys, invoices, churn) -----------------------------------------

PRIORITY_BY_TOPIC: dict[str, tuple[tuple[str, float], ...]] = {
    Topic.EHR: (("urgent", 0.35), ("high", 0.5), ("medium", 0.15)),
    Topic.PAYMENT: (("high", 0.4), ("medium", 0.6)),
    Topic.BUG: (("high", 0.3), ("medium", 0.55), ("low", 0.15)),
    Topic.PERFORMANCE: (("high", 0.45), ("medium", 0.45), ("urgent", 0.1)),
    Topic.FEATURE: (("low", 0.8), ("medium", 0.2)),
    Topic.HOWTO: (("low", 0.6), ("medium", 0.4)),
    Topic.BILLING: (("medium", 0.6), ("low", 0.4)),
    Topic.ONBOARDING: (("medium", 0.6), ("low", 0.3), ("high", 0.1)),
    Topic.SEATS: (("medium", 0.7), ("low", 0.3)),
}
RESOLUTION_HOURS = {"urgent": 6.0, "high": 20.0, "medium": 40.0, "low": 70.0}
FIRST_RESPONSE_MINUTES = {"urgent": 25.0, "high": 90.0, "medium": 240.0, "low": 600.0}
NOISE_TOPICS: dict[str, tuple[tuple[str, float], ...]] = {
    "healthy": ((Topic.HOWTO, 0.35), (Topic.BUG, 0.2), (Topic.FEATURE, 0.15), (Topic.EHR, 0.08),
                (Topic.PERFORMANCE, 0.07), (Topic.BILLING, 0.07), (Topic.ONBOARDING, 0.08)),
    "neutral": ((Topic.HOWTO, 0.25), (Topic.BUG, 0.25), (Topic.PERFORMANCE, 0.15), (Topic.EHR, 0.12),
                (Topic.BILLING, 0.1), (Topic.FEATURE, 0.08), (Topic.ONBOARDING, 0.05)),
}
# Monthly rates per segment (SMB, Mid-Market, Enterprise).
RATES: dict[str, tuple[float, float, float]] = {
    "tickets": (0.5, 1.2, 2.5),
    "inbound_emails": (0.25, 0.5, 0.9),
    "calls": (0.3, 0.6, 1.0),
    "meetings": (0.08, 0.25, 0.5),
    "notes": (0.25, 0.5, 0.9),
    "community": (0.15, 0.25, 0.35),
    "docs": (0.8, 1.5, 3.0),
}
SURVEYS_PER_HALF_YEAR = (1.0, 2.0, 3.5)
NPS_BANDS: dict[str, tuple[float, float, float]] = {  # chance of promoter, passive, detractor
    "promoters": (1.0, 0.0, 0.0),
    "healthy": (0.5, 0.4, 0.1),
    "expansion": (0.55, 0.35, 0.1),
    "neutral": (0.15, 0.55, 0.3),
    "churn": (0.05, 0.3, 0.65),
}


def _poisson(r: random.Random, mean: float) -> int:
    """A Poisson draw from the stdlib random source (small means only)."""
    if mean <= 0:
        return 0
    limit, k, product = np.exp(-mean), 0, r.random()
    while product > limit:
        k += 1
        product *= r.random()
    return k


def _at(r: random.Random, day: dt.date, *, after_hours: bool = False) -> dt.datetime:
    """A time on a day, in UTC, during US clinic hours (or any hour)."""
    hour = r.randint(0, 23) if after_hours else r.randint(13, 22)
    return dt.datetime(day.year, day.month, day.day, hour, r.randint(0, 59), r.randint(0, 59))


class _BookWriter:
    """Accumulates the event rows of every account, then turns them into frames."""

    def __init__(self, r: random.Random, as_of: dt.date):
        self.r = r
        self.as_of = as_of
        self.end_of_as_of = dt.datetime(as_of.year, as_of.month, as_of.day, 23, 59, 59)
        self.tickets: list[tuple] = []
        self.touchpoints: list[tuple] = []
        self.surveys: list[tuple] = []
        self.invoices: list[tuple] = []
        self.churn_events: list[tuple] = []

    # Helpers -----------------------------------------------------------------------------------------

    def _voice(self, plan: AccountPlan, contact: ContactPlan | None) -> Voice:
        """The customer-side voice of a contact (or of the front desk when there is none)."""
        if contact is None:
            return Voice(name="Front Desk", title="Staff", persona="front_desk", org=plan.name, ehr=plan.ehr,
                         csm=plan.csm_name, sites=plan.sites)
        return Voice(name=contact.name, title=contact.title, persona=contact.persona, org=plan.name,
                     ehr=plan.ehr, csm=plan.csm_name, sites=plan.sites)

    def _contact(self, plan: AccountPlan, day: dt.date, roles: tuple[str, ...] = ()) -> ContactPlan | None:
        """A contact who was still there on that day, preferring the given roles in order."""
        present = [c for c in plan.contacts if c.left_date is None or c.left_date > day]
        for role in roles:
            matching = [c for c in present if c.role == role]
            if matching:
                return matching[int(self.r.random() * len(matching))]
        return present[int(self.r.random() * len(present))] if present else None

    def _days(self, plan: AccountPlan, mean_per_month: float, start: dt.date, end: dt.date) -> list[dt.date]:
        """Random days between two dates at a monthly rate, skipping a silent account's silence."""
        span = (end - start).days
        if span < 0:
            return []
        count = _poisson(self.r, mean_per_month * (span + 1) / 30.0)
        days = sorted(start + dt.timedelta(days=self.r.randint(0, span)) for _ in range(count))
        return [d for d in days if self._open_day(plan, d)]

    def _open_day(self, plan: AccountPlan, day: dt.date) -> bool:
        """Whether an ordinary interaction can happen that day (not in a silent account's silence)."""
        return plan.quiet_from is None or day < plan.quiet_from or (
            plan.quiet_until is not None and day >= plan.quiet_until)

    def _rate(self, plan: AccountPlan, name: str) -> float:
        """A segment's monthly rate of an interaction, scaled by how engaged the scenario is."""
        base = RATES[name][SEGMENTS.index(plan.segment)]
        return base * {"expansion": 1.25, "healthy": 1.0, "neutral": 0.8, "churn": 0.8}[plan.family]

    # Rows --------------------------------------------------------------------------------------------

    def ticket(self, plan: AccountPlan, day: dt.date, topic: str, *, escalated: bool | None = None,
               priority: str = "", mood: str = "", competitor: str = "", cancel_intent: bool = False) -> None:
        r = self.r
        contact = self._contact(plan, day, ("admin", "champion", "user"))
        subject, body = text.ticket(r, topic, self._voice(plan, contact), competitor=competitor,
                                    cancel_intent=cancel_intent)
        priority = priority or _weighted(r, PRIORITY_BY_TOPIC.get(topic, PRIORITY_BY_TOPIC[Topic.HOWTO]))
        submitted = _at(r, day, after_hours=priority == "urgent")
        slow = 3.0 if mood == "angry" else 1.0
        response = int(FIRST_RESPONSE_MINUTES[priority] * slow * r.lognormvariate(0, 0.6)) + 1
        hours = round(RESOLUTION_HOURS[priority] * slow * r.lognormvariate(0, 0.7), 2)
        closed = submitted + dt.timedelta(hours=hours)
        if closed > self.end_of_as_of or (plan.churn_date and closed.date() > plan.churn_date):
            closed_at, resolution = None, None
        else:
            closed_at, resolution = closed, hours
        satisfaction = None
        if closed_at is not None and r.random() < 0.45:
            low, high = {"angry": (1, 2), "unhappy": (1, 4), "happy": (4, 5)}.get(mood, (3, 5))
            satisfaction = r.randint(low, high)
        if escalated is None:
            escalated = r.random() < (0.15 if priority == "urgent" else 0.03)
        self.tickets.append((plan.account_id, submitted, closed_at, resolution, priority, response,
                             satisfaction, escalated, subject, body))

    def touchpoint(self, plan: AccountPlan, when: dt.datetime, kind: str, direction: str,
                   contact: ContactPlan | None, subject: str, body: str) -> None:
        self.touchpoints.append((plan.account_id, when, kind, direction,
                                 contact.contact_id if contact else None, subject, body))

    def csm_email(self, plan: AccountPlan, day: dt.date, kind: str, contact: ContactPlan | None = None) -> None:
        contact = contact or self._contact(plan, day, ("champion", "executive_sponsor", "admin"))
        subject, body = text.csm_email(self.r, kind, self._voice(plan, contact))
        self.touchpoint(plan, _at(self.r, day), "email", "outbound", contact, subject, body)

    def customer_email(self, plan: AccountPlan, day: dt.date, topic: str, *, roles: tuple[str, ...] = (
            "champion", "admin", "executive_sponsor"), competitor: str = "", cancel_intent: bool = False) -> None:
        contact = self._contact(plan, day, roles)
        subject, body = text.customer_email(self.r, topic, self._voice(plan, contact), competitor=competitor,
                                            cancel_intent=cancel_intent)
        self.touchpoint(plan, _at(self.r, day), "email", "inbound", contact, subject, body)

    def call(self, plan: AccountPlan, day: dt.date, topic: str, *, competitor: str = "",
             cancel_intent: bool = False) -> None:
        contact = self._contact(plan, day, ("champion", "executive_sponsor", "admin"))
        subject, transcript = text.call_transcript(self.r, topic, self._voice(plan, contact),
                                                   competitor=competitor, cancel_intent=cancel_intent)
        self.touchpoint(plan, _at(self.r, day), "call", "outbound", contact, subject, transcript)

    def note(self, plan: AccountPlan, day: dt.date, topic: str, *, competitor: str = "",
             contact: ContactPlan | None = None) -> None:
        contact = contact or self._contact(plan, day, ("champion", "executive_sponsor"))
        subject, body = text.csm_note(self.r, topic, self._voice(plan, contact), competitor=competitor)
        self.touchpoint(plan, _at(self.r, day), "note", "internal", None, subject, body)

    def survey(self, plan: AccountPlan, day: dt.date, band: str) -> None:
        r = self.r
        contact = self._contact(plan, day)
        chances = NPS_BANDS[band]
        group = _pick_index(r, chances)
        score = (r.randint(9, 10), r.randint(7, 8), r.choice((0, 1, 2, 3, 4, 4, 5, 5, 6, 6)))[group]
        comment = text.nps_comment(r, score, self._voice(plan, contact))
        self.surveys.append((plan.account_id, contact.contact_id if contact else None, _at(r, day), score,
                             comment))

    # Per account -------------------------------------------------------------------------------------

    def account(self, plan: AccountPlan) -> None:
        """Every event row of one account: the ordinary rhythm, then its planted pattern."""
        start = max(self.as_of - dt.timedelta(days=EVENT_DAYS - 1), plan.signup)
        # The ordinary rhythm runs to as_of (a planned churner may yet be saved: seed_demo removes what
        # follows a churn); the planted pattern leads up to the anchor.
        self._rhythm(plan, start, self.as_of)
        planter = getattr(self, f"_plant_{plan.scenario}", None)
        if planter is not None:
            planter(plan, plan.anchor)
        self._surveys(plan, start, self.as_of)
        self._invoices(plan)
        if plan.planned_churn is not None:
            self._churn_event(plan)

    def _rhythm(self, plan: AccountPlan, start: dt.date, end: dt.date) -> None:
        """The ordinary life of an account: noise tickets, CSM cadence, calls, e-mails, QBRs, docs."""
        r = self.r
        quiet_after_left = plan.left_date  # champion gone: inbound contact dries up
        noise = NOISE_TOPICS["neutral" if plan.family in ("neutral", "churn") else "healthy"]
        mood = {"churn": "unhappy", "neutral": "", "healthy": "happy", "expansion": "happy"}[plan.family]
        ticket_rate = self._rate(plan, "tickets")
        for day in self._days(plan, ticket_rate, start, end):
            if quiet_after_left and day >= quiet_after_left and r.random() < 0.6:
                continue
            topic = _weighted(r, noise)
            if topic == Topic.ONBOARDING and plan.onboarding_pct >= 100 and r.random() < 0.7:
                topic = Topic.HOWTO
            self.ticket(plan, day, topic, mood=mood)
        # The CSM's own cadence: an outbound touch every three to six weeks.
        day = start + dt.timedelta(days=r.randint(0, 20))
        while day <= end:
            if not self._open_day(plan, day):
                day += dt.timedelta(days=r.randint(21, 42))
                continue
            if quiet_after_left and day >= quiet_after_left:
                self.csm_email(plan, day, "no_reply")
            elif r.random() < 0.35 and plan.segment != "SMB":
                self.call(plan, day, Topic.CHECKIN)
            else:
                kind = text.pick(r, ("check_in", "check_in", "training", "release"))
                if 0 <= (plan.renewal - day).days <= 90:
                    kind = "renewal"
                self.csm_email(plan, day, kind)
            day += dt.timedelta(days=r.randint(21, 42))
        engaged_until = end if quiet_after_left is None else min(end, quiet_after_left - dt.timedelta(days=1))
        for day in self._days(plan, self._rate(plan, "calls") * 0.5, start, engaged_until):
            self.call(plan, day, Topic.CHECKIN)
            if r.random() < 0.5:
                self.note(plan, day, Topic.CHECKIN)
        for day in self._days(plan, self._rate(plan, "inbound_emails"), start, engaged_until):
            topic = text.pick(r, (Topic.HOWTO, Topic.FEATURE, Topic.BILLING, Topic.ONBOARDING)
                              if plan.family != "expansion" else (Topic.HOWTO, Topic.FEATURE, Topic.PRAISE))
            self.customer_email(plan, day, topic)
        for day in self._days(plan, self._rate(plan, "meetings"), start, engaged_until):
            contact = self._contact(plan, day, ("champion", "admin"))
            subject, body = text.meeting_summary(r, self._voice(plan, contact), qbr=False,
                                                 healthy=plan.family != "churn", quarter="")
            self.touchpoint(plan, _at(r, day), "meeting", "outbound", contact, subject, body)
        for day in self._days(plan, self._rate(plan, "notes") * 0.5, start, end):
            self.note(plan, day, Topic.CHECKIN)
        for day in self._days(plan, self._rate(plan, "community"), start, engaged_until):
            contact = self._contact(plan, day, ("admin", "user", "champion"))
            topic = text.pick(r, (Topic.HOWTO, Topic.HOWTO, Topic.FEATURE, Topic.EHR)
                              if plan.family != "expansion" else (Topic.HOWTO, Topic.FEATURE, Topic.PRAISE))
            subject, body = text.community_post(r, topic, self._voice(plan, contact))
            self.touchpoint(plan, _at(r, day), "community", "inbound", contact, subject, body)
        for day in self._days(plan, self._rate(plan, "docs"), start, engaged_until):
            contact = self._contact(plan, day, ("admin", "user"))
            self.touchpoint(plan, _at(r, day), "docs", "inbound", contact,
                            text.docs_title(r, self._voice(plan, contact)), "")
        if plan.segment != "SMB":
            every = 90 if plan.segment == "Enterprise" else 180
            day = start + dt.timedelta(days=r.randint(10, every))
            while day <= engaged_until:
                if not self._open_day(plan, day):
                    day += dt.timedelta(days=every)
                    continue
                contact = self._contact(plan, day, ("executive_sponsor", "champion"))
                quarter = f"Q{(day.month - 1) // 3 + 1} {day.year}"
                subject, body = text.meeting_summary(r, self._voice(plan, contact), qbr=True,
                                                     healthy=plan.family != "churn", quarter=quarter)
                self.touchpoint(plan, _at(r, day), "qbr", "outbound", contact, subject, body)
                day += dt.timedelta(days=every + r.randint(-10, 15))

    def _recent(self, end: dt.date, low: int, high: int) -> dt.date:
        """A day between low and high days before the end day."""
        return end - dt.timedelta(days=self.r.randint(low, high))

    # Planted patterns --------------------------------------------------------------------------------

    def _plant_ehr_integration_breakage(self, plan: AccountPlan, end: dt.date) -> None:
        """A burst of EHR tickets (the last ones angry), a follow-up, a call, a note."""
        r = self.r
        onset = -plan.shape.spike_start
        days = sorted(self._recent(end, 0, min(onset, 24)) for _ in range(r.randint(3, 7)))
        for index, day in enumerate(days):
            angry = index >= len(days) - 2
            self.ticket(plan, day, Topic.EHR, escalated=r.random() < (0.6 if angry else 0.2), mood="angry",
                        cancel_intent=angry and r.random() < 0.3)
        self.csm_email(plan, days[0] + dt.timedelta(days=1) if days[0] < end else end, "ticket_follow_up")
        if r.random() < 0.7:
            self.call(plan, self._recent(end, 0, min(onset, 18)), Topic.EHR)
        self.note(plan, self._recent(end, 0, min(onset, 15)), Topic.EHR)
        if r.random() < 0.3:
            contact = self._contact(plan, end, ("admin",))
            subject, body = text.community_post(r, Topic.EHR, self._voice(plan, contact))
            self.touchpoint(plan, _at(r, self._recent(end, 0, 10)), "community", "inbound", contact, subject, body)

    def _plant_champion_left(self, plan: AccountPlan, end: dt.date) -> None:
        """The CSM's note on learning that the champion left."""
        if plan.left_date is not None:
            day = min(end, plan.left_date + dt.timedelta(days=self.r.randint(3, 14)))
            self.note(plan, day, "champion_left", contact=plan.contacts[0])

    def _plant_silent(self, plan: AccountPlan, end: dt.date) -> None:
        """Nothing: the silence itself is the pattern (see _open_day)."""
        return None  # the silence itself is the pattern (see _open_day)

    def _plant_escalating_emails(self, plan: AccountPlan, end: dt.date) -> None:
        """An angrier and angrier e-mail thread and escalated tickets in the last month."""
        r = self.r
        topic = text.pick(r, (Topic.EHR, Topic.BUG, Topic.PERFORMANCE, Topic.BILLING))
        count = r.randint(3, 5)
        first = r.randint(20, 28)
        offsets = sorted(r.sample(range(0, first), count - 1), reverse=True)
        days = [end - dt.timedelta(days=first)] + [end - dt.timedelta(days=o) for o in offsets]
        for _ in range(r.randint(1, 3)):
            self.ticket(plan, self._recent(end, 0, first), topic, escalated=True,
                        priority=r.choice(("high", "urgent")), mood="angry")
        contact = self._contact(plan, days[0], ("champion", "admin"))
        voice = self._voice(plan, contact)
        for day, (subject, body) in zip(days, text.escalating_emails(r, topic, voice, count), strict=True):
            self.touchpoint(plan, _at(r, day), "email", "inbound", contact, subject, body)
        if r.random() < 0.6:
            self.csm_email(plan, days[-1], "ticket_follow_up", contact=contact)

    def _plant_competitor_near_renewal(self, plan: AccountPlan, end: dt.date) -> None:
        """A renewal call naming a competitor, often an e-mail too, and a risk note."""
        r = self.r
        self.call(plan, self._recent(end, 2, 25), Topic.COMPETITOR, competitor=plan.competitor,
                  cancel_intent=r.random() < 0.5)
        if r.random() < 0.6:
            self.customer_email(plan, self._recent(end, 0, 20), Topic.COMPETITOR, competitor=plan.competitor,
                                roles=("executive_sponsor", "champion"))
        self.note(plan, self._recent(end, 0, 20), Topic.COMPETITOR, competitor=plan.competitor)
        self.csm_email(plan, self._recent(end, 20, 40), "renewal")

    def _plant_failed_payments(self, plan: AccountPlan, end: dt.date) -> None:
        """Payment tickets and a reminder (the failed invoices come from _invoices)."""
        r = self.r
        contact = self._contact(plan, end, ("admin", "executive_sponsor"))
        for _ in range(r.randint(1, 2)):
            self.ticket(plan, self._recent(end, 0, 45), Topic.PAYMENT, mood="unhappy")
        self.csm_email(plan, self._recent(end, 0, 20), "payment_reminder", contact=contact)
        if r.random() < 0.5:
            self.note(plan, self._recent(end, 0, 20), Topic.PAYMENT)

    def _plant_usage_cliff(self, plan: AccountPlan, end: dt.date) -> None:
        """Nothing to say yet: the cliff is only visible in usage."""
        return None  # visible in usage only: nobody has told the CSM yet

    def _plant_seats_near_limit(self, plan: AccountPlan, end: dt.date) -> None:
        """Requests for more seats and expansion talk."""
        r = self.r
        if r.random() < 0.6:
            self.ticket(plan, self._recent(end, 0, 40), Topic.SEATS, mood="happy")
        if r.random() < 0.5:
            self.customer_email(plan, self._recent(end, 0, 40), Topic.EXPANSION)
        if r.random() < 0.5:
            self.note(plan, self._recent(end, 0, 40), Topic.EXPANSION)

    def _plant_power_users(self, plan: AccountPlan, end: dt.date) -> None:
        """Docs visits about the API and dashboards, sometimes a community post."""
        r = self.r
        for _ in range(r.randint(2, 5)):
            day = self._recent(end, 0, 60)
            contact = self._contact(plan, day, ("admin",))
            self.touchpoint(plan, _at(r, day), "docs", "inbound", contact,
                            text.pick(r, ("Using the API: authentication", "Population health dashboards",
                                          "API rate limits and webhooks", "Custom report builder")), "")
        if r.random() < 0.4:
            contact = self._contact(plan, end, ("admin", "champion"))
            subject, body = text.community_post(r, Topic.PRAISE, self._voice(plan, contact))
            self.touchpoint(plan, _at(r, self._recent(end, 0, 50)), "community", "inbound", contact, subject, body)

    def _plant_feature_requests(self, plan: AccountPlan, end: dt.date) -> None:
        """Three to six feature requests by ticket, e-mail or community post."""
        r = self.r
        for _ in range(r.randint(3, 6)):
            day = self._recent(end, 0, 90)
            channel = r.random()
            if channel < 0.5:
                self.ticket(plan, day, Topic.FEATURE, mood="happy")
            elif channel < 0.75:
                self.customer_email(plan, day, Topic.FEATURE)
            else:
                contact = self._contact(plan, day, ("admin", "user", "champion"))
                subject, body = text.community_post(r, Topic.FEATURE, self._voice(plan, contact))
                self.touchpoint(plan, _at(r, day), "community", "inbound", contact, subject, body)
        self.note(plan, self._recent(end, 0, 60), Topic.FEATURE)

    def _plant_promoters(self, plan: AccountPlan, end: dt.date) -> None:
        """NPS 9-10 responses and praise or expansion e-mails."""
        r = self.r
        for _ in range(r.randint(1, 2)):
            self.survey(plan, self._recent(end, 0, 80), "promoters")
        self.customer_email(plan, self._recent(end, 0, 60), Topic.EXPANSION if r.random() < 0.5 else Topic.PRAISE)
        if r.random() < 0.5:
            self.note(plan, self._recent(end, 0, 60), Topic.PRAISE)

    # Surveys, invoices, churn ------------------------------------------------------------------------

    def _surveys(self, plan: AccountPlan, start: dt.date, end: dt.date) -> None:
        """NPS responses whose scores follow the account's scenario."""
        band = plan.family if plan.scenario != "promoters" else "expansion"
        rate = SURVEYS_PER_HALF_YEAR[SEGMENTS.index(plan.segment)] / 6.0
        for day in self._days(plan, rate, start, min(end, plan.left_date or end)):
            self.survey(plan, day, band)

    def _invoices(self, plan: AccountPlan) -> None:
        """Monthly or annual invoices of the last year, mostly paid; failed ones where planted."""
        r = self.r
        as_of = self.as_of
        rows: list[tuple[dt.date, str, float]] = []
        for sub in plan.subscriptions:
            if sub.is_trial:
                continue
            stop = sub.end if sub.end is not None else as_of + dt.timedelta(days=31)
            earliest = max(sub.start, as_of - dt.timedelta(days=INVOICE_DAYS))
            amount = round(sub.mrr if sub.billing == "monthly" else sub.mrr * 12, 2)
            rows += [(due, sub.subscription_id, amount) for due in _billing_dates(sub, plan.renewal, earliest, stop)]
        rows.sort()
        past_due = [i for i, (due, _, _) in enumerate(rows) if due <= plan.anchor - dt.timedelta(days=3)]
        statuses: dict[int, str] = {}
        if plan.scenario == "failed_payments" and past_due:
            missed = past_due[-r.randint(1, 3):]
            statuses[missed[0]] = "failed"  # the card decline that started it
            for index in missed[1:]:
                statuses[index] = r.choice(("failed", "overdue"))
            if plan.planned_churn is not None:  # nothing paid again between the decline and the churn
                for index, (due, _, _) in enumerate(rows):
                    last = min(plan.planned_churn, as_of - dt.timedelta(days=3))
                    if plan.anchor - dt.timedelta(days=3) < due <= last:
                        statuses[index] = "overdue"
        elif plan.family == "neutral" and past_due and r.random() < 0.05:
            statuses[past_due[-1]] = "overdue"  # a late payer, no failure
        for index, (due, _, amount) in enumerate(rows):
            paid_at = None
            if due > as_of:
                status = "open"
            elif index in statuses:
                status = statuses[index]
            elif (as_of - due).days < 3 and r.random() < 0.6:
                status = "open"
            else:
                status = "paid"
                paid_at = _at(r, min(as_of, due + dt.timedelta(days=r.randint(-5, 12))))
            self.invoices.append((plan.account_id, due, amount, status, paid_at))

    def _churn_event(self, plan: AccountPlan) -> None:
        """The churn event a planned churner gets if seed_demo decides that it churns."""
        r = self.r
        reasons = CHURN_REASONS.get(plan.scenario, CHURN_REASONS["other"])
        reason = _weighted(r, reasons)
        contact = self._contact(plan, plan.planned_churn, ("executive_sponsor", "champion"))
        competitor = plan.competitor or text.pick(r, COMPETITORS)
        feedback = text.churn_feedback(r, reason, self._voice(plan, contact), competitor=competitor)
        main = plan.subscriptions[-1]
        refund = round(main.mrr * r.uniform(0.2, 2.5), 2) if main.billing == "annual" and r.random() < 0.4 else 0.0
        self.churn_events.append((plan.account_id, plan.planned_churn, reason, refund,
                                  any(s.upgrade for s in plan.subscriptions),
                                  any(s.downgrade for s in plan.subscriptions), False, feedback))


def _billing_dates(sub: SubscriptionPlan, renewal: dt.date, earliest: dt.date, stop: dt.date) -> list[dt.date]:
    """Due dates of a subscription's invoices between two days (monthly, or on contract anniversaries)."""
    dates: list[dt.date] = []
    if sub.billing == "monthly":
        day_of_month = min(renewal.day, 28)
        year, month = earliest.year, earliest.month
        while True:
            due = dt.date(year, month, day_of_month)
            if due > stop:
                break
            if due >= earliest:
                dates.append(due)
            month += 1
            if month == 13:
                year, month = year + 1, 1
    else:
        for years in range(0, 8):
            due = _years_before(renewal, years)
            if earliest <= due <= stop:
                dates.append(due)
        if sub.start >= earliest and sub.start not in dates:
            dates.append(sub.start)
        dates.sort()
    return dates


# --- Frames ----------------------------------------------------------------------------------------

def _numbered(rows: list[tuple], prefix: str, key_index: int = 0) -> list[str]:
    """Ids numbered per account in row order: <prefix>-<account number>-<n>."""
    counters: dict[str, int] = {}
    ids = []
    for row in rows:
        account = row[key_index]
        counters[account] = counters.get(account, 0) + 1
        ids.append(f"{prefix}-{account.removeprefix('ACC-')}-{counters[account]:03d}")
    return ids


def _sorted_by_account_time(rows: list[tuple], time_index: int) -> list[tuple]:
    """Rows ordered by account, then time (stable, so ties keep their order)."""
    return sorted(rows, key=lambda row: (row[0], row[time_index]))


def generate_book(*, accounts: int, seed: int, as_of: dt.date, csm_emails: list[str],
                  csm_names: Mapping[str, str] | None = None, progress: Progress | None = None,
                  first_number: int = 1, book_size: int | None = None) -> dict[str, pd.DataFrame]:
    """The demo book as one DataFrame per import file, with exactly the columns of the import schema.

    A book too big for memory is made in parts (bench/recompute.py): each part is `accounts` accounts numbered from
    `first_number` within a book of `book_size`, with a seed of its own, so that the parts' ids never meet."""
    report = progress or (lambda phase, done, total: None)
    r = random.Random(seed)
    rng = np.random.default_rng(seed)
    report("Planning accounts", 0, accounts)
    plans = _plan_accounts(r, accounts, as_of, list(csm_emails), csm_names or {}, first_number=first_number,
                           book_size=book_size)
    writer = _BookWriter(r, as_of)
    for index, plan in enumerate(plans):
        if index % 500 == 0:
            report("Writing tickets, touchpoints, surveys and invoices", index, len(plans))
        writer.account(plan)
    report("Writing tickets, touchpoints, surveys and invoices", len(plans), len(plans))
    usage = _usage_frame(plans, rng, as_of, report)
    would_churn = _churn_frame(writer.churn_events)
    frames = {
        schema.ACCOUNTS.filename: _accounts_frame(plans),
        schema.SUBSCRIPTIONS.filename: _subscriptions_frame(plans),
        schema.USAGE.filename: usage,
        schema.TICKETS.filename: _tickets_frame(writer.tickets),
        schema.CHURN_EVENTS.filename: would_churn.iloc[:0].copy(),  # churn is decided later (workspace.demo.outcomes)
        schema.CONTACTS.filename: _contacts_frame(plans),
        schema.TOUCHPOINTS.filename: _touchpoints_frame(writer.touchpoints),
        schema.SURVEYS.filename: _surveys_frame(writer.surveys),
        schema.INVOICES.filename: _invoices_frame(writer.invoices),
    }
    for table in schema.TABLES:
        frames[table.filename] = frames[table.filename][table.column_names]
    frames[PLAN_KEY] = _plan_frame(plans, would_churn)
    return frames


def _plan_frame(plans: list[AccountPlan], would_churn: pd.DataFrame) -> pd.DataFrame:
    """What was planted per account (not an import file): the pattern's anchor and start, whether it
    recovers, the planned churn date and the churn event it gets if seed_demo decides that it churns."""
    frame = pd.DataFrame({
        "account_id": [p.account_id for p in plans],
        "scenario": [p.scenario for p in plans],
        "anchor": pd.to_datetime([p.anchor for p in plans]),
        "signal_start": pd.to_datetime([p.signal_start for p in plans]),
        "planned_churn": pd.to_datetime([p.planned_churn for p in plans]),
        "recovers": [p.recovers for p in plans],
        "level": [p.shape.end_level * p.shape.cliff_level for p in plans],
    })
    return frame.merge(would_churn, on="account_id", how="left")


def _accounts_frame(plans: list[AccountPlan]) -> pd.DataFrame:
    """The accounts file."""
    return pd.DataFrame({
        "account_id": [p.account_id for p in plans],
        "account_name": [p.name for p in plans],
        "industry": [p.industry for p in plans],
        "country": [p.country for p in plans],
        "signup_date": pd.to_datetime([p.signup for p in plans]),
        "referral_source": [p.referral for p in plans],
        "plan_tier": [p.plan_tier for p in plans],
        "seats": [p.seats_used for p in plans],
        "is_trial": [p.is_trial for p in plans],
        "churn_flag": [p.churned for p in plans],
        "segment": [p.segment for p in plans],
        "ehr_system": [p.ehr for p in plans],
        "renewal_date": pd.to_datetime([p.renewal for p in plans]),
        "csm_email": [p.csm_email for p in plans],
        "onboarding_completed_pct": [p.onboarding_pct for p in plans],
        "scenario": [p.scenario for p in plans],
        "outcome": [p.outcome for p in plans],
    })


def _subscriptions_frame(plans: list[AccountPlan]) -> pd.DataFrame:
    """The subscriptions file."""
    rows = [(p.account_id, s) for p in plans for s in p.subscriptions]
    return pd.DataFrame({
        "subscription_id": [s.subscription_id for _, s in rows],
        "account_id": [a for a, _ in rows],
        "start_date": pd.to_datetime([s.start for _, s in rows]),
        "end_date": pd.to_datetime([s.end for _, s in rows]),
        "plan_tier": [s.plan_tier for _, s in rows],
        "seats": [s.seats for _, s in rows],
        "mrr_amount": [s.mrr for _, s in rows],
        "arr_amount": [s.mrr * 12 for _, s in rows],
        "is_trial": [s.is_trial for _, s in rows],
        "upgrade_flag": [s.upgrade for _, s in rows],
        "downgrade_flag": [s.downgrade for _, s in rows],
        "churn_flag": [s.churned for _, s in rows],
        "billing_frequency": [s.billing for _, s in rows],
        "auto_renew_flag": [s.auto_renew and not s.churned for _, s in rows],
    })


# How a CSM would read the mood of an account's champion and executive sponsor, by scenario (others: neutral);
# users' moods are not known. Derived without the random stream, so the rest of the book stays as it was.
LEAD_SENTIMENT = {"escalating_emails": "negative", "competitor_near_renewal": "negative",
                  "promoters": "positive", "power_users": "positive"}


def _phone(contact_id: str) -> str:
    """A fictional North American number (555-01xx is reserved for fiction), the same for the same contact."""
    code = zlib.crc32(contact_id.encode())
    return f"+1 {200 + code % 800} 555 01{code // 800 % 100:02d}"


def _contacts_frame(plans: list[AccountPlan]) -> pd.DataFrame:
    """The contacts file."""
    rows = [(p, c) for p in plans for c in p.contacts]
    return pd.DataFrame({
        "contact_id": [c.contact_id for _, c in rows],
        "account_id": [p.account_id for p, _ in rows],
        "name": [c.name for _, c in rows],
        "email": [c.email for _, c in rows],
        "phone": [_phone(c.contact_id) if c.role != "user" else "" for _, c in rows],
        "title": [c.title for _, c in rows],
        "role": [c.role for _, c in rows],
        "sentiment": [LEAD_SENTIMENT.get(p.scenario, "neutral") if c.role in ("champion", "executive_sponsor")
                      else "" for p, c in rows],
        "is_active": [c.is_active for _, c in rows],
        "left_date": pd.to_datetime([c.left_date for _, c in rows]),
    })


def _frame(rows: list[tuple], columns: list[str], id_column: str, prefix: str, time_index: int
           ) -> pd.DataFrame:
    """Event rows as a frame, ordered by account and time, with ids numbered per account."""
    rows = _sorted_by_account_time(rows, time_index)
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    frame.insert(0, id_column, _numbered(rows, prefix))
    return frame


def _tickets_frame(rows: list[tuple]) -> pd.DataFrame:
    """The support tickets file."""
    frame = _frame(rows, ["account_id", "submitted_at", "closed_at", "resolution_time_hours", "priority",
                          "first_response_time_minutes", "satisfaction_score", "escalation_flag", "subject",
                          "body"], "ticket_id", "TKT", 1)
    frame["satisfaction_score"] = frame["satisfaction_score"].astype("Int64")
    frame["first_response_time_minutes"] = frame["first_response_time_minutes"].astype("Int64")
    frame["resolution_time_hours"] = frame["resolution_time_hours"].astype("Float64")
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    frame["closed_at"] = pd.to_datetime(frame["closed_at"])
    frame["escalation_flag"] = frame["escalation_flag"].astype(bool)
    return frame


def _touchpoints_frame(rows: list[tuple]) -> pd.DataFrame:
    """The touchpoints file."""
    frame = _frame(rows, ["account_id", "occurred_at", "kind", "direction", "contact_id", "subject", "text"],
                   "touchpoint_id", "TP", 1)
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"])
    return frame


def _surveys_frame(rows: list[tuple]) -> pd.DataFrame:
    """The surveys file."""
    frame = _frame(rows, ["account_id", "contact_id", "responded_at", "nps_score", "comment"],
                   "survey_id", "NPS", 2)
    frame["responded_at"] = pd.to_datetime(frame["responded_at"])
    frame["nps_score"] = frame["nps_score"].astype("Int64")
    return frame


def _invoices_frame(rows: list[tuple]) -> pd.DataFrame:
    """The invoices file."""
    frame = _frame(rows, ["account_id", "due_date", "amount", "status", "paid_at"], "invoice_id", "INV", 1)
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["paid_at"] = pd.to_datetime(frame["paid_at"])
    return frame


def _churn_frame(rows: list[tuple]) -> pd.DataFrame:
    """The churn events file."""
    frame = _frame(rows, ["account_id", "churn_date", "reason_code", "refund_amount_usd",
                          "preceding_upgrade_flag", "preceding_downgrade_flag", "is_reactivation",
                          "feedback_text"], "churn_event_id", "CHN", 1)
    frame["churn_date"] = pd.to_datetime(frame["churn_date"])
    return frame


# --- CSV -------------------------------------------------------------------------------------------

def _formatted(values: pd.Series, fmt: str) -> pd.Series:
    """Dates or timestamps as text, empty where missing; each distinct value is formatted once."""
    codes, uniques = pd.factorize(pd.to_datetime(values))
    labels = np.append(np.asarray(pd.DatetimeIndex(uniques).strftime(fmt), dtype=object), "")
    return pd.Series(labels[codes], index=values.index)  # code -1 (missing) picks the trailing ""


def book_to_csv_bytes(frames: Mapping[str, pd.DataFrame]) -> dict[str, bytes]:
    """Each non-empty frame as the bytes of its CSV file (UTF-8, "\\n" line ends, two-decimal money).

    Empty tables are left out: the import rejects a file with a header and no rows.
    """
    files: dict[str, bytes] = {}
    for table in schema.TABLES:
        if table.filename not in frames or frames[table.filename].empty:
            continue
        frame = frames[table.filename][table.column_names].copy()
        for column in table.columns:
            if column.kind == "date":
                frame[column.name] = _formatted(frame[column.name], "%Y-%m-%d")
            elif column.kind == "datetime":
                frame[column.name] = _formatted(frame[column.name], "%Y-%m-%d %H:%M:%S")
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, lineterminator="\n", float_format="%.2f", na_rep="")
        files[table.filename] = buffer.getvalue().encode("utf-8")
    return files


def write_book(frames: Mapping[str, pd.DataFrame], directory: Path | str) -> list[Path]:
    """Write the book's CSV files into a directory (created if needed); returns the paths written."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for filename, raw in book_to_csv_bytes(frames).items():
        path = folder / filename
        path.write_bytes(raw)
        paths.append(path)
    return paths
