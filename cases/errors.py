"""Errors the services raise. Each says which rule refused and, for bad
input, which field; the API and pages map them to responses."""

from django.utils.translation import gettext_lazy as _


class CaseError(Exception):
    """Base class. ``code`` is a stable machine name for the rule."""

    code = "case_error"
    http_status = 400

    def __init__(self, message, *, code: str | None = None, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field

    def as_dict(self) -> dict:
        data = {"code": self.code, "detail": str(self.message)}
        if self.field:
            data["field"] = self.field
        return data


class InvalidInput(CaseError):
    """One or more fields are missing or hold values the domain does not
    know. ``errors`` maps each field to its messages."""

    code = "invalid"
    http_status = 400

    def __init__(self, field: str, message, *, code: str = "invalid", errors: dict | None = None):
        super().__init__(message, code=code, field=field)
        self.errors = errors or {field: [str(message)]}

    @classmethod
    def from_errors(cls, errors: dict) -> "InvalidInput":
        field, messages = next(iter(errors.items()))
        return cls(field, messages[0], errors={k: [str(m) for m in v] for k, v in errors.items()})

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": str(self.message), "field": self.field, "errors": self.errors}


class TransitionNotAllowed(CaseError):
    """The workflow table has no such move from the current status."""

    code = "transition_not_allowed"
    http_status = 409


class RoleNotAllowed(CaseError):
    """The actor's role may not make this move (or may not write at all)."""

    code = "role_not_allowed"
    http_status = 403


class CaseNotVisible(CaseError):
    """The case is outside the actor's city. Shown as "not found" so that
    another city's case is never revealed to exist."""

    code = "not_found"
    http_status = 404

    def __init__(self):
        super().__init__(_("No such case."))


class ConcurrentChange(CaseError):
    """Another writer changed the case first (compare-and-swap lost), or the
    client's version is stale."""

    code = "version_conflict"
    http_status = 409

    def __init__(self, current_version: int | None = None, message=None):
        super().__init__(message or _("The case was changed by someone else meanwhile; reload it and try again."))
        self.current_version = current_version


def page_refusal(error: CaseError) -> Exception | None:
    """A service's refusal as a page's: PermissionDenied (403) or Http404;
    None for bad input, which the page shows with its form."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    if error.http_status == 403:
        return PermissionDenied(error.message)
    if error.http_status == 404:
        return Http404(error.message)
    return None
