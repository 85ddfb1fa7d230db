"""The demo's planted integration crisis on one EHR system tops the ticket themes (Drivers & insights)."""

import pytest

from accounts.models import User
from workspace.dashboards import ticket_themes


@pytest.mark.django_db
def test_the_demo_integration_crisis_tops_the_themes(demo_book):
    top = ticket_themes(User.objects.get(username="manager"), demo_book)[0]

    assert (top.label, top.ehr_system, top.spike) == ("Integration", "Cerner", True)
