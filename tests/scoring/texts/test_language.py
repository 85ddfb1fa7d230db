"""language(): English or German, on tickets and on three-word chats."""

import pytest

from scoring.texts.language import language


@pytest.mark.parametrize(("text", "expected"), [
    ("kündigen bitte sofort", "de"),
    ("Die App ist sehr langsam", "de"),
    ("Rechnung falsch", "de"),
    ("Wir sind mit dem Support nicht zufrieden und überlegen zu wechseln.", "de"),
    ("cancel my account", "en"),
    ("ok thx", "en"),
    ("The reminders went out twice this morning and patients are calling.", "en"),
    ("", "en"),
])
def test_it_tells_english_from_german(text, expected):
    assert language(text) == expected
