"""Regular-expression building blocks shared by the text reader's modules."""

import re


def alternation(words: list[str] | tuple[str, ...] | set[str]) -> str:
    """A regex alternation of literal words as a trie ("cancel|cancellation|care" -> "ca(?:ncel(?:lation)?|re)"),
    which Python's engine tries far faster than a flat list: at each position only one branch per letter."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _pattern(trie)


def _pattern(node: dict) -> str:
    ending = "" in node
    branches = [re.escape(char) + _pattern(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ending:
        return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else body + "?"
    return body


_INSIDE_A_WORD = re.compile(r"[\w']+\((?:\?:\()?\?<=")


def by_first_letter(branches: list[str] | tuple[str, ...]) -> str:
    """An alternation of regex branches grouped by their first letter ("would x|wish y|feature z" ->
    "w(?:ould x|ish y)|f(?:eature z)"), so that every top-level branch starts with a literal and the engine
    skips the positions no branch can start at (a pre-test by first letter). A branch starts a word, unless its
    opening letters are followed by a lookbehind that says what precedes them: "äre(?<=\\bwäre)" is the end of
    "wäre", which lets the common letter "w" start no branch."""
    words: dict[str, list[str]] = {}
    inside: dict[str, list[str]] = {}
    for branch in branches:
        first, rest = branch[0], branch[1:]
        if not (first.isalpha() or first == "'") or rest[:1] in ("?", "*", "+", "{"):
            raise ValueError(f"a branch must start with a literal letter: {branch!r}")
        (inside if _INSIDE_A_WORD.match(branch) else words).setdefault(first, []).append(rest)
    groups = []
    for first in {**words, **inside}:
        parts = [r"(?<!\w.)(?:" + "|".join(words[first]) + ")"] if first in words else []
        parts += inside.get(first, [])
        groups.append(re.escape(first) + "(?:" + "|".join(parts) + ")")
    return "|".join(groups)


def lower_same_length(text: str) -> str:
    """The text in lower case with the same offsets (a letter whose lower case is longer stays as it is)."""
    lower = text.lower()
    if len(lower) == len(text):
        return lower
    return "".join(char if len(char.lower()) != 1 else char.lower() for char in text)
