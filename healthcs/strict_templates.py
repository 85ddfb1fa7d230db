"""Strict template variables for the tests: a variable in one of HealthCS's own templates that does not
resolve (a typo, or an attribute reached through an empty relation such as `account.csm.email` for an
account without a CSM) raises instead of printing nothing.

Django prints `string_if_invalid` for such a variable, and filter arguments that do not resolve already
raise (a 500 in production). Its own templates (the admin's) rely on the silent empty string, so the
check applies only to templates under this project's folder."""

import sys
from pathlib import Path

from django.template.base import Node

PROJECT_DIR = Path(__file__).resolve().parent.parent


class InvalidTemplateVariable(Exception):
    """A template variable of this project did not resolve."""


def _rendering_node() -> Node | None:
    """The innermost template node being rendered (the one whose variable did not resolve)."""
    frame = sys._getframe(2)
    while frame is not None:
        node = frame.f_locals.get("self")
        if isinstance(node, Node):
            return node
        frame = frame.f_back
    return None


def _is_ours(node: Node) -> bool:
    name = str(getattr(getattr(node, "origin", None), "name", "") or "")
    return name.startswith(str(PROJECT_DIR)) and "site-packages" not in name


class RaiseOnInvalid(str):
    """`string_if_invalid` that raises for this project's templates. Django formats it with the variable
    (`string_if_invalid % var`) when it contains "%s", or renders it as is for a failing lookup it
    passes silently (a missing related object): both raise here."""

    def __new__(cls):
        return super().__new__(cls, "%s")

    def _check(self, variable) -> str:
        node = _rendering_node()
        if node is not None and _is_ours(node):
            raise InvalidTemplateVariable(f"{variable!s} did not resolve in {node.origin.name}, "
                                          f"line {node.token.lineno if node.token else '?'}")
        return ""

    def __mod__(self, variable) -> str:
        return self._check(variable)

    def __str__(self) -> str:
        return self._check("a variable")
