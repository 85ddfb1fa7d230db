"""Money formatting for templates."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    """$12,345 (no cents), or an em dash when there is no value."""
    try:
        return f"${Decimal(value):,.0f}"
    except (InvalidOperation, TypeError, ValueError):
        return "—"
