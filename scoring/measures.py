"""The health measures of docs/scoring.md, their normalisation and the weighted health score.

Each measure is a small named function from `BookData` to one raw value per account (a Series
indexed by account id; NaN means "no data", and such a measure is left out of that account's score
with the other weights rescaled). `health_scores` normalises the raw values to 0-100 as configured
and combines them into the score, the covered weight share and the tier.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd

from scoring.config import Config, MeasureConfig, Normalisation
from scoring.fetch import BookData

WINDOW_DAYS = 31  # "last 30 days" holds 31 dates: both ends are included


def _per_account(data: BookData, series: pd.Series) -> pd.Series:
    """A per-account Series aligned on the batch's accounts (missing accounts: NaN)."""
    return series.reindex(data.accounts.index).astype("float64")


def _active_accounts(data: BookData) -> pd.Index:
    """Accounts with a subscription active on as_of or any usage in the last 60 days."""
    subs = data.subscriptions
    active = set(subs.loc[subs["active"], "account_id"])
    return pd.Index(sorted(active | set(data.usage_by_account.index)))


def _touchpoint_count(data: BookData, column: str) -> pd.Series:
    """A touchpoint count per account; no data when the book records no touchpoints at all."""
    if not data.has_touchpoints:
        return pd.Series(np.nan, index=data.accounts.index)
    return _per_account(data, data.touchpoints[column]).fillna(0.0)


# Usage -------------------------------------------------------------------------------------------

def daily_active_rate(data: BookData) -> pd.Series:
    """Share of the last 30 days with any usage."""
    active = _per_account(data, data.usage_by_account["active_days"] / WINDOW_DAYS)
    return active.where(~active.isna() | ~data.accounts.index.isin(_active_accounts(data)), 0.0)


def feature_adoption_depth(data: BookData) -> pd.Series:
    """Distinct features used in the last 30 days."""
    depth = _per_account(data, data.usage_by_account["features_30"])
    return depth.where(~depth.isna() | ~data.accounts.index.isin(_active_accounts(data)), 0.0)


def usage_trend_30d(data: BookData) -> pd.Series:
    """Usage in the last 30 days relative to the 30 before (no data without prior usage)."""
    sums = data.usage_by_account
    ratio = sums["usage_30"] / sums["usage_prev"].where(sums["usage_prev"] > 0)
    return _per_account(data, ratio)


def plan_utilisation(data: BookData) -> pd.Series:
    """Seats in use relative to the seats licensed by the active subscriptions."""
    subs = data.subscriptions[data.subscriptions["active"]]
    licensed = subs.groupby("account_id")["sub_seats"].sum()
    licensed = _per_account(data, licensed)
    in_use = data.accounts["seats"].astype("float64")
    return (in_use / licensed.where(licensed > 0)).clip(upper=1.5)


# Engagement --------------------------------------------------------------------------------------

def support_sentiment(data: BookData) -> pd.Series:
    """How support felt over the last 90 days, on 0 to 1: the mean satisfaction of rated tickets (1/5 → 0,
    5/5 → 1) and the mean sentiment the text analyser read in the tickets (-1 → 0, 1 → 1), averaged when
    both are known, else whichever is."""
    tickets = data.tickets
    rated = (tickets["satisfaction_sum_90"] / tickets["rated_90"].where(tickets["rated_90"] > 0) - 1) / 4
    if "read_90" in tickets:
        read = tickets["read_90"]
        text = (tickets["sentiment_sum_90"].astype("float64") / read.where(read > 0) + 1) / 2
        rated = pd.concat([rated, text], axis=1).mean(axis=1, skipna=True)
    return _per_account(data, rated)


def feature_request_activity(data: BookData) -> pd.Series:
    """Feature requests in tickets, e-mails and community posts over the last 90 days (no data in a
    book that records no texts at all: neither touchpoints nor ticket subjects or bodies)."""
    if not (data.has_touchpoints or data.has_ticket_text):
        return pd.Series(np.nan, index=data.accounts.index)
    from_tickets = _per_account(data, data.tickets["feature_requests_90"]).fillna(0.0)
    return from_tickets + _touchpoint_count(data, "feature_requests_90").fillna(0.0)


def community_participation(data: BookData) -> pd.Series:
    """Community posts over the last 90 days."""
    return _touchpoint_count(data, "community_90")


def onboarding_completion(data: BookData) -> pd.Series:
    """Onboarding completion in percent, as recorded on the account."""
    return data.accounts["onboarding_pct"].astype("float64")


def documentation_engagement(data: BookData) -> pd.Series:
    """Documentation visits over the last 90 days."""
    return _touchpoint_count(data, "docs_90")


# Business ----------------------------------------------------------------------------------------

def payment_health(data: BookData) -> pd.Series:
    """Share of the invoices due in the last 180 days that are paid."""
    inv = data.invoices
    return _per_account(data, inv["invoices_paid"] / inv["invoices_due"].where(inv["invoices_due"] > 0))


def contract_trend(data: BookData) -> pd.Series:
    """+1 when an active subscription was upgraded, -1 when downgraded, 0 otherwise (both: net)."""
    subs = data.subscriptions[data.subscriptions["active"]]
    net = (subs["upgrade_flag"].astype(int) - subs["downgrade_flag"].astype(int)).groupby(subs["account_id"]).sum()
    return _per_account(data, net.clip(-1, 1))


