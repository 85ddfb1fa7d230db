"""REST API of data import (docs/api.md#imports), for a CRM's export job: `POST /api/imports/` takes the same upload
as the import page (CSV files, or one zip holding them, as multipart `files`) with the same checks and limits,
queues the same background import run and answers 202 with its id and the address to poll; `GET
/api/imports/{id}/` tells how it went. Managers and admins only (the `accounts.import_data` permission, as on the
page): a CSM gets 403."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.forms import ImportUploadForm
from accounts.importing.services import upload_files
from accounts.models import ImportRun
from accounts.selectors import get_import_run_for_user
from accounts.tasks import import_run_submit


class MayImport(BasePermission):
    """The import page's rule: managers and admins (accounts.import_data)."""

    message = "Only managers and admins may import data."

    def has_permission(self, request, view) -> bool:
        return request.user.has_perm("accounts.import_data")


class ImportRunSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", default=None, read_only=True)
    url = serializers.SerializerMethodField(help_text="Where to poll the run: GET it until its status is "
                                                      "succeeded or failed.")
    counts = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()), read_only=True,
                                   help_text='Rows per table: {"accounts": {"rows", "inserted", "updated", '
                                             '"unchanged"}, ...}; empty until it succeeded.')
    errors = serializers.ListField(child=serializers.CharField(), read_only=True,
                                   help_text="Every problem found (file, row, column: what is wrong); nothing was "
                                             "written when there is any.")

    class Meta:
        model = ImportRun
        fields = ["id", "status", "source", "created_at", "created_by", "finished_at", "seconds", "counts",
                  "errors", "url"]

    def get_url(self, run: ImportRun) -> str:
        return reverse("api_import", args=[run.pk])


class ImportUpload(serializers.Serializer):
    """The upload, as multipart/form-data (documentation only: the files are read by the page's form)."""

    files = serializers.ListField(child=serializers.FileField(), help_text=(
        "The CSV files (named after their tables, e.g. ravenstack_accounts.csv), or one .zip holding them; "
        "send the field once per file."))


PROBLEMS = inline_serializer("ImportProblems", {"files": serializers.ListField(child=serializers.CharField())})


class ImportCreate(APIView):
    """Queue an import of the uploaded files, checked as on the import page."""

    permission_classes = [IsAuthenticated, MayImport]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": ImportUpload}, responses={
        202: ImportRunSerializer,
        400: OpenApiResponse(PROBLEMS, description="Every problem of the upload named; nothing was queued.")})
    def post(self, request):
        form = ImportUploadForm(data={}, files=request.FILES)
        if not form.is_valid():
            raise ValidationError({"files": [str(message) for message in form.errors["files"]]})
        files, problems = upload_files(form.cleaned_data["files"])
        if problems:
            raise ValidationError({"files": [str(problem) for problem in problems]})
        run = import_run_submit(user=request.user, files=files, upload_root=Path(settings.MEDIA_ROOT))
        data = ImportRunSerializer(run).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class ImportDetail(APIView):
    """One import run: its status, the rows per table once it succeeded, every problem once it failed."""

    permission_classes = [IsAuthenticated, MayImport]

    @extend_schema(responses={200: ImportRunSerializer})
    def get(self, request, run_id: int):
        return Response(ImportRunSerializer(get_import_run_for_user(request.user, run_id)).data)
