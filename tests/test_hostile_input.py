"""Hostile input (issue 13, item 2): every query parameter, form field and API field of the pages and
APIs is read by one parsing layer (django-filter, Django forms, DRF serializers) with bounds and maximum
lengths. A NUL byte, Unicode digits that `int()` does not take (`²`), Arabic-Indic digits, amounts beyond
their column (`1e30`, 10^10), negative numbers where none make sense, 100 KB of text and a missing
required value are refused with HTTP 400 (a GET filter of a page that shows its problems inline may answer
200 with the problem shown) and a short message naming the field, and nothing is written. A value that is
fine for a field (`²` as a next step) is taken. JSON nested 100,000 deep, or a body far beyond what an
endpoint reads, is a 400 with a clear message, not a crash."""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Contact, Touchpoint
from expansion.models import Opportunity, StageChange
from expansion.services import opportunity_create
from interventions.firing import fire_playbooks
from interventions.models import Intervention, Outcome, Playbook, PlaybookStep, Task
from tests.factories import AccountFactory, ContactFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

HOSTILE = {
    "NUL": "a\x00b",
    "superscript two": "²",
    "Arabic-Indic 12": "١٢",
    "1e30": "1e30",
    "10^10": "10000000000",
    "-1": "-1",
    "100 KB": "x" * 100_000,
    "empty": "",
}
NOT_A_NUMBER = set(HOSTILE) - {"empty"}
REFUSED_BY_KIND = {  # what each kind of field refuses (the empty value only where the field is required)
    "number": NOT_A_NUMBER,   # whole numbers and amounts: ASCII digits, within the column's bounds
    "choice": NOT_A_NUMBER,   # one of a fixed set (stage, segment, yes/no, ordering, a known account)
    "date": NOT_A_NUMBER,
    "email": NOT_A_NUMBER,
    "text": {"NUL", "100 KB"},  # any text without NUL, up to its column's length
    "page": {"NUL"},          # a page number: anything unreadable shows the first page
    "lookup": {"NUL"},        # an id looked up as text: unknown ones are 404
    "analysed": {"NUL"},      # a text to analyse: longer ones are cut (and the note says so)
}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool = False
    accept: frozenset = frozenset()  # hostile values this field takes after all
    label: str = ""

    @property
    def refused(self) -> set[str]:
        return (REFUSED_BY_KIND[self.kind] - self.accept) | ({"empty"} if self.required else set())

    @property
    def words(self) -> str:
        return (self.label or self.name.replace("_", " ")).lower()


def F(name, kind, required=False, accept=(), label="") -> Field:
    return Field(name, kind, required, frozenset(accept), label)


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str  # get, post or patch
    url: Callable[[dict], str]
    fields: tuple[Field, ...]
    base: Callable[[dict], dict] = lambda world: {}
    via: str = "query"  # query, form or json
    inline: bool = False  # a GET page that shows a bad filter inline (200) instead of answering 400
    accepted: tuple[int, ...] = (200,)
    only: frozenset = field(default_factory=frozenset)  # when set: test these hostile values only


ACCOUNT_FILTERS = (
    F("q", "text"), F("risk_level", "choice", label="risk level"), F("health_tier", "choice", label="health tier"),
    F("plan_tier", "text"), F("segment", "choice"), F("csm", "text", label="CSM"), F("ehr_system", "text"),
    F("min_arr", "number", accept={"10^10"}, label="ARR"),  # the ARR column holds 12 whole digits
    F("renewal_within", "number", label="days"), F("churned", "choice"), F("expansion_ready", "choice"),
    F("ordering", "choice"),
)


def _edit_form(world) -> dict:
    opportunity = Opportunity.objects.get(pk=world["opportunity"].pk)
    return {"amount": str(opportunity.amount), "probability": str(opportunity.probability),
            "expected_close": "", "next_step": opportunity.next_step, "notes": opportunity.notes,
            "owner": str(opportunity.owner_id or "")}


def _snooze_form(world) -> dict:
    until = timezone.localtime() + dt.timedelta(days=2)
    return {"until": until.strftime("%Y-%m-%dT%H:%M"), "reason": "Customer on holiday"}


