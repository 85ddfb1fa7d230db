"""How templates name a person: `{{ account.csm|person:"Unassigned" }}` is safe when there is nobody (an
account without a CSM, a task without an assignee), where `x.csm.get_full_name|default:x.csm.username`
fails on the filter argument."""

from django import template

register = template.Library()


@register.filter
def person(user, nobody: str = "—") -> str:
    """The user's full name, else their user name; `nobody` when there is no user."""
    if not user:
        return nobody
    return user.get_full_name() or user.username


@register.filter
def person_email(user, nobody: str = "—") -> str:
    """The user's e-mail address (their user name when it has none); `nobody` when there is no user."""
    if not user:
        return nobody
    return user.email or user.username
