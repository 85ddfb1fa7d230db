#!/usr/bin/env python3
"""Write the held-out customer book: a healthcare-SaaS portfolio in the product's import format.

    python bench/heldout/book.py --accounts 2000 --seed 1 --cutoff 2026-06-30 --out DIR

The book covers about twelve months before the cut-off and ninety days after it. Each customer gets a
fate first (stays, or leaves on a given day for a given reason) and the story of its data is told from
that fate: leavers show warning signs 30-120 days before they go (or none, for a third of them), stayers
sometimes show look-alike noise. `truth.csv` records fates, planted signs and look-alikes; it is not an
import file. Plain numpy and pandas, deterministic for a seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import wording as say  # noqa: E402  (run as a script)
else:
    from . import wording as say

HISTORY_DAYS = 365
AFTER_DAYS = 90
CHURN_90D_RATE = 0.04  # live customers leaving within 90 days of the cut-off
EARLIER_CHURN_RATE = 0.08  # customers that left during the year before the cut-off
SILENT_SHARE = 1 / 3  # leavers with no warning at all (budget cut, acquisition)

SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]
SEGMENT_SHARE = [0.60, 0.28, 0.12]
DAILY_USES = {"SMB": (3.6, 0.6), "Mid-Market": (5.9, 0.5), "Enterprise": (7.9, 0.45)}  # lognormal mu, sigma
SEATS_IN_USE = {"SMB": (2.4, 0.5), "Mid-Market": (4.3, 0.5), "Enterprise": (6.4, 0.6)}
TICKETS_PER_MONTH = {"SMB": 0.6, "Mid-Market": 1.8, "Enterprise": 5.0}
FEATURES_USED = {"SMB": (1, 3), "Mid-Market": (3, 5), "Enterprise": (4, 7)}
PLANS = {"SMB": ["Essentials", "Plus"], "Mid-Market": ["Plus", "Premier"], "Enterprise": ["Premier", "Enterprise"]}
SEAT_PRICE = {"Essentials": 39.0, "Plus": 69.0, "Premier": 119.0, "Enterprise": 95.0, "Telehealth add-on": 15.0}
EHRS = ["Epic", "Cerner", "athenahealth", "Allscripts", "eClinicalWorks", "NextGen", ""]
EHR_ODDS = {"SMB": [0.02, 0.02, 0.28, 0.08, 0.22, 0.13, 0.25], "Mid-Market": [0.15, 0.15, 0.2, 0.15, 0.12, 0.13, 0.10],
            "Enterprise": [0.45, 0.3, 0.05, 0.1, 0.03, 0.04, 0.03]}
KINDS_OF_PRACTICE = {
    "SMB": ["Family Practice", "Pediatrics", "Dental Care", "Physical Therapy", "Dermatology", "Counseling Center"],
    "Mid-Market": ["Medical Group", "Orthopedic Associates", "Behavioral Health", "Urgent Care Network",
                   "Women's Health Partners"],
    "Enterprise": ["Health System", "Regional Medical Center", "University Hospitals", "Care Network"],
}
PLACE_WORDS = ["Riverbend", "Cedar Hill", "Lakeside", "Northgate", "Maple Grove", "Harbor", "Summit", "Willow Creek",
               "Pinecrest", "Bayview", "Stonebridge", "Fairview", "Oak Valley", "Brookside", "Highland", "Meadowlark",
               "Silver Lake", "Eastwood", "Redwood", "Clearwater", "Granite Peak", "Sunnyside", "Ashford", "Kingsley"]
GERMAN_PLACES = ["Rheinblick", "Isartal", "Elbufer", "Schwarzwald", "Alsterpark", "Maintor", "Bodensee"]
GERMAN_KINDS = ["Praxis", "Gemeinschaftspraxis", "MVZ", "Therapiezentrum", "Klinikum"]
COUNTRIES = ["US", "CA", "GB", "DE", "AT", "CH"]
COUNTRY_ODDS = [0.78, 0.05, 0.07, 0.06, 0.02, 0.02]
GERMAN_SPEAKING = {"DE", "AT", "CH"}
REFERRALS = ["partner", "conference", "search", "referral", "outbound", "marketplace", ""]
CSMS = ["jordan.reyes", "priya.nair", "tom.becker", "aisha.khan", "lena.vogt", "sam.oduya", "marco.silva"]
CSM_DOMAIN = "cs.example.org"
UNASSIGNED_SHARE = 0.15

# feature name, typical seconds per use, talks to the EHR, beta
FEATURES = [
    ("scheduling", 40, False, False), ("patient_intake", 90, False, False), ("charting", 240, False, False),
    ("e_prescribing", 60, False, False), ("claims_billing", 120, False, False), ("patient_portal", 45, False, False),
    ("lab_orders", 50, False, False), ("reporting", 180, False, False), ("referrals", 70, False, False),
    ("care_plans", 150, False, False), ("ambient_notes", 200, False, True),
    ("ehr_sync", 2, True, False), ("hl7_interface", 1, True, False),
]
TELEHEALTH = ("telehealth_visits", 900, False, False)
ALL_FEATURES = [*FEATURES, TELEHEALTH]
FEATURE_NUMBER = {f[0]: i for i, f in enumerate(ALL_FEATURES)}

FIRST_NAMES = ["Maria", "James", "Linda", "Robert", "Susan", "David", "Karen", "Michael", "Grace", "Omar", "Elena",
               "Kevin", "Rachel", "Carlos", "Nina", "Peter", "Fatima", "Brian", "Julia", "Hannah", "Lukas", "Anna"]
LAST_NAMES = ["Nguyen", "Smith", "Patel", "Garcia", "Brown", "Kim", "Johnson", "Lopez", "Walsh", "Schmidt", "Meyer",
              "Okafor", "Chen", "Rossi", "Novak", "Hughes", "Fischer", "Ali", "Morgan", "Bauer", "Silva", "Weber"]
TITLES = {"champion": ["Practice Manager", "Clinic Administrator", "Operations Director", "Praxismanagerin"],
          "executive_sponsor": ["Medical Director", "CMIO", "COO", "Chief Executive"],
          "admin": ["IT Manager", "Systems Analyst", "Billing Lead", "Office Manager"],
          "user": ["Front Desk Lead", "Nurse Manager", "Medical Assistant", "Scheduler", "Physician", ""]}

SIGNAL_ARCHETYPES = {  # archetype: (weight, planted signal kinds)
    "written_intent": (14, ["intent_text"]),
    "usage_fade": (12, ["usage_decline"]),
    "usage_cliff": (8, ["usage_cliff"]),
    "integration_breakdown": (10, ["integration_errors"]),
    "champion_loss": (10, ["champion_left"]),
    "payment_trouble": (7, ["payment_failed"]),
    "gone_quiet": (9, ["silence"]),
    "detractor": (7, ["detractor_nps"]),
    "competitor_at_renewal": (8, ["competitor_mention"]),
    "downgrade_exit": (6, ["downgrade"]),
}
EXTRA_SIGNALS = ["intent_text", "usage_decline", "silence", "detractor_nps", "payment_failed"]
REASONS = {"written_intent": ["competitor", "pricing", "product_fit"], "usage_fade": ["low_adoption", "product_fit"],
           "usage_cliff": ["product_fit", "competitor"], "integration_breakdown": ["integration"],
           "champion_loss": ["low_adoption"], "payment_trouble": ["non_payment", "budget"],
           "gone_quiet": ["low_adoption"], "detractor": ["support", "product_fit"],
           "competitor_at_renewal": ["competitor"], "downgrade_exit": ["pricing"], "budget_cut": ["budget"],
           "acquired": ["acquired"], "trial_lapse": ["trial_ended"]}
DECOY_ODDS = {"integration_hiccup": 0.08, "seasonal_dip": 0.06, "recovered_signal": 0.06, "angry_loyal": 0.05,
              "rival_in_passing": 0.05, "cancel_other": 0.10, "payment_hiccup": 0.04, "champion_replaced": 0.04,
              "right_sized": 0.02}


@dataclass
class Customer:
    """One account's fixed traits and fate; day numbers count from the first day of the book."""

    key: str
    name: str
    segment: str
    country: str
    plan: str
    seats: int
    daily_uses: float
    ehr: str
    signup: int  # may be negative (before the book starts)
    csm: str
    trial: bool = False
    churn: int | None = None
    archetype: str = "stays"
    signals: dict[str, int] = field(default_factory=dict)  # kind -> day it became visible
    decoys: list[str] = field(default_factory=list)
    renewal: int | None = None
    onboarding: float | None = None

    @property
    def german(self) -> bool:
        """Whether the customer writes in German."""
        return self.country in GERMAN_SPEAKING


