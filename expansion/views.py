"""Pages of the expansion pipeline (docs/expansion.md, docs/pages.md): the board, where a CSM moves opportunities
between stages (buttons, or drag and drop with static/js/board.js), edits them inline, adds them by hand and converts or
dismisses signals, all in place with HTMX or as plain forms; and the managers' forecast.

Every action goes through the pipeline's services, which read each value with the opportunity's form
(expansion.forms): a refused value or a broken rule is shown where the user acted, with what they typed
(HTTP 400 without JavaScript), and nothing is changed."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Segment
from accounts.selectors import accounts_for_user, get_account_for_user
from expansion.forms import OpportunityFields
from expansion.models import Stage
from expansion.pipeline import (
    RECENTLY_CLOSED_DAYS,
    Board,
    Card,
    assignable_owners,
    board_column,
    board_params,
    board_totals,
    forecast,
    open_signals,
    pipeline_board,
)
from expansion.selectors import accounts_to_add, clean_account_query, get_opportunity_for_user, get_signal_for_user
from expansion.services import (
    opportunity_create,
    opportunity_from_signal,
    opportunity_update,
    signal_dismiss,
)
from healthcs.errors import DomainError
from healthcs.inputs import joined_problems, valid_data
from healthcs.redirects import redirect_back

EDIT_FIELDS = ("amount", "probability", "expected_close", "next_step", "notes", "owner")
ADD_FIELDS = ("title", "amount", "expected_close", "next_step")
CHANGED = "pipelineChanged"  # the HX-Trigger event sent after every change


class ColumnPageForm(forms.Form):
    """Which column's cards "show more" asks for, and from which card on."""

    stage = forms.ChoiceField(choices=Stage.choices, error_messages={
        "invalid_choice": f"'%(value)s' is not a stage; use one of: {', '.join(Stage.values)}."})
    offset = forms.IntegerField(min_value=0, max_value=1_000_000, error_messages={
        "invalid": "The offset must be a whole number of cards, 0 or more.",
        "min_value": "The offset must be a whole number of cards, 0 or more.",
        "max_value": "The offset must be at most 1,000,000 cards."})


def _links(request: HttpRequest) -> dict:
    """The board's filters in use and the addresses built from them: the cards' forms post to
    `<action>{board_query}` so the board comes back filtered as it was, and plain forms return to
    `board_url`."""
    kept = QueryDict(mutable=True)
    kept.update({name: value for name, value in board_params(request.GET).items() if value})
    board_query = f"?{kept.urlencode()}" if kept else ""
    return {"kept": kept, "board_query": board_query, "board_url": reverse("pipeline") + board_query,
            "also_query": f"&{kept.urlencode()}" if kept else ""}


def _card_context(request: HttpRequest, card: Card) -> dict:
    """One card alone (the inline edit's swap target)."""
    return {**_links(request), "owners": list(assignable_owners()), "card": card}


def _board_context(request: HttpRequest, board: Board | None = None, **extra) -> dict:
    """The board (built here unless given) with the filters' choices."""
    return {**_links(request), "board": board or pipeline_board(request.user, board_params(request.GET)),
            "owners": list(assignable_owners()), "segments": Segment.values,
            "recently_closed_days": RECENTLY_CLOSED_DAYS, **extra}


def _add_context(request: HttpRequest, account=None, **extra) -> dict:
    """The new-opportunity form: first the account (a GET form, so it works without JavaScript), then
    the opportunity's fields for that account."""
    context = {**_links(request), "add_account": account, **extra}
    if account is None:
        query = request.GET.get("add_q", "")
        context.update(add_query=clean_account_query(query), add_matches=accounts_to_add(request.user, query),
                       any_live_account=accounts_for_user(request.user).filter(churned=False).exists())
    return context


def _page_context(request: HttpRequest, board: Board | None = None, add_account=None, **extra) -> dict:
    """The whole page: the board, the new-opportunity form and the open signals."""
    return {**_board_context(request, board), **_add_context(request, add_account),
            "signals": open_signals(request.user), **extra}


def _with_card(board: Board, card: Card) -> bool:
    """Put this card (with its message or typed values) in place of the plain one; False when the board,
    as filtered, does not show it."""
    for column in board.columns:
        for index, shown in enumerate(column.cards):
            if shown.opportunity.pk == card.opportunity.pk:
                column.cards[index] = card
                return True
    return False


