"""Receivers of what the customer-data layer announces (accounts.events): texts are read when they arrive."""

import logging

from django.dispatch import receiver
from kombu.exceptions import OperationalError

from accounts.events import import_committed, text_saved_by_hand
from scoring.tasks import read_waiting_texts
from scoring.texts.service import text_edited

logger = logging.getLogger(__name__)


@receiver(import_committed, dispatch_uid="scoring.read_imported_texts")
def read_imported_texts(sender, **kwargs) -> None:
    """Fan the new texts out to the workers; without a reachable broker the 5-minute sweep does it."""
    try:
        read_waiting_texts.delay()
    except OperationalError as error:
        logger.warning("Text analysis not queued (%s); the periodic sweep will read the new texts", error)


@receiver(text_saved_by_hand, dispatch_uid="scoring.read_edited_text")
def read_edited_text(sender, *, item, **kwargs) -> None:
    """A ticket or touchpoint edited by hand is read again at once."""
    text_edited(item)