def team_adoption(data: BookData) -> pd.Series:
    """Share of the account's active contacts who engaged in the last 90 days."""
    if not data.has_contacts:
        return pd.Series(np.nan, index=data.accounts.index)
    c = data.contacts
    return _per_account(data, c["engaged_active"] / c["contacts_active"].where(c["contacts_active"] > 0))


def integration_health(data: BookData) -> pd.Series:
    """1 - error rate of integration features (EHR sync, API, interfaces: accounts.UsageFeature) in
    the last 30 days; no data without integration use."""
    sums = data.usage_by_account
    used = sums["integration_usage_30"].where(sums["integration_usage_30"] > 0)
    return _per_account(data, (1 - sums["integration_errors_30"] / used).clip(lower=0))


# Relationship ------------------------------------------------------------------------------------

def csm_interactions(data: BookData) -> pd.Series:
    """Calls, meetings, QBRs and CSM e-mails over the last 60 days."""
    return _touchpoint_count(data, "csm_60")


def executive_engagement(data: BookData) -> pd.Series:
    """QBRs and touchpoints with an executive sponsor over the last 90 days."""
    return _touchpoint_count(data, "executive_90")


def referral_likelihood(data: BookData) -> pd.Series:
    """Mean NPS ("how likely are you to recommend us") over the last 180 days."""
    s = data.surveys
    return _per_account(data, s["nps_sum"] / s["responses"].where(s["responses"] > 0))


def case_study_participation(data: BookData) -> pd.Series:
    """1 when the account took part in a case study, testimonial or reference call in the last year."""
    return _touchpoint_count(data, "case_study_365").clip(upper=1)


MEASURES: dict[str, Callable[[BookData], pd.Series]] = {
    f.__name__: f
    for f in (
        daily_active_rate, feature_adoption_depth, usage_trend_30d, plan_utilisation,
        support_sentiment, feature_request_activity, community_participation, onboarding_completion,
        documentation_engagement, payment_health, contract_trend, team_adoption, integration_health,
        csm_interactions, executive_engagement, referral_likelihood, case_study_participation,
    )
}


def normalise(raw: pd.Series, norm: Normalisation, groups: pd.DataFrame) -> pd.Series:
    """Map raw values to 0-100: linear between "bad" (0) and "good" (100), clipped; or the percentile
    rank among the accounts of the same plan tier or segment (NaN stays NaN)."""
    if norm.method == "linear":
        return ((raw - norm.bad) / (norm.good - norm.bad)).clip(0, 1) * 100
    ranked = raw.groupby(groups[norm.within].fillna("")).rank(pct=True, method="average")
    return ranked * 100


def tier_of(scores: pd.Series, config: Config) -> pd.Series:
    """The tier name of each health score (None when there is no score)."""
    conditions = [(scores >= t.min).to_numpy() for t in config.tiers]
    names = np.select(conditions, [t.name for t in config.tiers], "")
    return pd.Series(np.where(scores.isna(), None, names), index=scores.index, dtype=object)


def health_scores(data: BookData, config: Config, raw: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """Health score, covered weight share, tier and per-measure breakdown for every account."""
    index = data.accounts.index
    raw = raw if raw is not None else {m.id: MEASURES[m.id](data).reindex(index) for m in config.measures}
    groups = data.accounts[["plan_tier", "segment"]]
    total_weight = sum(m.weight for m in config.measures)
    weighted = pd.Series(0.0, index=index)
    covered = pd.Series(0.0, index=index)
    normalised: dict[str, pd.Series] = {}
    for measure in config.measures:
        score = normalise(raw[measure.id], measure.normalisation, groups)
        normalised[measure.id] = score
        has = score.notna()
        weighted += score.fillna(0.0) * measure.weight
        covered += has * measure.weight
    health = (weighted / covered.where(covered > 0)).round(1)
    breakdown = _breakdown(config.measures, raw, normalised, covered, index)
    return pd.DataFrame(
        {"health_score": health, "health_tier": tier_of(health, config),
         "covered_share": (covered / total_weight).round(3), "measures": breakdown},
        index=index,
    )


def _breakdown(measures: tuple[MeasureConfig, ...], raw: dict[str, pd.Series], normalised: dict[str, pd.Series],
               covered: pd.Series, index: pd.Index) -> pd.Series:
    """Per account, as JSON text: {measure id: [raw, score, points]} (read it with `scoring.models.breakdown`);
    points are the measure's share of the health score (score x weight / covered weight). A measure without data has
    score and points null, and raw null too when there was nothing to measure. This runs for every account of
    every recompute, so no Python object is built per account and measure: one matrix of the numbers,
    one text template filled per account (a float's repr reads back as the same float)."""
    if not measures:
        return pd.Series("{}", index=index, dtype=object)
    columns = []
    for m in measures:
        score = normalised[m.id]
        points = (score * m.weight / covered.where(covered > 0)).where(score.notna())
        columns += [raw[m.id].round(4), score.round(1), points.round(2)]
    matrix = np.column_stack([c.to_numpy(dtype="float64") for c in columns])
    matrix[~np.isfinite(matrix)] = np.nan
    template = "{" + ",".join(f'"{m.id}":[%r,%r,%r]' for m in measures) + "}"
    texts = [(template % tuple(row)).replace("[nan", "[null").replace(",nan", ",null") for row in matrix.tolist()]
    return pd.Series(texts, index=index, dtype=object)