ENDPOINTS = (
    Endpoint("account list", "get", lambda w: "/accounts/", (*ACCOUNT_FILTERS, F("page", "page")), inline=True),
    Endpoint("account export", "get", lambda w: "/accounts/export.csv", ACCOUNT_FILTERS),
    Endpoint("account API", "get", lambda w: "/api/accounts/", ACCOUNT_FILTERS),
    Endpoint("Account 360", "get", lambda w: "/accounts/A-OWN/", (F("timeline", "page"),)),
    Endpoint("pipeline board", "get", lambda w: "/pipeline/",
             (F("owner", "number", accept={"10^10"}),  # an id no user has (yet): an empty board
              F("segment", "choice"), F("close_month", "date", label="month"),
              F("add", "lookup")),
             inline=True, accepted=(200, 404)),
    Endpoint("opportunity API list", "get", lambda w: "/api/opportunities/",
             (F("stage", "choice"), F("owner", "text"), F("account", "text"))),
    Endpoint("intervention API list", "get", lambda w: "/api/interventions/",
             (F("status", "choice"), F("csm", "text", label="CSM"), F("playbook", "text"))),
    Endpoint("edit an opportunity", "post", lambda w: f"/pipeline/{w['opportunity'].pk}/edit/",
             (F("amount", "number"), F("probability", "number", required=True),
              F("expected_close", "date", label="close"), F("next_step", "text", label="next step"),
              F("notes", "text"), F("owner", "number")),
             base=_edit_form, via="form", accepted=(302,)),
    Endpoint("add an opportunity", "post", lambda w: "/accounts/A-OWN/opportunities/",
             (F("title", "text", required=True), F("amount", "number"), F("expected_close", "date", label="close"),
              F("next_step", "text", label="next step")),
             base=lambda w: {"title": "Telehealth"}, via="form", accepted=(302,)),
    Endpoint("move an opportunity", "post", lambda w: f"/pipeline/{w['opportunity'].pk}/move/",
             (F("stage", "choice", required=True), F("lost_reason", "text", required=True, label="lost")),
             base=lambda w: {"stage": "lost", "lost_reason": "No budget"}, via="form", accepted=(302,)),
    Endpoint("log an outcome", "post", lambda w: "/accounts/A-OWN/outcomes/",
             (F("kind", "choice", required=True, label="outcome"), F("note", "text"),
              # an id of the right form that no one's task has is 404, as another CSM's is
              F("intervention", "number", accept={"10^10"}), F("task", "number", accept={"10^10"})),
             base=lambda w: {"kind": "contacted", "note": "Left a message"}, via="form", accepted=(302, 404)),
    Endpoint("log a touchpoint", "post", lambda w: "/accounts/A-OWN/touchpoints/",
             (F("kind", "choice", required=True), F("direction", "choice"), F("contact", "choice"),
              F("subject", "text"), F("text", "text", required=True), F("occurred_at", "date"),
              # an id of the right form that no one's task has is 404, as another CSM's is
              F("task", "number", accept={"10^10"})),
             base=lambda w: {"kind": "call", "text": "Renewal call"}, via="form", accepted=(302, 404)),
    *[Endpoint(name, "post", url,
               (F("name", "text", required=True), F("email", "email", label="e-mail"),
                F("phone", "number", accept={"10^10"}),  # eleven digits are a phone number
                F("title", "text"), F("role", "choice", required=True), F("sentiment", "choice")),
               base=lambda w: {"name": "Lee Park", "role": "user"}, via="form", accepted=(302,))
      for name, url in (("add a contact", lambda w: "/accounts/A-OWN/contacts/add/"),
                        ("edit a contact", lambda w: "/accounts/A-OWN/contacts/C-HOSTILE/edit/"))],
    Endpoint("mark a contact as left", "post", lambda w: "/accounts/A-OWN/contacts/C-HOSTILE/leave/",
             (F("left_on", "date", label="left"),), via="form", accepted=(302,)),
    Endpoint("snooze a task", "post", lambda w: f"/tasks/{w['task'].pk}/snooze/",
             (F("until", "date", required=True, label="date"), F("reason", "text", required=True, label="why")),
             base=_snooze_form, via="form", accepted=(302,)),
    Endpoint("task page", "get", lambda w: "/tasks/",
             (F("due", "choice"), F("account", "text"), F("playbook", "choice"), F("channel", "choice"),
              F("priority", "choice"), F("assignee", "choice"), F("ordering", "choice"), F("page", "page")),
             inline=True),
    Endpoint("bulk work on tasks", "post", lambda w: "/tasks/bulk/",
             (F("action", "choice", required=True), F("scope", "choice", required=True),
              F("task", "number", required=True), F("until", "date", required=True, label="date"),
              F("reason", "text", required=True, label="why"), F("assignee", "choice", label="people")),
             base=lambda w: {"action": "snooze", "scope": "checked", "task": str(w["task"].pk), **_snooze_form(w)},
             via="form", accepted=(302,)),
    Endpoint("ticket analyzer", "post", lambda w: "/analyzer/", (F("text", "analysed", required=True),),
             via="form"),
    Endpoint("recompute", "post", lambda w: "/scores/recompute/", (F("as_of", "date", label="date"),),
             via="form", only=frozenset(NOT_A_NUMBER)),  # an empty date starts today's run: not here
    Endpoint("opportunity API create", "post", lambda w: "/api/opportunities/",
             (F("account", "choice", required=True), F("title", "text", required=True),
              F("amount", "number", required=True), F("expected_close", "date"), F("next_step", "text"),
              F("notes", "text"), F("owner", "email"), F("probability", "number", required=True)),
             base=lambda w: {"account": "A-OWN", "title": "Telehealth"}, via="json", accepted=(201,)),
    Endpoint("opportunity API change", "patch", lambda w: f"/api/opportunities/{w['opportunity'].pk}/",
             (F("title", "text", required=True), F("stage", "choice", required=True),
              F("amount", "number", required=True), F("probability", "number", required=True),
              F("expected_close", "date"), F("owner", "email"), F("next_step", "text"), F("notes", "text"),
              F("lost_reason", "text")),
             via="json"),
    Endpoint("outcome API", "post", lambda w: f"/api/interventions/{w['intervention'].pk}/outcomes/",
             (F("kind", "choice", required=True), F("note", "text")),
             base=lambda w: {"kind": "contacted"}, via="json", accepted=(201,)),
    Endpoint("touchpoint API", "post", lambda w: "/api/accounts/A-OWN/touchpoints/",
             (F("kind", "choice", required=True), F("direction", "choice"), F("contact", "choice"),
              F("subject", "text"), F("text", "text", required=True), F("occurred_at", "date")),
             base=lambda w: {"kind": "call", "text": "Renewal call"}, via="json", accepted=(201,)),
    Endpoint("ticket analysis API", "post", lambda w: "/api/ticket-analysis/", (F("text", "analysed", required=True),),
             via="json"),
)
CASES = [pytest.param(endpoint, f, id=f"{endpoint.name}: {f.name}") for endpoint in ENDPOINTS for f in endpoint.fields]


