"""Ask the book's retrieval (docs/pages.md#ask-the-book): PostgreSQL full-text search over every customer text —
support tickets, touchpoints (calls, e-mails, meetings, notes, ...) and survey comments — within the accounts the
user may see, filtered by segment, EHR, date and category, ranked, and grouped by account a page at a time, each
text with a highlighted snippet. The texts' search vectors hold English and German stems (accounts.models.
customers.search_vector_field), and a question is looked for under both configurations."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import CharField, DateTimeField, F, QuerySet, TextField, Value
from django.db.models.functions import Cast, Concat, Replace
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Account, SupportTicket, SurveyResponse, Touchpoint, TouchpointKind, User
from accounts.models.customers import SEARCH_CONFIGS
from accounts.selectors import accounts_for_user, book_values, scope_to_user
from workspace.questions import Question

ACCOUNTS_PER_PAGE = 20
TEXTS_PER_ACCOUNT = 3  # shown under each account; the rest are counted
MAX_PAGE = 500
# Texts of one kind (tickets, touchpoints, survey comments) ranked for one question at most: a common word ("sync")
# is in over 100,000 of the 20,000-account book's texts, and reading them all to rank them takes seconds. Beyond
# this many, the first ones the index gives are ranked and the totals say "at least".
CANDIDATES = 500
# Categories: a ticket, one of the touchpoint kinds, or a survey comment.
CATEGORIES = {"ticket": "Support ticket", **{kind.value: kind.label for kind in TouchpointKind},
              "survey": "Survey comment"}
KINDS = ("ticket", "touchpoint", "survey")
# ts_headline marks matches with these (private-use characters, removed from the text first); the snippet is
# escaped and only then are they turned into <mark>, so no tag of the text ever reaches the page.
START, STOP = "\ue000", "\ue001"
SNIPPET_OPTIONS = {"start_sel": START, "stop_sel": STOP, "max_words": 30, "min_words": 12, "max_fragments": 2,
                   "fragment_delimiter": " … "}


@dataclass(frozen=True)
class Filters:
    """What the texts are narrowed to besides their words."""

    segment: str = ""
    ehr: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str = ""


@dataclass
class Hit:
    """One text that matched."""

    kind: str  # ticket, touchpoint, survey
    pk: int
    account_id: int
    at: dt.datetime
    category: str  # ticket, call, email, ..., survey
    rank: float
    title: str = ""
    text: str = ""
    snippet: SafeString = field(default_factory=lambda: mark_safe(""))

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)


@dataclass
class AccountHits:
    """An account's best texts."""

    account: Account
    hits: list[Hit]
    matches: int  # texts of the account that matched, shown or not
    best: float

    @property
    def more(self) -> int:
        return self.matches - len(self.hits)


