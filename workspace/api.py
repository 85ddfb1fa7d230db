"""REST API of accounts (docs/api.md): the list with the latest health and risk, one account with its
full breakdown and its contacts, its score history, its touchpoints (listed, and logged by hand: read by the
text reader at once) and its success plan (read, and made from the fired reasons or from a body). The same rule
as the pages decides what a user sees (accounts.selectors): a CSM their own accounts, managers and admins all;
another CSM's account is 404, as on the pages."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.audit import audit_record
from accounts.forms import ChurnInput, TouchpointInput
from accounts.models import Account, ChurnEvent, Contact, Touchpoint
from accounts.selectors import accounts_for_user, contacts_with_last_touch, get_account_for_user
from accounts.services import account_mark_churned, touchpoint_log
from healthcs.api import FilterBackend
from interventions.forms import PLAN_MESSAGES, PlanInput
from interventions.models import PlanObjective, PlanStep, SuccessPlan
from interventions.plans import ObjectiveDraft, StepDraft, plan_create, plan_create_from_reasons
from interventions.selectors import account_plan
from scoring.models import Snapshot
from scoring.selectors import with_latest_scores
from scoring.texts.reader import sentiment_label
from workspace.filters import AccountFilter

SCORE_FIELDS = ("health_score", "health_tier", "risk_score", "risk_level", "arr")
class AccountSerializer(serializers.ModelSerializer):
    csm = serializers.EmailField(source="csm.email", default=None, read_only=True)
    as_of = serializers.DateField(read_only=True, allow_null=True)
    health_score = serializers.FloatField(read_only=True, allow_null=True)
    health_tier = serializers.CharField(read_only=True, allow_null=True)
    risk_score = serializers.IntegerField(read_only=True, allow_null=True)
    risk_level = serializers.CharField(read_only=True, allow_null=True)
    arr = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = ["external_id", "name", "segment", "plan_tier", "ehr_system", "seats", "renewal_date", "churned",
                  "csm", "as_of", *SCORE_FIELDS]


class SnapshotSerializer(serializers.ModelSerializer):
    config_version = serializers.IntegerField(source="config.version", read_only=True)
    measures = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = ["as_of", "health_score", "health_tier", "covered_share", "health_trend", "trend", "risk_score",
                  "risk_level", "risk_subscription", "top_reasons", "recommended_actions", "arr", "usage_30d",
                  "usage_prev30d", "usage_drop_pct", "errors_30d", "tickets_30d", "churn_intent_30d",
                  "measures", "fired_rules", "config_version"]

    def get_measures(self, snapshot: Snapshot) -> dict[str, dict[str, float | None]]:
        return snapshot.breakdown()


class ContactSerializer(serializers.ModelSerializer):
    last_touch = serializers.DateTimeField(read_only=True, allow_null=True,
                                           help_text="When the latest touchpoint naming the contact happened.")

    class Meta:
        model = Contact
        fields = ["external_id", "name", "email", "phone", "title", "role", "sentiment", "is_active", "left_date",
                  "last_touch"]


class AccountDetailSerializer(AccountSerializer):
    latest = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "latest", "contacts"]

    def get_latest(self, account: Account) -> dict | None:
        snapshot = self.context.get("snapshot")
        return SnapshotSerializer(snapshot).data if snapshot else None

    @extend_schema_field(ContactSerializer(many=True))
    def get_contacts(self, account: Account) -> list[dict]:
        return ContactSerializer(contacts_with_last_touch(account), many=True).data


class HistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Snapshot
        fields = ["as_of", "health_score", "health_tier", "health_trend", "risk_score", "risk_level", "top_reasons"]


class AccountList(generics.ListAPIView):
    """Accounts with their latest health and churn risk."""

    serializer_class = AccountSerializer
    queryset = Account.objects.none()  # the model, for the schema, without the query of the latest scoring day
    filter_backends = [FilterBackend]
    filterset_class = AccountFilter  # the at-risk list's filters and ordering, as on the page and its export

    def get_queryset(self) -> QuerySet[Account]:
        return with_latest_scores(accounts_for_user(self.request.user))


class AccountDetail(generics.RetrieveAPIView):
    """One account with its latest health score, churn risk and their full breakdown."""

    serializer_class = AccountDetailSerializer
    lookup_field = "external_id"

    def get_object(self) -> Account:
        account = get_account_for_user(self.request.user, self.kwargs["external_id"])
        audit_record(user=self.request.user, action="viewed", obj=account)
        self.snapshot = account.snapshots.select_related("config").order_by("-as_of").first()
        return with_latest_scores(Account.objects.filter(pk=account.pk).select_related("csm")).get()

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("context", {**self.get_serializer_context(), "snapshot": getattr(self, "snapshot", None)})
        return super().get_serializer(*args, **kwargs)


class AccountHistory(generics.ListAPIView):
    """An account's daily scores, newest first."""

    serializer_class = HistorySerializer

    def get_queryset(self) -> QuerySet[Snapshot]:
        account = get_account_for_user(self.request.user, self.kwargs["external_id"])
        return Snapshot.objects.filter(account=account).order_by("-as_of")


