"""What a stored text or number may hold: the one rule for every way in
(the API, the pages, the bulk upsert, the imports, the admin).

- Text: no control characters except tab, carriage return and line feed
  (PostgreSQL refuses NUL outright; the others are never typed by a person
  and break exports and e-mails), no lone UTF-16 surrogates (not storable
  as UTF-8), and at most the field's documented length: a CharField's
  ``max_length``, and for free text the limits below, set on the model.
- Integers: the range of their column (PostgreSQL's integer, smallint,
  bigint), the same on every database so that SQLite in development
  refuses what PostgreSQL would.

The model fields carry these as validators (``full_clean``, the admin,
ModelForms); the services call ``clean_text`` and ``clean_integer``,
which word the error for the field they are told.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Documented maxima of free text, in characters (README, "Limits").
LONG_TEXT = 20_000  # description, progress, measures, target, investigation, handling
NOTE_TEXT = 10_000  # the note of an event: a reason, a comment on evidence

# C0 controls but tab (09), line feed (0A) and carriage return (0D); DEL and
# the C1 controls; UTF-16 surrogates, which only a malformed input carries.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
FORBIDDEN = re.compile(f"[{CONTROL_CHARACTERS}\\ud800-\\udfff]")
# The rule as a pattern of the allowed text, for the API schema (where a
# surrogate cannot arrive: the JSON parser refuses it).
PLAIN_TEXT_PATTERN = f"^[^{CONTROL_CHARACTERS}]*$"
CONTROL_MESSAGE = _(
    "Remove the control character (%(character)s) at position %(position)d; "
    "text may hold tabs and line breaks, but no other control characters."
)


def forbidden_character(value: str) -> ValidationError | None:
    match = FORBIDDEN.search(value)
    if match is None:
        return None
    return ValidationError(
        CONTROL_MESSAGE,
        code="control_character",
        params={"character": f"U+{ord(match.group()):04X}", "position": match.start() + 1},
    )


@deconstructible
class PlainText:
    """Model and form validator: ``forbidden_character`` as a validator."""

    def __call__(self, value):
        if isinstance(value, str):
            error = forbidden_character(value)
            if error is not None:
                raise error

    def __eq__(self, other):
        return isinstance(other, PlainText)


plain_text = PlainText()


def bounded_text(limit: int) -> dict:
    """A TextField's options for free text of at most ``limit`` characters,
    enforced by full_clean (a TextField has no length check of its own).
    Validators only, no max_length: that would make SQLite rebuild the
    table, and with it drop the feed and tally triggers."""
    return {"validators": [plain_text, MaxLengthValidator(limit)]}


def text_limit(field) -> int | None:
    """A model field's documented maximum length: a CharField's
    max_length, a bounded TextField's validator."""
    if getattr(field, "max_length", None):
        return field.max_length
    limits = [v.limit_value for v in getattr(field, "validators", ()) if isinstance(v, MaxLengthValidator)]
    return min(limits) if limits else None


def clean_text(value: str, *, limit: int | None) -> str:
    """``value`` stripped, or ValidationError saying what is wrong."""
    value = value.strip()
    error = forbidden_character(value)
    if error is not None:
        raise error
    if limit is not None and len(value) > limit:
        raise ValidationError(
            _("At most %(limit)s characters (this text has %(length)s)."),
            code="max_length",
            params={"limit": f"{limit:,}", "length": f"{len(value):,}"},
        )
    return value


def integer_range(model, field: str) -> tuple[int, int]:
    """The values ``field``'s column holds on PostgreSQL (positive types
    from 0)."""
    from django.db.backends.base.operations import BaseDatabaseOperations  # after the ORM has loaded

    return BaseDatabaseOperations.integer_field_ranges[model._meta.get_field(field).get_internal_type()]


def clean_integer(value: int, *, model, field: str) -> int:
    low, high = integer_range(model, field)
    if not low <= value <= high:
        raise ValidationError(
            _("Enter a whole number from %(low)s to %(high)s."),
            code="out_of_range",
            params={"low": f"{low:,}", "high": f"{high:,}"},
        )
    return value


def message(error: ValidationError) -> str:
    """The error's first message, its parameters filled in."""
    return next(iter(error))


def checked_text(value, *, field: str, limit: int | None) -> str:
    """Text from any way in, stripped and clean, within ``limit``;
    InvalidInput naming ``field`` otherwise (None is empty)."""
    from .errors import InvalidInput

    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(field, _("Enter text."))
    try:
        return clean_text(value, limit=limit)
    except ValidationError as error:
        raise InvalidInput(field, message(error), code=error.code) from None


def clean_note(value, *, field: str = "note") -> str:
    """An event's note (a reason, a comment on evidence)."""
    return checked_text(value, field=field, limit=NOTE_TEXT)


def is_list_of_text(value) -> bool:
    """A JSON list of strings (the evidence standards ticked, by code)."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
