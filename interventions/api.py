"""REST API of interventions (docs/api.md): the interventions a user may see, filterable by status, CSM and
playbook, and logging an outcome on one. The same rule as the pages decides what a user reaches
(another CSM's intervention is 404)."""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import scope_to_user
from healthcs.api import FilterBackend
from interventions.forms import InterventionFilter, OutcomeInput
from interventions.models import Intervention, Outcome, Task
from interventions.selectors import get_intervention_for_user
from interventions.services import outcome_log


class TaskSerializer(serializers.ModelSerializer):
    assignee = serializers.EmailField(source="assignee.email", default=None, read_only=True)
    escalation = serializers.BooleanField(source="is_escalation", read_only=True)

    class Meta:
        model = Task
        fields = ["id", "order", "title", "channel", "assignee_role", "assignee", "due_at", "status", "done_at",
                  "snoozed_until", "snooze_reason", "escalated_at", "escalation", "message"]


class OutcomeSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Outcome
        fields = ["id", "kind", "note", "created_by", "created_at"]


class InterventionSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.external_id", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    playbook = serializers.CharField(source="playbook.name", read_only=True)
    playbook_id = serializers.IntegerField(read_only=True)
    csm = serializers.EmailField(source="account.csm.email", default=None, read_only=True)
    tasks = TaskSerializer(many=True, read_only=True)
    outcomes = OutcomeSerializer(many=True, read_only=True)

    class Meta:
        model = Intervention
        fields = ["id", "account", "account_name", "playbook", "playbook_id", "csm", "triggered_on", "triggered_at",
                  "reason", "group", "status", "completed_at", "health_tier", "health_score", "risk_level",
                  "risk_score", "arr", "tasks", "outcomes"]


class InterventionList(generics.ListAPIView):
    """Interventions on the user's accounts, newest first, with their tasks and outcomes."""

    serializer_class = InterventionSerializer
    filter_backends = [FilterBackend]
    filterset_class = InterventionFilter

    def get_queryset(self) -> QuerySet[Intervention]:
        interventions = scope_to_user(Intervention.objects.all(), self.request.user)
        return (interventions.select_related("account", "account__csm", "playbook")
                .prefetch_related(Prefetch("tasks", queryset=Task.objects.select_related("assignee")
                                           .order_by("due_at", "id")),
                                  Prefetch("outcomes", queryset=Outcome.objects.select_related("created_by")))
                .order_by("-triggered_at", "-id"))


class InterventionOutcomes(APIView):
    """Log an outcome on an intervention: {"kind": "contacted", "note": "..."} → the outcome (201)."""

    @extend_schema(request=OutcomeInput, responses={201: OutcomeSerializer})
    def post(self, request, intervention_id: int):
        intervention = get_intervention_for_user(request.user, intervention_id)
        payload = OutcomeInput(data=request.data)
        if not payload.is_valid():
            raise ValidationError(payload.problems())
        outcome = outcome_log(account=intervention.account, user=request.user, intervention=intervention,
                              kind=payload.validated_data["kind"], note=payload.validated_data.get("note", ""))
        return Response(OutcomeSerializer(outcome).data, status=status.HTTP_201_CREATED)
