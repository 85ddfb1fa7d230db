"""A record chosen by id takes the digits 0-9 only: the queryset's own lookup would read Arabic-Indic digits
('١٢') as the id 12 and pick someone the page never offered under that text."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from healthcs.inputs import RecordChoiceField
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_the_id_in_digits_0_9_is_taken_and_in_other_scripts_refused():
    person = UserFactory(username="ann")
    field = RecordChoiceField(queryset=User.objects.all())

    assert field.clean(str(person.pk)) == person
    with pytest.raises(ValidationError) as refused:
        field.clean(str(person.pk).translate(ARABIC_INDIC))
    assert refused.value.code == "invalid_choice"


def test_an_empty_choice_stays_empty_when_not_required():
    assert RecordChoiceField(queryset=User.objects.all(), required=False).clean("") is None
