"""Forms of the accounts pages."""

from pathlib import Path

from django import forms
from django.conf import settings


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files and cleans each of them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


CHOOSE_FILES = "Choose the files to import: the CSV files, or one .zip holding them."


class ImportUploadForm(forms.Form):
    """Several CSV files or one zip; the size and the file types are checked here."""

    files = MultipleFileField(
        widget=MultipleFileInput(attrs={"accept": ".csv,.zip"}),
        error_messages={"required": CHOOSE_FILES},
        help_text="The RavenStack CSV files (and optional contacts, touchpoints, surveys, "
                  "invoices), or one .zip holding them.",
    )

    def clean_files(self):
        uploads = [u for u in self.cleaned_data["files"] if u]
        if not uploads:
            raise forms.ValidationError(CHOOSE_FILES)
        limit = settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024
        if sum(u.size for u in uploads) > limit:
            raise forms.ValidationError(
                f"The upload is larger than the {settings.IMPORT_MAX_UPLOAD_MB} MB limit. "
                "Split it or import it from the command line."
            )
        suffixes = {Path(u.name).suffix.lower() for u in uploads}
        wrong = sorted(u.name for u in uploads if Path(u.name).suffix.lower() not in (".csv", ".zip"))
        if wrong:
            raise forms.ValidationError(
                f"Only .csv files or one .zip file can be imported (not: {', '.join(wrong)})."
            )
        if ".zip" in suffixes and len(uploads) > 1:
            raise forms.ValidationError("Upload either CSV files or a single .zip, not both.")
        return uploads
