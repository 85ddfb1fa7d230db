"""Every text is cleaned the same way before any part of the reader sees it, so evidence offsets agree."""

import re

MAX_TEXT = 20_000  # characters read; longer texts are cut (and the cut noted)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00a0": " "})
_FANCY = re.compile("[\u2019\u2018\u201c\u201d\u201e\u00a0]")  # str.translate is slow: only when one is there


def sanitise(text: object) -> tuple[str, str]:
    """The text without NUL and control characters, with plain quotes and spaces, cut to MAX_TEXT; and a note
    when it was cut."""
    text = _CONTROL.sub(" ", str(text or ""))
    if _FANCY.search(text):
        text = text.translate(_QUOTES)
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT], f"text cut to {MAX_TEXT:,} characters"
    return text, ""
