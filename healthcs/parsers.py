"""The API's JSON parser: DRF's, with two limits that turn hostile bodies into a clear 400 instead of a
crash or a worker busy for long. JSON nested thousands deep makes Python's decoder raise RecursionError (a
500 before); a body bigger than any endpoint reads (Django's own DATA_UPLOAD_MAX_MEMORY_SIZE, which DRF's
stream reading bypasses) is refused before it is read whole."""

import io

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    max_bytes: int | None = None  # None: DATA_UPLOAD_MAX_MEMORY_SIZE
    too_big_hint = ""  # said after the limit, e.g. what the endpoint does with long texts

    def parse(self, stream, media_type=None, parser_context=None):
        limit = self.max_bytes or settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440  # Django's default
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
        declared = int(length) if str(length).isascii() and str(length).isdigit() else 0
        if declared > limit or (stream is not None and len(body := stream.read(limit + 1)) > limit):
            size = f"{declared:,} bytes" if declared > limit else f"more than {limit:,} bytes"
            raise ParseError(f"The request body is {size}; send at most {limit:,}{self.too_big_hint}.")
        if stream is None:
            return super().parse(stream, media_type, parser_context)
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise ParseError("The JSON is nested too deeply; send a flat object of fields.") from None