@dataclass
class Story:
    """What shapes one account's data day by day, filled in from its fate before any row is written."""

    days: int
    activity: np.ndarray = None  # multiplier on expected uses
    link_health: np.ndarray = None  # multiplier on EHR-interface uses
    link_errors: np.ndarray = None  # extra error rate of EHR-interface uses
    grumpy: np.ndarray = None  # ratings drawn from the unhappy distribution
    quiet_from: int | None = None  # no inbound contact of any kind from this day on
    reply_rate: np.ndarray = None  # multiplier on inbound touchpoints
    messages: list[tuple] = field(default_factory=list)  # (day, channel, subject, body, priority, escalated)
    champion_left: int | None = None
    champion_replaced: int | None = None
    failing_from: int | None = None  # invoices due from here to churn fail
    hiccup_invoice: int | None = None
    nps: list[tuple[int, int]] = field(default_factory=list)  # (day, score) from the main contact
    plan_change: tuple[int, float, str] | None = None  # (day, seat factor, "up" | "down")

    def __post_init__(self) -> None:
        """Start from an uneventful account."""
        self.activity = np.ones(self.days)
        self.link_health = np.ones(self.days)
        self.link_errors = np.zeros(self.days)
        self.grumpy = np.zeros(self.days, dtype=bool)
        self.reply_rate = np.ones(self.days)


