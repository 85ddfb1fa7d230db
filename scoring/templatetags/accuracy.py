"""Formatting of the Score accuracy page's ratios: shares as percentages, lifts and AUCs as numbers, and
an em dash where a figure is undefined (no churners, nothing flagged)."""

from django import template

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """0.123 -> "12.3%"; None -> "—"."""
    return "—" if value is None else f"{100 * value:.{digits}f}%"


@register.filter
def num(value: float | None, digits: int = 2) -> str:
    """A ratio such as a lift or an AUC with `digits` decimals; None -> "—"."""
    return "—" if value is None else f"{value:.{digits}f}"
