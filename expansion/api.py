"""REST API of the expansion pipeline (docs/api.md): list the opportunities a user may see (filter by stage,
owner and account), create one on an account, read one, and change any editable field of it, stage
included. The same rule as the pages decides what a user reaches (another CSM's opportunity is 404) and
the pipeline's services decide what is allowed. Bodies are read by serializers over the model's columns
(expansion.forms), which hand typed values to one service; query parameters by a FilterSet. A refused
value, or a broken rule (a DomainError, answered by healthcs.api.exception_handler), is a 400 naming the
field, e.g. {"amount": "A won opportunity needs its amount (added MRR) above zero."}, and nothing is
written."""

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import accounts_for_user, scope_to_user
from expansion.forms import OpportunityCreateInput, OpportunityListFilter, OpportunityPatchInput
from expansion.models import Opportunity, StageChange
from expansion.pipeline import assignable_owners
from expansion.selectors import get_opportunity_for_user
from expansion.services import opportunity_create, opportunity_update
from healthcs.api import FilterBackend


class StageChangeSerializer(serializers.Serializer):
    """One move: {"from": "qualified", "to": "proposal", "by": "casey@example.org", "at": "..."}."""

    def to_representation(self, change: StageChange) -> dict:
        who = change.changed_by
        return {"from": change.from_stage or None, "to": change.to_stage,
                "by": (who.email or who.username) if who else None,
                "at": serializers.DateTimeField().to_representation(change.changed_at)}


class OpportunitySerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.external_id", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    owner = serializers.EmailField(source="owner.email", default=None, read_only=True)
    weighted = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                        help_text="amount × probability / 100")
    stage_history = serializers.SerializerMethodField()

    class Meta:
        model = Opportunity
        fields = ["id", "account", "account_name", "title", "stage", "amount", "probability", "probability_edited",
                  "weighted", "expected_close", "owner", "next_step", "notes", "lost_reason", "source_kind",
                  "created_at", "closed_at", "stage_history"]

    @extend_schema_field({"type": "array", "items": {"type": "object", "properties": {
        "from": {"type": "string", "nullable": True}, "to": {"type": "string"},
        "by": {"type": "string", "nullable": True}, "at": {"type": "string", "format": "date-time"}}}})
    def get_stage_history(self, opportunity: Opportunity) -> list[dict]:
        return StageChangeSerializer(opportunity.stage_changes.all(), many=True).data


def _with_history(queryset: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return queryset.select_related("account", "owner").prefetch_related(
        Prefetch("stage_changes", queryset=StageChange.objects.select_related("changed_by")))


def _validated(serializer) -> dict:
    """The body's fields as the serializer read them; a 400 naming each refused field otherwise."""
    if not serializer.is_valid():
        raise ValidationError(serializer.problems())
    return dict(serializer.validated_data)


class OpportunityList(generics.ListAPIView):
    """Opportunities on the user's accounts, soonest expected close first, each with its stage history;
    POST creates one (in the identified stage)."""

    serializer_class = OpportunitySerializer
    filter_backends = [FilterBackend]
    filterset_class = OpportunityListFilter

    def get_queryset(self) -> QuerySet[Opportunity]:
        return _with_history(scope_to_user(Opportunity.objects.all(), self.request.user)).order_by(
            "expected_close", "-amount", "id")

    @extend_schema(request=OpportunityCreateInput, responses={201: OpportunitySerializer})
    def post(self, request):
        context = {"accounts": accounts_for_user(request.user), "owners": assignable_owners()}
        data = _validated(OpportunityCreateInput(data=request.data, context=context))
        opportunity = opportunity_create(user=request.user, **data)
        created = _with_history(Opportunity.objects.filter(pk=opportunity.pk)).get()
        return Response(OpportunitySerializer(created).data, status=status.HTTP_201_CREATED)


class OpportunityDetail(APIView):
    """One opportunity; PATCH changes any editable field, stage included, under the pipeline's rules."""

    @extend_schema(responses={200: OpportunitySerializer})
    def get(self, request, opportunity_id: int):
        opportunity = get_opportunity_for_user(request.user, opportunity_id)
        return Response(OpportunitySerializer(_with_history(Opportunity.objects.filter(pk=opportunity.pk)).get()).data)

    @extend_schema(request=OpportunityPatchInput, responses={200: OpportunitySerializer})
    def patch(self, request, opportunity_id: int):
        opportunity = get_opportunity_for_user(request.user, opportunity_id)
        changes = _validated(OpportunityPatchInput(data=request.data, partial=True,
                                                   context={"owners": assignable_owners()}))
        opportunity_update(opportunity=opportunity, user=request.user, changes=changes)
        return Response(OpportunitySerializer(_with_history(Opportunity.objects.filter(pk=opportunity.pk)).get()).data)