class ReadingSerializer(serializers.Serializer):
    """What the text reader read in a touchpoint; null while it waits to be read."""

    churn_intent = serializers.SerializerMethodField()
    intent_phrase = serializers.CharField(help_text="The phrase that voices churn intent; empty when none does.")
    category = serializers.CharField()
    sentiment = serializers.FloatField(allow_null=True, help_text="-1 (negative) to 1 (positive).")
    sentiment_label = serializers.SerializerMethodField()
    competitors = serializers.ListField(child=serializers.CharField())
    summary = serializers.CharField()
    recommended_action = serializers.CharField()
    reader = serializers.CharField(source="analysis_version", help_text='"builtin-3" or "llm-<model>".')

    def get_churn_intent(self, touchpoint: Touchpoint) -> bool:
        return bool(touchpoint.intent_phrase)

    def get_sentiment_label(self, touchpoint: Touchpoint) -> str | None:
        return sentiment_label(touchpoint.sentiment) if touchpoint.sentiment is not None else None


class TouchpointSerializer(serializers.ModelSerializer):
    contact = serializers.CharField(source="contact.external_id", default=None, read_only=True)
    contact_name = serializers.CharField(source="contact.name", default=None, read_only=True)
    reading = serializers.SerializerMethodField()

    class Meta:
        model = Touchpoint
        fields = ["external_id", "occurred_at", "kind", "direction", "contact", "contact_name", "subject", "text",
                  "reading"]

    @extend_schema_field(ReadingSerializer(allow_null=True))
    def get_reading(self, touchpoint: Touchpoint) -> dict | None:
        return ReadingSerializer(touchpoint).data if touchpoint.analysis_version else None


class AccountTouchpoints(generics.ListAPIView):
    """An account's touchpoints, newest first, each with its reading; POST logs one (a call, meeting, e-mail
    or note), read by the text reader at once."""

    serializer_class = TouchpointSerializer

    def get_queryset(self) -> QuerySet[Touchpoint]:
        account = get_account_for_user(self.request.user, self.kwargs["external_id"])
        return account.touchpoints.select_related("contact").order_by("-occurred_at", "-id")

    @extend_schema(request=TouchpointInput, responses={201: TouchpointSerializer})
    def post(self, request, external_id: str):
        account = get_account_for_user(request.user, external_id)
        payload = TouchpointInput(data=request.data, context={"account": account})
        if not payload.is_valid():
            raise ValidationError(payload.problems())
        data = payload.validated_data
        touchpoint = touchpoint_log(account=account, user=request.user, kind=data["kind"], text=data["text"],
                                    direction=data.get("direction", ""), contact=data.get("contact"),
                                    subject=data.get("subject", ""), occurred_at=data.get("occurred_at"))
        return Response(TouchpointSerializer(touchpoint).data, status=status.HTTP_201_CREATED)


class ChurnEventSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.external_id", read_only=True)
    feedback = serializers.CharField(source="feedback_text", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", default=None, read_only=True)

    class Meta:
        model = ChurnEvent
        fields = ["external_id", "account", "churn_date", "reason_code", "feedback", "recorded_by", "recorded_at"]


class AccountChurn(generics.GenericAPIView):
    """POST marks the account churned with a reason code and the customer's feedback (a CSM only their own
    accounts): a churn event, the account's churned flag and outcome, its running subscriptions ended, audited."""

    serializer_class = ChurnInput

    @extend_schema(request=ChurnInput, responses={201: ChurnEventSerializer})
    def post(self, request, external_id: str):
        account = get_account_for_user(request.user, external_id)
        payload = ChurnInput(data=request.data)
        if not payload.is_valid():
            raise ValidationError(payload.problems())
        data = payload.validated_data
        event = account_mark_churned(account=account, user=request.user, reason_code=data["reason_code"],
                                     feedback=data["feedback_text"], churn_date=data.get("churn_date"))
        return Response(ChurnEventSerializer(event).data, status=status.HTTP_201_CREATED)


class PlanStepSerializer(serializers.ModelSerializer):
    owner = serializers.EmailField(source="owner.email", default=None, read_only=True)
    done_by = serializers.EmailField(source="done_by.email", default=None, read_only=True)

    class Meta:
        model = PlanStep
        fields = ["id", "order", "title", "owner", "due_on", "status", "done_at", "done_by"]


class PlanObjectiveSerializer(serializers.ModelSerializer):
    steps = PlanStepSerializer(many=True, read_only=True)

    class Meta:
        model = PlanObjective
        fields = ["id", "order", "title", "reason_key", "steps"]


class SuccessPlanSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", default=None, read_only=True)
    objectives = PlanObjectiveSerializer(many=True, read_only=True)
    steps_done = serializers.SerializerMethodField()
    steps_total = serializers.SerializerMethodField()

    class Meta:
        model = SuccessPlan
        fields = ["title", "created_by", "created_at", "updated_at", "steps_done", "steps_total", "objectives"]

    def get_steps_done(self, plan: SuccessPlan) -> int:
        return self.context["panel"].done

    def get_steps_total(self, plan: SuccessPlan) -> int:
        return self.context["panel"].total


def _nested_problems(errors, name: str = ""):
    """The errors of the objectives and their steps, by position and field, each field's first problem as a
    sentence ({"0": {"steps": {"1": {"owner": "..."}}}})."""
    if isinstance(errors, dict):
        return {str(key): _nested_problems(value, str(key)) for key, value in errors.items()}
    if isinstance(errors, list) and errors and not isinstance(errors[0], dict | list):
        detail = errors[0]
        sentence = PLAN_MESSAGES.get(name, {}).get(getattr(detail, "code", ""), "")
        return sentence if sentence and "{" not in sentence else str(detail)
    if isinstance(errors, list):
        return {str(i): _nested_problems(item) for i, item in enumerate(errors) if item}
    return str(errors)


class AccountPlanSerializer(serializers.Serializer):
    account = serializers.CharField(help_text="The account's external id.")
    plan = SuccessPlanSerializer(allow_null=True, help_text="null while the account has no plan.")


def _plan_body(account: Account) -> dict:
    """The account's plan as the API shows it (four queries): {"account": external id, "plan": the plan or null}."""
    panel = account_plan(account)
    plan = SuccessPlanSerializer(panel.plan, context={"panel": panel}).data if panel else None
    return {"account": account.external_id, "plan": plan}


class AccountSuccessPlan(generics.GenericAPIView):
    """An account's success plan: its objectives in order, each with its steps (owner, due date, status); `plan` is
    null while it has none. POST makes it: {"from_reasons": true} from the fired reasons of the latest score, or from
    the objectives and steps sent; an account has one plan (a second POST is refused)."""

    serializer_class = AccountPlanSerializer

    @extend_schema(responses={200: AccountPlanSerializer})
    def get(self, request, external_id: str):
        account = get_account_for_user(request.user, external_id)
        return Response(_plan_body(account))

    @extend_schema(request=PlanInput, responses={201: AccountPlanSerializer})
    def post(self, request, external_id: str):
        account = get_account_for_user(request.user, external_id)
        payload = PlanInput(data=request.data, context={"account": account})
        if not payload.is_valid():
            problems = payload.problems()
            nested = payload.errors.get("objectives")
            if isinstance(nested, dict) or (isinstance(nested, list) and any(isinstance(i, dict) for i in nested)):
                problems["objectives"] = _nested_problems(nested)  # every refused field of every objective and step
            raise ValidationError(problems)
        data = payload.validated_data
        if data.get("from_reasons"):
            plan_create_from_reasons(account=account, user=request.user)
        else:
            objectives = [ObjectiveDraft(o["title"], tuple(
                StepDraft(s["title"], s.get("owner"), s.get("due_on"), s.get("status", "open"))
                for s in o.get("steps", []))) for o in data["objectives"]]
            plan_create(account=account, user=request.user, title=data.get("title", ""), objectives=objectives)
        return Response(_plan_body(account), status=status.HTTP_201_CREATED)