@pytest.fixture
def world(csm, manager, own_account):
    """casey's Lakeside with an opportunity and a fired intervention (two open tasks)."""
    Playbook.objects.update(active=False)
    playbook = Playbook.objects.create(name="Rescue", trigger_kind="tier", trigger_value="Critical")
    PlaybookStep.objects.create(playbook=playbook, order=1, title="Call", due_offset_hours=2, channel="call")
    PlaybookStep.objects.create(playbook=playbook, order=2, title="E-mail", due_offset_hours=4)
    today = timezone.localdate()
    SnapshotFactory(account=own_account, as_of=today, health_tier="Critical")
    fire_playbooks(as_of=today)
    opportunity = opportunity_create(account=own_account, user=csm, title="Add 10 seats", amount=Decimal("1000"))
    AccountFactory(external_id="A-OTHER", csm=csm)
    ContactFactory(external_id="C-HOSTILE", account=own_account, name="Dana Reyes")
    intervention = Intervention.objects.get(account=own_account)
    return {"csm": csm, "manager": manager, "opportunity": opportunity, "intervention": intervention,
            "task": intervention.tasks.order_by("order").first()}


def state() -> tuple:
    """Everything the endpoints above could write."""
    return (list(Opportunity.objects.order_by("pk").values()), StageChange.objects.count(),
            list(Outcome.objects.order_by("pk").values()),
            list(Task.objects.order_by("pk").values("due_at", "escalate_at", "snooze_reason", "status")),
            list(Touchpoint.objects.order_by("pk").values("pk")), list(Contact.objects.order_by("pk").values()))


def logged_in(endpoint: Endpoint, world: dict) -> Client:
    """A client of the endpoint's kind, logged in as the user who may reach it (once per test: a login writes a
    session)."""
    user = world["manager"] if endpoint.name == "recompute" else world["csm"]
    client = APIClient() if endpoint.via == "json" or endpoint.url(world).startswith("/api/") else Client()
    client.force_login(user)
    return client


def send(endpoint: Endpoint, world: dict, data: dict, client: Client | None = None):
    client = client or logged_in(endpoint, world)
    url = endpoint.url(world)
    if endpoint.via == "json":
        return getattr(client, endpoint.method)(url, data, format="json")
    return getattr(client, endpoint.method)(url, data)