class BookWriter:
    """Draws a book of customers for a seed and cut-off and turns it into import tables."""

    def __init__(self, accounts: int, seed: int, cutoff: dt.date) -> None:
        """Fix the calendar and the random generator of one book."""
        self.n = accounts
        self.rng = np.random.default_rng(seed)
        self.start = cutoff - dt.timedelta(days=HISTORY_DAYS)
        self.cut = HISTORY_DAYS  # day number of the cut-off
        self.days = HISTORY_DAYS + AFTER_DAYS + 1
        dates = pd.date_range(self.start, periods=self.days, freq="D")
        self.date_text = np.array(dates.strftime("%Y-%m-%d"))
        self.weekday = np.array(dates.day_of_week)
        self.season = self._season(dates)
        self.rows: dict[str, list] = {k: [] for k in ("subs", "tickets", "touch", "contacts", "surveys", "invoices",
                                                       "churn")}
        self.usage_parts: list[np.ndarray] = []  # blocks of (line, day, feature, uses, seconds, errors)
        self.line_ids: list[str] = []  # contract line ids by number, for the usage blocks
        self.counter = 0

    # --- calendar ---------------------------------------------------------------------------

    @staticmethod
    def _season(dates: pd.DatetimeIndex) -> np.ndarray:
        """Holiday and summer dips every practice shares."""
        month, day = np.array(dates.month), np.array(dates.day)
        factor = np.ones(len(dates))
        factor[((month == 12) & (day >= 24)) | ((month == 1) & (day == 1))] = 0.45
        factor[(month == 7) & (day == 4)] = 0.4
        factor[((month == 7) & (day >= 15)) | (month == 8)] *= 0.9
        factor[(month == 11) & (day >= 22) & (day <= 28) & (np.array(dates.day_of_week) == 3)] = 0.3
        return factor

    def day(self, n: int) -> str:
        """The date of a day number, clipped into the book."""
        return self.date_text[min(max(n, 0), self.days - 1)]

    def stamp(self, n: int) -> str:
        """A date-time within office hours on a day number."""
        return f"{self.day(n)} {int(self.rng.integers(7, 19)):02d}:{int(self.rng.integers(60)):02d}:00"

    def next_id(self, prefix: str) -> str:
        """A fresh identifier for any row."""
        self.counter += 1
        return f"{prefix}{self.counter:07d}"

    # --- customers and fates ----------------------------------------------------------------

    def draw_customers(self) -> list[Customer]:
        """The book's customers with their traits, before any fate."""
        rng, n = self.rng, self.n
        segment = rng.choice(SEGMENTS, size=n, p=SEGMENT_SHARE)
        country = rng.choice(COUNTRIES, size=n, p=COUNTRY_ODDS)
        kind = rng.random(n)
        signup = np.where(kind < 0.02, rng.integers(self.cut - 28, self.cut - 3, n),  # trials
                          np.where(kind < 0.08, rng.integers(30, self.cut - 15, n),  # new this year
                                   -rng.integers(30, 2200, n)))
        csm = np.where(rng.random(n) < UNASSIGNED_SHARE, "",
                       np.char.add(rng.choice(CSMS[:int(rng.integers(5, 8))], size=n), "@" + CSM_DOMAIN))
        customers = []
        for i in range(n):
            seg = str(segment[i])
            german = country[i] in GERMAN_SPEAKING
            if german:
                name = f"{say.pick(rng, GERMAN_KINDS)} {say.pick(rng, GERMAN_PLACES)} {say.pick(rng, LAST_NAMES)}"
            else:
                name = f"{say.pick(rng, PLACE_WORDS)} {say.pick(rng, KINDS_OF_PRACTICE[seg])}"
            mu, sigma = DAILY_USES[seg]
            smu, ssigma = SEATS_IN_USE[seg]
            customers.append(Customer(
                key=f"hb-{i + 1:05d}", name=name, segment=seg, country=str(country[i]),
                plan=say.pick(rng, PLANS[seg]), seats=max(2, int(rng.lognormal(smu, ssigma))),
                daily_uses=float(rng.lognormal(mu, sigma)), ehr=str(rng.choice(EHRS, p=EHR_ODDS[seg])),
                signup=int(signup[i]), csm=str(csm[i]), trial=bool(kind[i] < 0.02)))
        return customers

    def decide_fates(self, customers: list[Customer]) -> None:
        """Choose who leaves when and why, which warning signs show, and the stayers' look-alikes."""
        rng = self.rng
        weight = {"SMB": 1.4, "Mid-Market": 1.0, "Enterprise": 0.5}
        trials = [c for c in customers if c.trial]
        lapsed = [c for c in trials if rng.random() < 0.3]
        for c in lapsed:
            c.churn = c.signup + int(rng.integers(30, 41))
            c.archetype = "trial_lapse"
            c.signals["low_adoption"] = c.signup + 7
        live = [c for c in customers if not c.trial]
        target = max(0, int(rng.binomial(len(customers), CHURN_90D_RATE)) - len(lapsed))
        odds = np.array([weight[c.segment] for c in live])
        future = rng.choice(len(live), size=target, replace=False, p=odds / odds.sum())
        for i in future:
            live[i].churn = self.cut + int(rng.integers(1, AFTER_DAYS + 1))
        mature = [c for c in live if c.churn is None and c.signup < 0]
        earlier = rng.choice(len(mature), size=int(rng.binomial(len(customers), EARLIER_CHURN_RATE)), replace=False)
        for i in earlier:
            mature[i].churn = int(rng.integers(45, self.cut + 1))
        names = list(SIGNAL_ARCHETYPES)
        odds = np.array([SIGNAL_ARCHETYPES[a][0] for a in names], dtype=float)
        for c in customers:
            if c.churn is None or c.archetype == "trial_lapse":
                continue
            if rng.random() < SILENT_SHARE:
                c.archetype = "budget_cut" if rng.random() < 0.6 else "acquired"
                continue
            c.archetype = str(rng.choice(names, p=odds / odds.sum()))
            if c.archetype == "integration_breakdown" and not c.ehr:
                c.archetype = "usage_fade"
            kinds = list(SIGNAL_ARCHETYPES[c.archetype][1])
            if c.archetype == "champion_loss" and rng.random() < 0.7:
                kinds.append("usage_decline")
            if rng.random() < 0.4:
                extra = str(rng.choice(EXTRA_SIGNALS))
                if extra not in kinds:
                    kinds.append(extra)
            c.signals = {k: 0 for k in kinds}  # visible days are set when the story is told
        for c in customers:
            if c.churn is not None:
                continue
            if 0 <= c.signup and c.signup >= self.cut - 120 and not c.trial:
                c.decoys.append("go_live_burst")
            if c.segment == "Enterprise" and rng.random() < 0.5:
                c.decoys.append("large_volume")
            for kind, p in DECOY_ODDS.items():
                if rng.random() < p and (kind != "integration_hiccup" or c.ehr) and c.signup < self.cut - 60:
                    c.decoys.append(kind)

    # --- the story of one account -----------------------------------------------------------

    def tell(self, c: Customer) -> Story:
        """Turn a customer's fate into the day-by-day shape of its data."""
        rng, s = self.rng, Story(self.days)
        end = c.churn if c.churn is not None else self.days
        for kind in [k for k in c.signals if k != "low_adoption"]:  # a lapsing trial shows it in its use
            lead = int(rng.integers(60, 121) if kind in ("silence", "champion_left") else rng.integers(30, 91))
            begin = max(end - lead, c.signup + 10, 1)
            strength = float(rng.uniform(0.3, 1.0))
            c.signals[kind] = self._plant(c, s, kind, begin, end, strength)
        for kind in c.decoys:
            when = int(rng.integers(self.cut - 60, self.cut - 1) if rng.random() < 0.65
                       else rng.integers(30, self.cut - 60))
            self._plant_decoy(c, s, kind, max(when, c.signup + 5))
        if c.signup >= 0:  # new customers ramp up over their first weeks
            ramp = np.clip((np.arange(self.days) - c.signup) / 45.0, 0.2, 1.0)
            s.activity *= ramp
        return s

    def _texts(self, c: Customer, s: Story, day: int, subject: str, body: str, channel: str = "",
               priority: str = "", escalated: bool = False) -> int:
        """Queue a written message; the channel (ticket, e-mail in, call note) is drawn when not given."""
        channel = channel or str(self.rng.choice(["ticket", "email_in", "call_note"], p=[0.45, 0.35, 0.2]))
        s.messages.append((day, channel, subject, body, priority, escalated))
        return day

    def _plant(self, c: Customer, s: Story, kind: str, begin: int, end: int, strength: float) -> int:
        """Plant one warning sign of a leaving customer; returns the day it became visible."""
        rng = self.rng
        span = max(end - begin, 4)
        if kind == "intent_text":
            days = sorted(begin + rng.integers(0, span - 2, size=1 + int(strength > 0.6) + int(strength > 0.85)))
            for d in days:
                if rng.random() < 0.2:
                    subject, body = say.leaving_call_note(rng, say.pick(rng, FIRST_NAMES))
                    self._texts(c, s, int(d), subject, body, "call_note")
                else:
                    subject, body = say.leaving_message(rng, c.german and rng.random() < 0.8)
                    self._texts(c, s, int(d), subject, body, str(rng.choice(["ticket", "email_in"])))
            return int(days[0])
        if kind == "usage_decline":
            floor = max(0.0, 1 - strength * rng.uniform(0.7, 1.1))
            s.activity[begin:end] *= np.linspace(1, floor, end - begin)
            return begin + 10
        if kind == "usage_cliff":
            s.activity[begin:end] *= (1 - strength) * 0.3
            return begin + 3
        if kind == "integration_errors":
            width = int(rng.integers(10, 41))
            s.link_errors[begin:begin + width] += 0.1 + 0.4 * strength
            s.link_errors[begin + width:end] += 0.05 * strength
            s.link_health[begin:end] *= 0.3
            s.activity[begin + width:end] *= rng.uniform(0.6, 0.85)
            s.grumpy[begin:end] = True
            for d in sorted(begin + rng.integers(0, min(width + 10, span), size=int(3 + 5 * strength))):
                subject, body = say.sync_trouble_ticket(rng, c.ehr, c.german and rng.random() < 0.7)
                self._texts(c, s, int(d), subject, body, "ticket", str(rng.choice(["high", "urgent"])),
                            bool(rng.random() < 0.35))
            return begin
        if kind == "champion_left":
            s.champion_left = begin
            s.reply_rate[begin:] *= 0.2
            if rng.random() < 0.5:
                subject, body = say.champion_gone_message(rng, say.pick(rng, FIRST_NAMES))
                self._texts(c, s, begin + int(rng.integers(0, 10)), subject, body, "email_in")
            return begin
        if kind == "payment_failed":
            s.failing_from = begin
            return begin
        if kind == "silence":
            s.quiet_from = begin
            s.activity[begin:end] *= rng.uniform(0.7, 0.95)
            return begin + 30
        if kind == "detractor_nps":
            d = begin + int(rng.integers(0, max(span - 7, 1)))
            s.nps.append((d, int(rng.integers(0, 5))))
            s.grumpy[begin:end] = True
            return d
        if kind == "competitor_mention":
            c.renewal = end
            d = begin + int(rng.integers(0, max(span - 5, 1)))
            subject, body = say.rival_at_renewal(rng)
            self._texts(c, s, d, subject, body)
            return d
        if kind == "downgrade":
            s.plan_change = (begin, float(rng.uniform(0.4, 0.7)), "down")
            s.activity[begin:end] *= 0.7
            return begin
        raise ValueError(kind)

    def _plant_decoy(self, c: Customer, s: Story, kind: str, when: int) -> None:
        """Plant something that looks like trouble in a customer that stays."""
        rng = self.rng
        if kind == "go_live_burst":
            for d in sorted(c.signup + rng.integers(0, 40, size=int(rng.integers(4, 11)))):
                subject, body = say.onboarding_ticket(rng)
                self._texts(c, s, int(d), subject, body, "ticket", str(rng.choice(["medium", "high"])))
        elif kind == "integration_hiccup":
            width = int(rng.integers(3, 11))
            s.link_errors[when:when + width] += rng.uniform(0.15, 0.5)
            s.link_health[when:when + width] *= 0.4
            for d in sorted(when + rng.integers(0, width, size=int(rng.integers(2, 6)))):
                subject, body = say.sync_trouble_ticket(rng, c.ehr, c.german and rng.random() < 0.7)
                self._texts(c, s, int(d), subject, body, "ticket", "high", bool(rng.random() < 0.2))
            subject, body = say.sync_fixed_ticket(rng, c.ehr)
            self._texts(c, s, when + width + int(rng.integers(0, 4)), subject, body, "email_in")
        elif kind == "seasonal_dip":
            s.activity[self.cut - 35:self.cut + 14] *= rng.uniform(0.35, 0.65)
        elif kind == "recovered_signal":
            s.activity[when:when + int(rng.integers(20, 46))] *= rng.uniform(0.3, 0.6)
            if rng.random() < 0.3:
                s.hiccup_invoice = when
        elif kind == "angry_loyal":
            for d in when + rng.integers(0, 20, size=int(rng.integers(1, 4))):
                subject, body = say.angry_message(rng)
                self._texts(c, s, int(d), subject, body, "ticket", "high", bool(rng.random() < 0.5))
            s.grumpy[when:when + 30] = True
            if rng.random() < 0.5:
                s.nps.append((when + int(rng.integers(0, 30)), int(rng.integers(2, 6))))
        elif kind == "rival_in_passing":
            subject, body = say.rival_in_passing(rng)
            self._texts(c, s, when, subject, body, str(rng.choice(["ticket", "email_in"])))
        elif kind == "cancel_other":
            for d in when + rng.integers(0, 25, size=int(rng.integers(1, 3))):
                subject, body = say.cancel_other_message(rng)
                self._texts(c, s, int(d), subject, body, str(rng.choice(["ticket", "email_in"])))
        elif kind == "payment_hiccup":
            s.hiccup_invoice = when
        elif kind == "champion_replaced":
            s.champion_left = when
            s.champion_replaced = when + int(rng.integers(14, 43))
        elif kind == "right_sized":
            s.plan_change = (when, float(rng.uniform(0.5, 0.8)), "down")
        elif kind == "large_volume":
            pass  # handled by the ticket and error rates
        else:
            raise ValueError(kind)

    # --- rows -------------------------------------------------------------------------------

    def write_account(self, c: Customer, s: Story) -> None:
        """Every row of one account: contracts, use, contacts, messages, surveys and invoices."""
        rng = self.rng
        first = max(c.signup, 0)
        end = c.churn if c.churn is not None else self.days  # first day without the customer
        contacts = self._contacts(c, s, end)
        subs = self._subscriptions(c, s, end)
        self._usage(c, s, subs, first, end)
        self._tickets(c, s, first, end)
        self._touchpoints(c, s, contacts, first, end)
        self._surveys(c, s, contacts, first, end)
        self._invoices(c, s, subs, end)
        if c.churn is not None:
            reason = str(rng.choice(REASONS[c.archetype]))
            feedback = say.pick(rng, say.EXIT_FEEDBACK[reason]) if rng.random() < 0.5 else ""
            self.rows["churn"].append((self.next_id("leave-"), c.key, self.day(c.churn), reason,
                                       round(float(rng.uniform(0, 400)) * (rng.random() < 0.3), 2), False,
                                       c.archetype == "downgrade_exit", False, feedback))

    def _contacts(self, c: Customer, s: Story, end: int) -> dict[str, tuple[str, str]]:
        """The customer's people; returns role -> (contact id, first name) of the key contacts."""
        rng = self.rng
        size = {"SMB": (2, 5), "Mid-Market": (4, 9), "Enterprise": (6, 15)}[c.segment]
        roles = ["champion", "executive_sponsor", "admin"] + ["user"] * (int(rng.integers(*size)) - 3)
        domain = c.name.lower().replace(" ", "").replace("'", "")[:18] + ".example"
        key: dict[str, tuple[str, str]] = {}
        for role in roles:
            first, last = say.pick(rng, FIRST_NAMES), say.pick(rng, LAST_NAMES)
            left = ""
            if role == "champion" and s.champion_left is not None:
                left = self.day(s.champion_left)
            elif role == "user" and rng.random() < 0.06:
                left = self.day(int(rng.integers(max(c.signup, 0) + 5, self.days)))
            cid = self.next_id("ppl-")
            email = f"{first}.{last}@{domain}".lower() if rng.random() < 0.9 else ""
            self.rows["contacts"].append((cid, c.key, f"{first} {last}", email, say.pick(rng, TITLES[role]), role,
                                          not left, left))
            key.setdefault(role, (cid, first))
        if s.champion_replaced is not None:
            first, last = say.pick(rng, FIRST_NAMES), say.pick(rng, LAST_NAMES)
            cid = self.next_id("ppl-")
            self.rows["contacts"].append((cid, c.key, f"{first} {last}", f"{first}.{last}@{domain}".lower(),
                                          say.pick(rng, TITLES["champion"]), "champion", True, ""))
            key["new_champion"] = (cid, first)
        return key

    def _subscriptions(self, c: Customer, s: Story, end: int) -> list[tuple[str, int, int]]:
        """Contract lines; returns (id, first day, first day after) of the lines that carry use."""
        rng = self.rng
        billing = "annual" if rng.random() < (0.3 if c.segment == "SMB" else 0.6) else "monthly"
        licensed = max(c.seats, int(c.seats / rng.uniform(0.6, 1.0)))
        churned_after = c.churn is not None

        def line(start: int, stop: int, seats: int, plan: str, trial: bool, up: bool, down: bool) -> str:
            sid = self.next_id("sub-")
            ended = stop < self.days
            mrr = 0.0 if trial else round(seats * SEAT_PRICE[plan], 2)
            self.rows["subs"].append((sid, c.key, self.day(start) if start >= 0 else self._before(start),
                                      self.day(stop) if ended else "", plan, seats, mrr, round(mrr * 12, 2), trial,
                                      up, down, ended and churned_after and stop == end, billing if not trial else "",
                                      not (ended and churned_after)))
            return sid

        lines = []
        start = c.signup
        if c.trial:
            stop = end if c.archetype == "trial_lapse" else min(start + 30, end)
            lines.append((line(start, stop, licensed, c.plan, True, False, False), start, stop))
            start = stop
            if start >= end:
                return lines
        change = s.plan_change
        if change is None and c.churn is None and rng.random() < 0.08 and c.signup < self.cut - 90:
            change = (int(rng.integers(max(c.signup, 0) + 30, self.days - 30)), float(rng.uniform(1.2, 1.8)), "up")
        if change is not None and start < change[0] < end:
            when, factor, way = change
            lines.append((line(start, when, licensed, c.plan, False, False, False), start, when))
            lines.append((line(when, end, max(1, int(licensed * factor)), c.plan, False, way == "up", way == "down"),
                          when, end))
        else:
            lines.append((line(start, end, licensed, c.plan, False, False, False), start, end))
        if rng.random() < 0.15 and not c.trial:  # a telehealth add-on on its own contract line
            begin = max(c.signup, 0) + int(rng.integers(0, 120))
            if begin < end:
                lines.append((line(begin, end, max(1, licensed // 4), "Telehealth add-on", False, False, False),
                              begin, -end))  # negative end marks the add-on
        return lines

    def _before(self, day: int) -> str:
        """A date before the book starts (signups of older customers)."""
        return (dt.date.fromisoformat(self.date_text[0]) + dt.timedelta(days=day)).isoformat()

    def _usage(self, c: Customer, s: Story, subs: list[tuple[str, int, int]], first: int, end: int) -> None:
        """Daily feature use per contract line, with errors growing with use and with interface trouble."""
        rng = self.rng
        low, high = FEATURES_USED[c.segment]
        pool = [f for f in FEATURES if not f[2]]
        chosen = [pool[i] for i in rng.choice(len(pool), size=int(rng.integers(low, high + 1)), replace=False)]
        if c.ehr:
            chosen += [FEATURES[11]] + ([FEATURES[12]] if c.segment == "Enterprise" else [])
        share = rng.dirichlet(np.full(len(chosen), 1.5))
        weekend = 0.55 if c.segment == "Enterprise" else 0.08
        week = np.where(self.weekday >= 5, weekend, 1.0)
        base_errors = rng.uniform(0.001, 0.006) * (2.0 if "large_volume" in c.decoys else 1.0)
        expected = c.daily_uses * week * self.season * s.activity * np.exp(rng.normal(0, 0.15, self.days))
        if c.signals.get("low_adoption") is not None:
            expected *= rng.uniform(0.1, 0.35)
        for sid, begin, stop in subs:
            addon = stop < 0
            stop = abs(stop)
            alive = np.zeros(self.days, dtype=bool)
            alive[max(begin, first):min(stop, end)] = True
            feats = [TELEHEALTH] if addon else chosen
            shares = [0.3] if addon else share
            for (fname, secs, link, _beta), sh in zip(feats, shares, strict=True):
                lam = expected * sh * (s.link_health if link else 1.0) * alive * (2.5 if link else 1.0)
                count = rng.poisson(lam)
                error_rate = base_errors + (s.link_errors if link else 0.0)
                errors = rng.poisson(count * error_rate + (alive * s.link_errors * 3 if link else 0))
                keep = np.flatnonzero((count > 0) | (errors > 0))
                if not len(keep):
                    continue
                dur = (count[keep] * secs * rng.lognormal(0, 0.3, len(keep))).astype(np.int64)
                block = np.empty((len(keep), 6), dtype=np.int64)
                block[:, 0], block[:, 1], block[:, 2] = len(self.line_ids), keep, FEATURE_NUMBER[fname]
                block[:, 3], block[:, 4], block[:, 5] = count[keep], dur, errors[keep]
                self.usage_parts.append(block)
            self.line_ids.append(sid)

    def _tickets(self, c: Customer, s: Story, first: int, end: int) -> None:
        """Everyday tickets plus the planted ones, none after the customer left or while it is silent."""
        rng = self.rng
        rate = TICKETS_PER_MONTH[c.segment] / 30 * rng.lognormal(0, 0.5) * (2.5 if "large_volume" in c.decoys else 1)
        count = int(rng.poisson(rate * max(end - first, 0)))
        days = first + rng.integers(0, max(end - first, 1), size=count)
        priority = rng.choice(["low", "medium", "high", "urgent"], size=count, p=[0.3, 0.45, 0.2, 0.05])
        escalated = rng.random(count) < 0.03
        planned = [(int(d), "ticket", *say.routine_ticket(rng, c.german and rng.random() < 0.8), str(p), bool(e))
                   for d, p, e in zip(days, priority, escalated, strict=True)]
        if "cancel_other" not in c.decoys and rng.random() < 0.04:  # ordinary life: a cancelled appointment
            planned.append((int(days[0]) if count else first, "ticket", *say.cancel_other_message(rng), "low", False))
        quiet = s.quiet_from if s.quiet_from is not None else self.days
        planned = [m for m in planned if m[0] < quiet] + [m for m in s.messages if m[1] == "ticket"]
        planned = [m for m in planned if first <= m[0] < end]
        n = len(planned)
        hours, resolutions = rng.integers(7, 19, n), np.round(rng.lognormal(2.6, 0.9, n), 1)
        rated, draws, responses = rng.random(n) < 0.55, rng.random(n), rng.lognormal(4.2, 0.8, n).astype(int)
        for i, (d, _, subject, body, priority, escalated) in enumerate(planned):
            hour, resolution = int(hours[i]), float(resolutions[i])
            closed = d * 24 + hour + resolution
            closed_at = ("" if closed > self.days * 24 - 24
                         else f"{self.day(int(closed // 24))} {int(closed % 24):02d}:{int(closed * 60 % 60):02d}:00")
            ladder = _GRUMPY_RATINGS if s.grumpy[min(d, self.days - 1)] else _USUAL_RATINGS
            score = int(np.searchsorted(ladder, draws[i]) + 1) if rated[i] else ""
            self.rows["tickets"].append((self.next_id("tkt-"), c.key, f"{self.day(d)} {hour:02d}:00:00", closed_at,
                                         resolution if closed_at else "", priority or "medium",
                                         int(responses[i]), score, escalated, subject, body))

    def _touchpoints(self, c: Customer, s: Story, contacts: dict, first: int, end: int) -> None:
        """CSM outreach, customer e-mails, reviews, community posts and docs visits."""
        rng = self.rng
        champ_id, champ = contacts.get("champion", ("", "there"))
        add = self.rows["touch"].append

        def inbound_ok(d: int) -> bool:
            return (s.quiet_from is None or d < s.quiet_from) and rng.random() < s.reply_rate[min(d, self.days - 1)]

        step = 30 if c.csm else 90
        d = first + int(rng.integers(0, step))
        while d < end:
            who_id, who = champ_id, champ
            if s.champion_replaced is not None and d >= s.champion_replaced:
                who_id, who = contacts["new_champion"]
            if s.quiet_from is not None and d >= s.quiet_from:
                add((self.next_id("tp-"), c.key, self.stamp(d), "email", "outbound", who_id,
                     *say.unanswered_follow_up(rng, who)))
            else:
                add((self.next_id("tp-"), c.key, self.stamp(d), "email", "outbound", who_id,
                     *say.checkin_email(rng, who)))
                if d + 3 < end and rng.random() < 0.5 * s.reply_rate[min(d, self.days - 1)]:
                    add((self.next_id("tp-"), c.key, self.stamp(d + 3), "call", "outbound", who_id,
                         *say.call_note(rng, who)))
            d += int(step * rng.uniform(0.6, 1.4))
        if c.segment != "SMB":
            for d in range(first + int(rng.integers(20, 90)), end, 91):
                if s.quiet_from is None or d < s.quiet_from:
                    add((self.next_id("tp-"), c.key, self.stamp(d), "qbr", "outbound", champ_id,
                         *say.review_note(rng, champ)))
        span = max(end - first, 0)
        for d in first + rng.integers(0, max(span, 1), size=int(rng.poisson(span / 45))):
            if inbound_ok(int(d)):
                add((self.next_id("tp-"), c.key, self.stamp(int(d)), "email", "inbound", champ_id,
                     *say.routine_ticket(rng, c.german and rng.random() < 0.8)))
        habits = (("community", 0.8 if rng.random() < 0.3 else 0), ("docs", 2.5 if rng.random() < 0.5 else 0))
        for kind, monthly in habits:
            for d in first + rng.integers(0, max(span, 1), size=int(rng.poisson(span / 30 * monthly))):
                if inbound_ok(int(d)):
                    subject = "Community post" if kind == "community" else "Help centre visit"
                    add((self.next_id("tp-"), c.key, self.stamp(int(d)), kind, "inbound", "", subject, ""))
        if s.champion_replaced is not None and s.champion_replaced < end:
            add((self.next_id("tp-"), c.key, self.stamp(s.champion_replaced), "email", "inbound",
                 contacts["new_champion"][0], *say.champion_new_message(rng, champ)))
        for d, channel, subject, body, _, _ in s.messages:
            if channel == "ticket" or d >= end or d < first:
                continue
            if channel == "call_note":
                add((self.next_id("tp-"), c.key, self.stamp(d), "call", "outbound", champ_id, subject, body))
            else:
                add((self.next_id("tp-"), c.key, self.stamp(d), "email", "inbound", champ_id, subject, body))

    def _surveys(self, c: Customer, s: Story, contacts: dict, first: int, end: int) -> None:
        """Twice-yearly NPS waves, plus the planted scores of the main contact."""
        rng = self.rng
        responders = [v for k, v in contacts.items() if k in ("champion", "executive_sponsor", "admin")]
        for wave in (self.cut - 300, self.cut - 120, self.cut + 60):
            for cid, _ in responders:
                d = wave + int(rng.integers(0, 14))
                left = s.champion_left if cid == contacts.get("champion", ("",))[0] else None
                gone = left is not None and d >= left
                quiet = s.quiet_from is not None and d >= s.quiet_from
                if first <= d < end and not gone and not quiet and rng.random() < 0.3:
                    score = int(rng.choice(11, p=_NPS_ODDS))
                    self.rows["surveys"].append((self.next_id("nps-"), c.key, cid, self.stamp(d), score,
                                                 say.nps_comment(rng, score)))
        for d, score in s.nps:
            if first <= d < end:
                cid = contacts.get("champion", ("",))[0]
                self.rows["surveys"].append((self.next_id("nps-"), c.key, cid, self.stamp(d), score,
                                             say.nps_comment(rng, score)))

    def _invoices(self, c: Customer, s: Story, subs: list[tuple[str, int, int]], end: int) -> None:
        """Invoices of the paid contract lines as they stand on the book's last day."""
        rng = self.rng
        add = self.rows["invoices"].append
        for row in self.rows["subs"][-len(subs):]:
            start, stop, mrr, trial, billing = row[2], row[3], row[6], row[8], row[12]
            if trial or mrr == 0:
                continue
            first = (dt.date.fromisoformat(start) - dt.date.fromisoformat(self.date_text[0])).days
            last = (dt.date.fromisoformat(stop) - dt.date.fromisoformat(self.date_text[0])).days if stop else self.days
            step, amount = (365, round(mrr * 12, 2)) if billing == "annual" else (30, mrr)
            d = first + step * max(0, -(-(0 - first) // step))
            while d < min(last, self.days):
                status, paid = "paid", d + int(rng.integers(-5, 11))
                if s.failing_from is not None and d >= s.failing_from:
                    status, paid = str(rng.choice(["failed", "overdue"])), None
                elif d > self.days - 12 and rng.random() < 0.6:
                    status, paid = "open", None
                elif rng.random() < 0.05:
                    paid = d + int(rng.integers(20, 41))
                if paid is not None and paid >= self.days:
                    status, paid = "open", None
                add((self.next_id("inv-"), c.key, self.day(d), amount, status, self.stamp(paid) if paid else ""))
                d += step
        if s.failing_from is not None and s.failing_from < end:  # and the invoice for extra seats fails too
            add((self.next_id("inv-"), c.key, self.day(s.failing_from), round(c.seats * 20.0, 2),
                 str(rng.choice(["failed", "overdue"])), ""))
        if s.hiccup_invoice is not None:  # card declined, paid a week later on a new invoice
            amount = round(c.seats * float(rng.uniform(20, 60)), 2)
            add((self.next_id("inv-"), c.key, self.day(s.hiccup_invoice), amount, "failed", ""))
            later = s.hiccup_invoice + int(rng.integers(5, 12))
            add((self.next_id("inv-"), c.key, self.day(later), amount, "paid", self.stamp(later + 1)))

    # --- the whole book ---------------------------------------------------------------------

    def build(self) -> dict[str, pd.DataFrame]:
        """All tables of the book, keyed by file name."""
        customers = self.draw_customers()
        self.decide_fates(customers)
        for c in customers:
            story = self.tell(c)
            self.write_account(c, story)
        return self._frames(customers)

    def _frames(self, customers: list[Customer]) -> dict[str, pd.DataFrame]:
        """Rows gathered per table, turned into DataFrames with the import columns."""
        rng = self.rng
        accounts = []
        for c in customers:
            renewal = c.renewal
            if renewal is None and rng.random() > 0.08:
                anchor = c.churn if c.churn is not None and c.churn <= self.cut else self.cut
                renewal = anchor + (c.signup - anchor) % 365
            if c.onboarding is None and rng.random() > 0.1:
                if "low_adoption" in c.signals:
                    c.onboarding = float(rng.uniform(5, 25))
                elif c.trial or c.signup >= self.cut - 120:
                    c.onboarding = float(rng.uniform(15, 75))
                else:
                    c.onboarding = float(min(100.0, rng.uniform(60, 115)))
            trial_now = c.trial
            accounts.append((c.key, c.name, "Healthcare", c.country,
                             self.day(c.signup) if c.signup >= 0 else self._before(c.signup),
                             say.pick(rng, REFERRALS), c.plan, c.seats, trial_now, c.churn is not None, c.segment,
                             c.ehr, self._day_any(renewal) if renewal is not None else "", c.csm,
                             "" if c.onboarding is None else round(c.onboarding, 0)))
        usage = self._usage_frame()
        truth = pd.DataFrame([(c.key, self.day(c.churn) if c.churn is not None else "", c.archetype, c.segment,
                               ";".join(sorted(c.signals)),
                               self.day(min(c.signals.values())) if c.signals else "", ";".join(sorted(c.decoys)))
                              for c in customers], columns=TRUTH_COLUMNS)
        return {
            "ravenstack_accounts.csv": pd.DataFrame(accounts, columns=COLUMNS["ravenstack_accounts.csv"]),
            "ravenstack_subscriptions.csv": pd.DataFrame(self.rows["subs"],
                                                         columns=COLUMNS["ravenstack_subscriptions.csv"]),
            "ravenstack_feature_usage.csv": usage[COLUMNS["ravenstack_feature_usage.csv"]],
            "ravenstack_support_tickets.csv": pd.DataFrame(self.rows["tickets"],
                                                           columns=COLUMNS["ravenstack_support_tickets.csv"]),
            "ravenstack_churn_events.csv": pd.DataFrame(self.rows["churn"],
                                                        columns=COLUMNS["ravenstack_churn_events.csv"]),
            "contacts.csv": pd.DataFrame(self.rows["contacts"], columns=COLUMNS["contacts.csv"]),
            "touchpoints.csv": pd.DataFrame(self.rows["touch"], columns=COLUMNS["touchpoints.csv"]),
            "surveys.csv": pd.DataFrame(self.rows["surveys"], columns=COLUMNS["surveys.csv"]),
            "invoices.csv": pd.DataFrame(self.rows["invoices"], columns=COLUMNS["invoices.csv"]),
            "truth.csv": truth,
        }

    def _usage_frame(self) -> pd.DataFrame:
        """The usage blocks as one table, the text columns built once from codes."""
        block = np.concatenate(self.usage_parts)
        names = [f[0] for f in ALL_FEATURES]
        beta = np.array([f[3] for f in ALL_FEATURES])
        return pd.DataFrame({
            "usage_id": np.char.add("use-", np.arange(1, len(block) + 1).astype(str)),
            "subscription_id": pd.Categorical.from_codes(block[:, 0], categories=self.line_ids),
            "usage_date": pd.Categorical.from_codes(block[:, 1], categories=list(self.date_text)),
            "feature_name": pd.Categorical.from_codes(block[:, 2], categories=names),
            "usage_count": block[:, 3], "usage_duration_secs": block[:, 4], "error_count": block[:, 5],
            "is_beta_feature": beta[block[:, 2]]})

    def _day_any(self, n: int) -> str:
        """The date of any day number, also beyond the book's ends."""
        return (dt.date.fromisoformat(self.date_text[0]) + dt.timedelta(days=n)).isoformat()


_USUAL_RATINGS = np.cumsum([0.03, 0.05, 0.15, 0.37])  # satisfaction 1-5: cut points of a uniform draw
_GRUMPY_RATINGS = np.cumsum([0.3, 0.35, 0.2, 0.1])
_NPS_ODDS = np.array([2, 1, 1, 2, 2, 4, 6, 17, 20, 22, 23], dtype=float) / 100

COLUMNS = {
    "ravenstack_accounts.csv": ["account_id", "account_name", "industry", "country", "signup_date", "referral_source",
                                "plan_tier", "seats", "is_trial", "churn_flag", "segment", "ehr_system",
                                "renewal_date", "csm_email", "onboarding_completed_pct"],
    "ravenstack_subscriptions.csv": ["subscription_id", "account_id", "start_date", "end_date", "plan_tier", "seats",
                                     "mrr_amount", "arr_amount", "is_trial", "upgrade_flag", "downgrade_flag",
                                     "churn_flag", "billing_frequency", "auto_renew_flag"],
    "ravenstack_feature_usage.csv": ["usage_id", "subscription_id", "usage_date", "feature_name", "usage_count",
                                     "usage_duration_secs", "error_count", "is_beta_feature"],
    "ravenstack_support_tickets.csv": ["ticket_id", "account_id", "submitted_at", "closed_at", "resolution_time_hours",
                                       "priority", "first_response_time_minutes", "satisfaction_score",
                                       "escalation_flag", "subject", "body"],
    "ravenstack_churn_events.csv": ["churn_event_id", "account_id", "churn_date", "reason_code", "refund_amount_usd",
                                    "preceding_upgrade_flag", "preceding_downgrade_flag", "is_reactivation",
                                    "feedback_text"],
    "contacts.csv": ["contact_id", "account_id", "name", "email", "title", "role", "is_active", "left_date"],
    "touchpoints.csv": ["touchpoint_id", "account_id", "occurred_at", "kind", "direction", "contact_id", "subject",
                        "text"],
    "surveys.csv": ["survey_id", "account_id", "contact_id", "responded_at", "nps_score", "comment"],
    "invoices.csv": ["invoice_id", "account_id", "due_date", "amount", "status", "paid_at"],
}
TRUTH_COLUMNS = ["account_id", "churn_date", "archetype", "segment", "signal_kinds", "first_signal_date",
                 "decoy_kinds"]


def write_book(out: Path, accounts: int, seed: int, cutoff: dt.date) -> dict[str, int]:
    """Generate a book and write its files into a directory; returns rows per file."""
    out.mkdir(parents=True, exist_ok=True)
    frames = BookWriter(accounts, seed, cutoff).build()
    for name, frame in frames.items():
        frame.to_csv(out / name, index=False)
    return {name: len(frame) for name, frame in frames.items()}


def main() -> None:
    """Command line: write one book."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cutoff", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    began = time.perf_counter()
    counts = write_book(args.out, args.accounts, args.seed, args.cutoff)
    for name, rows in counts.items():
        print(f"{name:34} {rows:>10,} rows")
    print(f"written to {args.out} in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
