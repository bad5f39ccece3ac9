from django import template
from django.utils.html import format_html_join
from django.utils.http import urlencode

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None or ""
    removes one). Changing anything but the page goes back to page one."""
    params = context["request"].GET.copy()
    if "page" not in changes:
        params.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"


@register.simple_tag
def select_options(choices, current) -> str:
    """``<option>`` elements for ``choices`` (value, label), the one equal
    to ``current`` selected. One call instead of a template loop: the
    supervisor's city select alone has hundreds of options."""
    current = "" if current is None else str(current)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if str(value) == current else "", label) for value, label in choices),
    )


@register.simple_tag(takes_context=True)
def sort_query(context, field: str) -> str:
    """Link of a sortable column header: ascending first, then descending."""
    current = context.get("ordering") or ""
    return query_with(context, ordering=f"-{field}" if current == field else field)


# The deadline marks of one case on the list and case pages; "today" comes
# from the view so a page reads one date throughout.
@register.filter
def days_overdue_on(case, today) -> int:
    return case.days_overdue_on(today)


@register.filter
def is_due_soon_on(case, today) -> bool:
    return case.is_due_soon_on(today)


@register.simple_tag
def saved_meanwhile(field):
    """The value saved by someone else while this person filled in the
    field (set on a form drawn again after a version conflict), or None."""
    return getattr(field.form, "saved_meanwhile", {}).get(field.name)


@register.filter
def reviews_at(user):
    """The level at which ``user`` reviews (``workflow.review_level``), or
    None: whether the header links a review queue."""
    from cases.workflow import review_level

    return review_level(user) if user.is_authenticated else None
