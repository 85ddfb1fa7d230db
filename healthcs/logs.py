"""Logging filters of the LOGGING setting."""

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A 4xx answer (a missing page, a refused request) is the client's doing: one warning line, no
    traceback. Django attaches the Http404 or PermissionDenied that produced it; 5xx records keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