@dataclass
class Results:
    groups: list[AccountHits]
    accounts: int  # accounts with a match, on every page
    texts: int  # texts that matched, on every page
    page: int
    relaxed: bool  # no text had every word: texts with any of them are shown
    capped: bool = False  # more texts matched than were ranked (CANDIDATES of a kind): the totals are "at least"

    @property
    def pages(self) -> int:
        return max(1, -(-self.accounts // ACCOUNTS_PER_PAGE))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    def hits(self) -> list[Hit]:
        """Every text shown, best first."""
        return sorted((hit for group in self.groups for hit in group.hits), key=lambda h: (-h.rank, -h.at.timestamp()))


# English endings taken off a word, whose root is then also matched as a prefix, so "failures" finds "failing" and
# "failed" (their stems, "failur" and "fail", differ); a root shorter than MIN_ROOT is not used. A word without such
# an ending is matched by its stems alone: a prefix of a common word ("sync:*") made the index scan 10 times slower.
ENDINGS = ("ures", "ure", "ings", "ing", "ions", "ion", "ers", "er", "ed", "es", "s")
MIN_ROOT = 4


def root(word: str) -> str:
    """The word without its English ending, for a prefix match; empty when it has none, is not a plain ASCII word
    or the root would be too short."""
    word = word.lower()
    if not re.fullmatch(r"[a-z0-9]+", word):
        return ""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_ROOT:
            return word[:-len(ending)]
    return ""


def _terms(question: Question) -> list[tuple[str, str]]:
    """Each word and quoted phrase in web search syntax, with the word's root ("" for phrases)."""
    return [(word, root(word)) for word in question.words] + [(f'"{phrase}"', "") for phrase in question.phrases]


def text_query(question: Question, *, every: bool = True) -> SearchQuery:
    """The question as a full-text query: each term matches by its English or German stem or by its root as a
    prefix (when it has an English ending); every term must match, or (every=False) any one."""
    combined = None
    for term, prefix in _terms(question):
        query = SearchQuery(term, search_type="websearch", config=SEARCH_CONFIGS[0])
        for config in SEARCH_CONFIGS[1:]:
            query = query | SearchQuery(term, search_type="websearch", config=config)
        if prefix:
            query = query | SearchQuery(f"{prefix}:*", search_type="raw", config="simple")
        combined = query if combined is None else (combined & query if every else combined | query)
    return combined


def text_query_sql(question: Question, *, every: bool = True) -> tuple[str, list[str]]:
    """The same query as SQL with its parameters, for texts that are not rows (the answer's sentences)."""
    parts, params = [], []
    for term, prefix in _terms(question):
        alternatives = [f"websearch_to_tsquery('{config}', %s)" for config in SEARCH_CONFIGS]
        params += [term] * len(SEARCH_CONFIGS)
        if prefix:
            alternatives.append("to_tsquery('simple', %s)")
            params.append(f"{prefix}:*")
        parts.append("(" + " || ".join(alternatives) + ")")
    return (" && " if every else " || ").join(parts), params


def ehr_names() -> list[str]:
    """The EHR systems the book's accounts run (what a question may name as a filter)."""
    return book_values("ehr_system")


def search_texts(*, user: User, question: Question, filters: Filters, page: int = 1) -> Results:
    """The page of accounts whose texts best match the question (every word, or any word when no text has every
    one), each with its best texts and their snippets, within the user's accounts and the filters."""
    page = min(max(page, 1), MAX_PAGE)
    if not question.has_terms:
        return Results([], 0, 0, page, relaxed=False)
    results = _ranked(user, text_query(question), filters, page)
    if not results.accounts and len(question.words) + len(question.phrases) > 1:
        results = _ranked(user, text_query(question, every=False), filters, page)
        results.relaxed = True
    return results


def _matching(user: User, query: SearchQuery, filters: Filters) -> list[QuerySet]:
    """One queryset per kind of text: (kind, pk, account, moment, category, rank) of the texts that match."""
    sources = []
    if filters.category in ("", "ticket"):
        sources.append((SupportTicket.objects.all(), "ticket", "submitted_at", Value("ticket")))
    if filters.category != "ticket" and filters.category != "survey":
        touchpoints = Touchpoint.objects.all()
        if filters.category:
            touchpoints = touchpoints.filter(kind=filters.category)
        sources.append((touchpoints, "touchpoint", "occurred_at", F("kind")))
    if filters.category in ("", "survey"):
        sources.append((SurveyResponse.objects.all(), "survey", "responded_at", Value("survey")))
    querysets = []
    for queryset, kind, moment, category in sources:
        queryset = scope_to_user(queryset, user).filter(search_vector=query)
        if filters.segment:
            queryset = queryset.filter(account__segment=filters.segment)
        if filters.ehr:  # as stored (ask_the_book matches the case): UPPER() would hide the share from the planner
            queryset = queryset.filter(account__ehr_system=filters.ehr)
        if filters.date_from:  # moments, not dates of moments: the planner knows how many texts a range holds
            queryset = queryset.filter(**{f"{moment}__gte": _day_start(filters.date_from)})
        if filters.date_to:
            queryset = queryset.filter(**{f"{moment}__lt": _day_start(filters.date_to + dt.timedelta(days=1))})
        querysets.append(queryset.order_by().annotate(
            source=Value(kind, output_field=CharField()), moment=Cast(F(moment), DateTimeField()),
            what=Cast(category, CharField()),
            rank=SearchRank(F("search_vector"), query, cover_density=True, normalization=Value(1)),
        ).values_list("source", "pk", "account_id", "moment", "what", "rank")[:CANDIDATES + 1])
    return querysets


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _ranked(user: User, query: SearchQuery, filters: Filters, page: int) -> Results:
    """The page's accounts (best text first) with their best texts, and the totals, in one query; then the
    accounts and the shown texts' snippets (one query per kind of text)."""
    parts = [queryset.query.sql_with_params() for queryset in _matching(user, query, filters)]
    union = " UNION ALL ".join(f"({sql})" for sql, _ in parts)
    params = [param for _, part_params in parts for param in part_params]
    # Accounts ordered by their best text; the page's accounts keep their TEXTS_PER_ACCOUNT best texts. The totals
    # come on every row (and alone, on one row of NULLs, for a page past the last).
    sql = f"""
        WITH hit(kind, pk, account_id, at, category, rank) AS ({union}),
        account_best AS (
            SELECT account_id, max(rank) AS best, count(*) AS matches FROM hit GROUP BY account_id),
        totals AS (SELECT count(*) AS accounts, coalesce(sum(matches), 0) AS texts,
                          (SELECT max(n) FROM (SELECT count(*) AS n FROM hit GROUP BY kind) AS k) AS most
                   FROM account_best),
        page AS (SELECT * FROM account_best ORDER BY best DESC, account_id LIMIT %s OFFSET %s),
        shown AS (
            SELECT hit.*, page.best, page.matches,
                   row_number() OVER (PARTITION BY hit.account_id ORDER BY hit.rank DESC, hit.at DESC) AS n
            FROM hit JOIN page USING (account_id))
        SELECT totals.accounts, totals.texts, totals.most, shown.account_id, shown.best, shown.matches, shown.kind,
               shown.pk, shown.at, shown.category, shown.rank
        FROM totals LEFT JOIN shown ON shown.n <= %s
        ORDER BY shown.best DESC, shown.account_id, shown.rank DESC, shown.at DESC"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, ACCOUNTS_PER_PAGE, (page - 1) * ACCOUNTS_PER_PAGE, TEXTS_PER_ACCOUNT])
        rows = cursor.fetchall()
    total_accounts, total_texts, capped = rows[0][0], int(rows[0][1]), (rows[0][2] or 0) > CANDIDATES
    rows = [row[:2] + row[3:] for row in rows if row[3] is not None]
    accounts = accounts_for_user(user).in_bulk({row[2] for row in rows}) if rows else {}
    groups: dict[int, AccountHits] = {}
    hits: list[Hit] = []
    for _, _, account_id, best, matches, kind, pk, at, category, rank in rows:
        group = groups.get(account_id)
        if group is None:
            group = groups[account_id] = AccountHits(accounts[account_id], [], matches, best)
        hit = Hit(kind, pk, account_id, at, category, rank)
        group.hits.append(hit)
        hits.append(hit)
    _add_snippets(hits, query)
    return Results(list(groups.values()), total_accounts, total_texts, page, relaxed=False, capped=capped)


def _add_snippets(hits: list[Hit], query: SearchQuery) -> None:
    """Each hit's title, text and highlighted snippet, read for the shown texts only."""
    by_kind: dict[str, list[Hit]] = {}
    for hit in hits:
        by_kind.setdefault(hit.kind, []).append(hit)
    models = {"ticket": (SupportTicket, "subject", "body"), "touchpoint": (Touchpoint, "subject", "text"),
              "survey": (SurveyResponse, None, "comment")}
    for kind, kind_hits in by_kind.items():
        model, title, body = models[kind]
        text = Concat(F(title), Value(" — "), F(body), output_field=TextField()) if title else F(body)
        document = Replace(Replace(text, Value(START)), Value(STOP))
        headlines = {f"snippet_{config}": SearchHeadline(document, query, config=config, **SNIPPET_OPTIONS)
                     for config in SEARCH_CONFIGS}
        fields = [title or body, body]
        rows = model.objects.filter(pk__in=[hit.pk for hit in kind_hits]).annotate(**headlines).values_list(
            "pk", *fields, *headlines)
        found = {row[0]: row for row in rows}
        for hit in kind_hits:
            row = found[hit.pk]
            hit.title = row[1] if title else ""
            hit.text = row[2]
            hit.snippet = marked(max(row[3:], key=lambda snippet: snippet.count(START)))


def marked(headline: str) -> SafeString:
    """A headline escaped, its match markers turned into <mark> (balanced: a stray marker is dropped)."""
    pieces = re.split(f"({START}|{STOP})", headline)
    html, open_mark = [], False
    for piece in pieces:
        if piece == START and not open_mark:
            html.append("<mark>")
            open_mark = True
        elif piece == STOP and open_mark:
            html.append("</mark>")
            open_mark = False
        elif piece not in (START, STOP):
            html.append(escape(piece))
    if open_mark:
        html.append("</mark>")
    return mark_safe("".join(html))  # every piece of text went through escape() above