def _board_response(request: HttpRequest, card: Card, problem: str = "") -> HttpResponse:
    """The board fragment (what HTMX swaps in for #board), with the acted-on card's message (on the
    board itself when the filters hide the card)."""
    board = pipeline_board(request.user, board_params(request.GET))
    shown = _with_card(board, card)
    response = render(request, "expansion/_board.html",
                      _board_context(request, board, board_problem="" if shown else problem))
    if not problem:
        response["HX-Trigger"] = CHANGED
    return response


@login_required
def pipeline_view(request: HttpRequest) -> HttpResponse:
    """The board (docs/pages.md Expansion pipeline): filters update it in place with the address kept in step
    (a filtered board can be bookmarked), or as a plain GET form. `?add=<account>` opens the
    new-opportunity form for that account."""
    add = request.GET.get("add", "").strip()
    add_account = get_account_for_user(request.user, add) if add else None
    if request.htmx and request.htmx.target == "new-opportunity":
        return render(request, "expansion/_add_form.html", _add_context(request, add_account))
    if request.htmx:
        context = _board_context(request)
        response = render(request, "expansion/_board.html", context)
        response["HX-Push-Url"] = context["board_url"]
        return response
    return render(request, "expansion/pipeline.html", _page_context(request, add_account=add_account))


@login_required
@require_POST
def opportunity_move_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Move an opportunity to a stage (field `stage`; `lost_reason` when marking it lost). HTMX gets the
    whole board back, so every column's totals follow; a plain form goes back to the board."""
    opportunity = get_opportunity_for_user(request.user, opportunity_id)
    stage = request.POST.get("stage", "").strip()
    changes = {"stage": stage}
    if stage == Stage.LOST:
        changes["lost_reason"] = request.POST.get("lost_reason", "")
    try:
        opportunity = opportunity_update(opportunity=opportunity, user=request.user,
                                         changes=valid_data(OpportunityFields(changes)))
    except DomainError as problem:
        message = f"{opportunity.title} was not moved: {problem.message}"
        card = Card(opportunity, problem=problem.message, lost_reason=changes.get("lost_reason", ""),
                    open_form="lost" if stage == Stage.LOST else "")
        if request.htmx:
            return _board_response(request, card, problem=message)
        board = pipeline_board(request.user, board_params(request.GET))
        shown = _with_card(board, card)
        return render(request, "expansion/pipeline.html",
                      _page_context(request, board, board_problem="" if shown else message), status=400)
    done = f"Moved to {opportunity.get_stage_display()}."
    if request.htmx:
        return _board_response(request, Card(opportunity, flash=done))
    messages.success(request, f"{opportunity.title} ({opportunity.account.name}): moved to "
                              f"{opportunity.get_stage_display()}.")
    return redirect_back(request, "pipeline")


@login_required
@require_POST
def opportunity_edit_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """Save the inline edit form (amount, probability, expected close, next step, notes, owner). HTMX gets
    the card back, with every column's totals swapped out of band; on a broken rule the card keeps what
    was typed and shows the problem."""
    opportunity = get_opportunity_for_user(request.user, opportunity_id)
    typed = {name: request.POST.get(name, "") for name in EDIT_FIELDS if name in request.POST}
    form = OpportunityFields(typed, owners=assignable_owners(), owner=opportunity.owner)
    try:
        opportunity = opportunity_update(opportunity=opportunity, user=request.user, changes=valid_data(form))
    except DomainError as problem:
        card = Card(opportunity, values=typed, errors={problem.field: problem.message}, open_form="edit")
        if request.htmx:
            return render(request, "expansion/_card.html", _card_context(request, card))
        board = pipeline_board(request.user, board_params(request.GET))
        shown = _with_card(board, card)
        problem_text = "" if shown else f"{opportunity.title} was not saved: {problem.message}"
        return render(request, "expansion/pipeline.html", _page_context(request, board, board_problem=problem_text),
                      status=400)
    if request.htmx:
        card_html = render_to_string("expansion/_card.html",
                                     _card_context(request, Card(opportunity, flash="Saved.")), request)
        totals = "".join(render_to_string("expansion/_column_totals.html", {"column": column, "totals_oob": True})
                         for column in board_totals(request.user, board_params(request.GET)))
        response = HttpResponse(card_html + totals)
        response["HX-Trigger"] = CHANGED
        return response
    messages.success(request, f"Saved: {opportunity.title} ({opportunity.account.name}).")
    return redirect_back(request, "pipeline")


