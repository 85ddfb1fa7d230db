"""Receivers of what the customer-data layer announces (accounts.events): texts are read when they arrive.

Every process loads this module when Django starts (scoring.apps), so the receivers import the text reader and the
scoring services (its compiled grammar, pandas) when they first run, not at start-up: a command or a worker that
never receives these signals does not pay for them."""

import logging

from django.dispatch import receiver
from kombu.exceptions import OperationalError

from accounts.events import import_committed, text_saved_by_hand

logger = logging.getLogger(__name__)


@receiver(import_committed, dispatch_uid="scoring.read_imported_texts")
def read_imported_texts(sender, **kwargs) -> None:
    """Fan the new texts out to the workers; without a reachable broker the 5-minute sweep does it."""
    from scoring.tasks import read_waiting_texts  # see the module's description

    try:
        read_waiting_texts.delay()
    except OperationalError as error:
        logger.warning("Text analysis not queued (%s); the periodic sweep will read the new texts", error)


@receiver(text_saved_by_hand, dispatch_uid="scoring.read_edited_text")
def read_edited_text(sender, *, item, **kwargs) -> None:
    """A ticket or touchpoint edited by hand is read again at once."""
    from scoring.texts.service import text_edited  # see the module's description

    text_edited(item)
