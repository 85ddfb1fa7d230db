"""The alert inbox (docs/pages.md#alerts): the user's alerts filtered by type, severity, CSM, segment, age and status,
sortable and paged, each with the playbook it fired; acknowledge, snooze or resolve one alert, the ticked ones or all
those matching the filter. Updated in place by HTMX (the counts too), or as plain forms and links without
JavaScript. It joins scoring's alerts with interventions' firings, so it lives here, in the top layer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account, Segment, User
from healthcs.errors import DomainError
from healthcs.inputs import form_problems
from healthcs.redirects import redirect_back
from interventions.selectors import with_fired_interventions
from scoring.alerts import alerts_acknowledge, alerts_resolve, alerts_snooze
from scoring.models import AlertType, Severity
from scoring.selectors import INBOX_STATUSES, alerts_for_user, chosen_alerts, get_alert_for_user, inbox_counts
from workspace.alert_filters import AGE_LABELS, PARAMETERS, FilteredAlerts, filter_alerts
from workspace.forms import ALERT_ACTIONS, AlertBulkForm

PAGE_SIZE = 50
ALERTS_CHANGED = "alertsChanged"  # an alert was acknowledged or resolved from its row: the counts change
DONE = {"acknowledge": "acknowledged", "snooze": "snoozed", "resolve": "resolved"}


def _kept(request: HttpRequest) -> QueryDict:
    """The inbox's parameters in use, and its page: links and the address carry only these."""
    kept = QueryDict(mutable=True)
    kept.update({name: value for name, value in request.GET.items()
                 if name in (*PARAMETERS, "page") and value.strip()})
    return kept


def _filtered(request: HttpRequest) -> tuple[dict[str, str], FilteredAlerts]:
    """The user's alerts filtered and ordered by the request's parameters."""
    params = {name: request.GET.get(name, "") for name in PARAMETERS}
    return params, filter_alerts(alerts_for_user(request.user), params, today=timezone.localdate())


def _choices(user: User) -> dict[str, list]:
    """The options of the inbox's select boxes (CSMs for those who see every account)."""
    csms = (list(User.objects.filter(Exists(Account.objects.filter(csm=OuterRef("pk"))))
                 .order_by("email").values_list("email", flat=True)) if user.sees_all_accounts else [])
    return {"kind": AlertType.choices, "severity": Severity.choices, "csm": csms, "segment": Segment.values,
            "age": list(AGE_LABELS.items()), "status": list(INBOX_STATUSES.items())}


def _tabs(counts: dict[str, int]) -> list[dict]:
    return [{"status": status, "label": label, "count": counts[status]} for status, label in INBOX_STATUSES.items()]


def _inbox(request: HttpRequest, params: dict, filtered: FilteredAlerts, form: AlertBulkForm, *,
           notice: str = "", problems: dict | None = None, status: int = 200) -> HttpResponse:
    """The inbox page (or, for HTMX, its contents) with the bulk form as given (its ticked rows kept)."""
    page = Paginator(with_fired_interventions(filtered.alerts), PAGE_SIZE).get_page(request.GET.get("page"))
    kept = _kept(request)
    context = {
        "page": page, "params": params, "kept": kept, "problems": filtered.problems, "status": filtered.status,
        "ordering": filtered.ordering, "tabs": _tabs(inbox_counts(filtered.unstatused, timezone.localdate())),
        "bulk_form": form, "bulk_problems": problems or {}, "actions": ALERT_ACTIONS,
        "checked": set(form["alert"].value() or ()) if form.is_bound else set(), "notice": notice,
        "today": timezone.localdate(),
        "filtering": any(params[name] for name in PARAMETERS if name not in ("ordering", "status")),
    }
    if request.htmx:
        response = render(request, "workspace/_alert_inbox.html", context)  # htmx swaps 200s only
        response["HX-Push-Url"] = reverse("alert_list") + (f"?{kept.urlencode()}" if kept else "")
        return response
    context["choices"] = _choices(request.user)  # the fragment has no select boxes
    return render(request, "workspace/alert_list.html", context, status=status)


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    """The inbox; `?part=counts` answers only the counts per status (refreshed after a row's action)."""
    params, filtered = _filtered(request)
    if request.GET.get("part") == "counts":
        tabs = _tabs(inbox_counts(filtered.unstatused, timezone.localdate()))
        return render(request, "workspace/_alert_counts.html", {"tabs": tabs, "status": filtered.status,
                                                                 "kept": _kept(request)})
    return _inbox(request, params, filtered, AlertBulkForm())


@login_required
@require_POST
def alert_bulk(request: HttpRequest) -> HttpResponse:
    """Acknowledge, snooze or resolve the ticked alerts (all of them the user's, or nothing changes), or all those
    matching the inbox's filter (the address's parameters, read again here within the user's alerts); back to the
    inbox with a message, or the inbox again with the refusal beside the form and what was chosen kept."""
    params, filtered = _filtered(request)
    form = AlertBulkForm(request.POST)
    if not form.is_valid():
        return _inbox(request, params, filtered, form, problems=form_problems(form), status=400)
    data = form.cleaned_data
    try:
        alerts = filtered.alerts if data["scope"] == "matching" else chosen_alerts(request.user, data["alert"])
        if data["action"] == "acknowledge":
            changed = alerts_acknowledge(alerts=alerts, user=request.user)
        elif data["action"] == "snooze":
            changed = alerts_snooze(alerts=alerts, user=request.user, until=data["until"])
        else:
            changed = alerts_resolve(alerts=alerts, user=request.user)
    except DomainError as error:
        return _inbox(request, params, filtered, form, problems={error.field or "alerts": error.message}, status=400)
    notice = f"{changed} alert{pluralize(changed)} {DONE[data['action']]}"
    notice += f" until {data['until']:%Y-%m-%d}." if data["action"] == "snooze" else "."
    if data["scope"] == "checked" and changed < len(data["alert"]):
        left = len(data["alert"]) - changed
        notice += f" {left} {'was' if left == 1 else 'were'} {DONE[data['action']]} or closed already."
    if request.htmx:
        return _inbox(request, params, filtered, AlertBulkForm(), notice=notice)
    messages.success(request, notice)
    kept = _kept(request)
    return redirect(reverse("alert_list") + (f"?{kept.urlencode()}" if kept else ""))


def _row(request: HttpRequest, alert_id: int) -> HttpResponse:
    """The alert's row as it is now, and the event on which the inbox's counts refresh themselves."""
    alert = with_fired_interventions(alerts_for_user(request.user)).get(pk=alert_id)
    response = render(request, "workspace/_alert_row.html", {"alert": alert, "checked": set(), "kept": _kept(request),
                                                             "today": timezone.localdate()})
    response["HX-Trigger"] = ALERTS_CHANGED
    return response


def _single(request: HttpRequest, alert_id: int, action: str) -> HttpResponse:
    """Acknowledge or resolve one alert of the user's (404 for another's); its row again, or back to the inbox."""
    alert = get_alert_for_user(request.user, alert_id)
    change = alerts_acknowledge if action == "acknowledge" else alerts_resolve
    change(alerts=alerts_for_user(request.user).filter(pk=alert.pk), user=request.user)
    if request.htmx:
        return _row(request, alert.pk)
    messages.success(request, f"Alert {DONE[action]}: {alert.get_kind_display()} for {alert.account.name}.")
    return redirect_back(request, "alert_list")


@login_required
@require_POST
def alert_resolve_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _single(request, alert_id, "resolve")


@login_required
@require_POST
def alert_acknowledge_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _single(request, alert_id, "acknowledge")