def problem_for(response, f: Field) -> str | None:
    """The message the response gives about this field, wherever the endpoint shows it: keyed by the
    field's name, or (where a page shows one message) a message that names the field."""
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        found = body.get(f.name) if isinstance(body, dict) else None
        return " ".join(found) if isinstance(found, list) else found
    context = response.context or {}
    board = context.get("board")
    keyed = [(context.get("problems") or {}).get(f.name), (context.get("add_errors") or {}).get(f.name),
             (context.get("log_problems") or {}).get(f.name), (context.get("cf_problems") or {}).get(f.name),
             (context.get("bulk_problems") or {}).get(f.name)]
    named = [context.get(key) for key in ("outcome_error", "snooze_error", "error", "board_problem", "leave_problem")]
    if board:
        keyed += [board.problems.get(f.name), *(card.errors.get(f.name) for card in board.cards)]
        named += [card.problem for card in board.cards]
    if found := next((text for text in keyed if text), None):
        return found
    if found := next((text for text in named if text and (f.name in text or f.words in text.lower())), None):
        return found
    body = response.content.decode(errors="replace")
    named_in_body = f"'{f.name}'" in body or f"\n{f.name}: " in body  # the NUL guard's or the export's 400
    return body if response.status_code == 400 and named_in_body and len(body) < 1000 else None


def is_clear(message: str) -> bool:
    return 0 < len(message) <= 400 and "\x00" not in message and "x" * 1000 not in message


@pytest.mark.parametrize(("endpoint", "f"), CASES)
def test_a_hostile_value_is_refused_by_name_and_writes_nothing(endpoint, f, world):
    failures = []
    client = logged_in(endpoint, world)
    for label, value in HOSTILE.items():
        if endpoint.only and label not in endpoint.only:
            continue
        data = {**endpoint.base(world), f.name: value}
        before = state()
        try:
            with transaction.atomic():  # a database error must not spoil the following values
                response = send(endpoint, world, data, client)
        except Exception as error:  # noqa: BLE001 - a crash is what this test reports, value by value
            failures.append(f"{label}: crashed with {type(error).__name__}: {str(error)[:120]}")
            continue
        problem = problem_for(response, f)
        if label in f.refused:
            refused = response.status_code == 400 or (endpoint.inline and response.status_code == 200)
            if not (refused and problem and is_clear(problem) and state() == before):
                failures.append(f"{label}: expected a refusal naming '{f.name}', nothing written; got "
                                f"{response.status_code}, {str(problem)[:160]!r}, "
                                f"{'unchanged' if state() == before else 'CHANGED'}")
        elif response.status_code not in endpoint.accepted or (response.status_code == 200 and problem
                                                                and endpoint.method == "get"):
            failures.append(f"{label}: expected it to be taken; got {response.status_code}, {str(problem)[:160]!r}")

    assert failures == []


# Numbers given as JSON numbers, not text ----------------------------------------------------------------

@pytest.mark.parametrize(("body", "name"), [
    ({"amount": 1e30}, "amount"), ({"amount": 10**10}, "amount"), ({"amount": "Infinity"}, "amount"),
    ({"probability": 10**30}, "probability"), ({"probability": 50.5}, "probability"), ({"amount": [1]}, "amount"),
    ({"title": {"a": 1}}, "title"), ({"next_step": 5}, "next_step"),
])
def test_json_numbers_beyond_the_columns_are_refused_by_name(world, body, name):
    api = APIClient()
    api.force_login(world["csm"])
    before = state()

    created = api.post("/api/opportunities/", {"account": "A-OWN", "title": "Telehealth", **body}, format="json")
    changed = api.patch(f"/api/opportunities/{world['opportunity'].pk}/", body, format="json")

    assert (created.status_code, list(created.json())) == (400, [name])
    assert (changed.status_code, list(changed.json())) == (400, [name])
    assert state() == before


# Deep JSON, big bodies, NUL in the address -------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("url", ["/api/ticket-analysis/", "/api/opportunities/"])
def test_json_nested_100000_deep_is_a_clear_400(world, url):
    api = APIClient()
    api.force_login(world["csm"])
    before = state()

    response = api.generic("POST", url, DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON is nested too deeply; send a flat object of fields."}
    assert state() == before


def test_a_ticket_analysis_body_beyond_its_cap_is_a_clear_400(world):
    api = APIClient()
    api.force_login(world["csm"])

    response = api.generic("POST", "/api/ticket-analysis/", json.dumps({"text": "x" * 3_000_000}),
                           content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is 3,000,012 bytes; send at most 1,000,000 (texts are "
                                         "analysed up to their first 20,000 characters)."}


@pytest.mark.parametrize("url", ["/accounts/a%00b/", "/api/accounts/a%00b/", "/pipeline/?add=a%00b",
                                 "/accounts/?a%00b=1"])
def test_a_nul_byte_in_the_address_is_a_clear_400(world, url):
    client = Client()
    client.force_login(world["csm"])

    response = client.get(url)

    assert response.status_code == 400
    assert "NUL character (%00)" in response.content.decode()