@login_required
@require_POST
def opportunity_add_view(request: HttpRequest, external_id: str) -> HttpResponse:
    """Add an opportunity by hand on an account (title, amount, expected close, next step); it starts
    identified, owned by the account's CSM. HTMX gets a fresh form and the board out of band."""
    account = get_account_for_user(request.user, external_id)
    typed = {name: request.POST.get(name, "") for name in ADD_FIELDS}
    try:
        opportunity = opportunity_create(account=account, user=request.user,
                                         **valid_data(OpportunityFields(typed)))
    except DomainError as problem:
        error = {"add_typed": typed, "add_errors": {problem.field: problem.message}}
        if request.htmx:
            return render(request, "expansion/_add_form.html", _add_context(request, account, **error))
        return render(request, "expansion/pipeline.html", _page_context(request, add_account=account, **error),
                      status=400)
    done = f"Added: {opportunity.title} on {account.name}."
    if request.htmx:
        context = {**_board_context(request), **_add_context(request, add_flash=done, board_oob=True)}
        response = render(request, "expansion/_add_form.html", context)
        response["HX-Trigger"] = CHANGED
        return response
    messages.success(request, done)
    return redirect_back(request, "pipeline")


def _signals_response(request: HttpRequest, flash: str, board_changed: bool) -> HttpResponse:
    """The open signals (what HTMX swaps in for #signals), and the board out of band when it changed."""
    context = {**_links(request), "signals": open_signals(request.user), "signals_flash": flash}
    if board_changed:
        context.update(_board_context(request), board_oob=True)
    response = render(request, "expansion/_signals.html", context)
    response["HX-Trigger"] = CHANGED
    return response


@login_required
@require_POST
def signal_convert_view(request: HttpRequest, signal_id: int) -> HttpResponse:
    """Bring a signal into the pipeline: it joins the account's open opportunity, or opens a new one."""
    signal = get_signal_for_user(request.user, signal_id)
    opportunity = opportunity_from_signal(signal=signal, user=request.user)
    done = f"{signal.get_kind_display()} on {signal.account.name}: now part of “{opportunity.title}”."
    if request.htmx:
        return _signals_response(request, done, board_changed=True)
    messages.success(request, done)
    return redirect_back(request, "pipeline")


@login_required
@require_POST
def signal_dismiss_view(request: HttpRequest, signal_id: int) -> HttpResponse:
    """Set a signal aside (it may open again when detected later)."""
    signal = get_signal_for_user(request.user, signal_id)
    signal_dismiss(signal=signal)
    done = f"Dismissed: {signal.get_kind_display()} on {signal.account.name}."
    if request.htmx:
        return _signals_response(request, done, board_changed=False)
    messages.success(request, done)
    return redirect_back(request, "pipeline")


@login_required
@require_GET
def opportunity_view(request: HttpRequest, opportunity_id: int) -> HttpResponse:
    """One opportunity with its actions and edit form: what a card's "Edit / move" link fetches into the
    card with HTMX, or opens as a page of its own without JavaScript (its forms return to the board).
    `?view=card` gives the compact card back (the open card's "Close")."""
    opportunity = get_opportunity_for_user(request.user, opportunity_id)
    compact = request.GET.get("view") == "card"
    context = _card_context(request, Card(opportunity, open_form="" if compact else "edit"))
    if request.htmx:
        return render(request, "expansion/_card.html", context)
    return render(request, "expansion/opportunity.html", context)


@login_required
@require_GET
def pipeline_column_view(request: HttpRequest, stage: str) -> HttpResponse:
    """A column's next cards (`?offset=N`, with the board's filters): HTMX puts them in place of the
    column's "show more"; without JavaScript they are a page of their own with a link to the next."""
    form = ColumnPageForm({"stage": stage, "offset": request.GET.get("offset", "0")})
    if not form.is_valid():
        return HttpResponseBadRequest(joined_problems(form.errors), content_type="text/plain; charset=utf-8")
    column = board_column(request.user, board_params(request.GET), Stage(form.cleaned_data["stage"]),
                          form.cleaned_data["offset"])
    context = {**_links(request), "column": column}
    if request.htmx:
        return render(request, "expansion/_column_cards.html", context)
    return render(request, "expansion/column.html", context)


@login_required
def pipeline_forecast_view(request: HttpRequest) -> HttpResponse:
    """Managers: the weighted pipeline by stage and owner, win rate, cycle time, signals that became won
    business."""
    if not request.user.sees_all_accounts:
        raise PermissionDenied("The pipeline forecast is for managers.")
    found = forecast(request.user)
    return render(request, "expansion/forecast.html", {"forecast": found, "charts": found.charts()})
