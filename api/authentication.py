"""Token authentication for the API, in one light query.

DRF's ``TokenAuthentication`` already joins the user, but compiles the ORM
query and builds the whole user row (password hash, names, dates) for a
list that only asks who the caller is and where they work. This reads the
columns the permission boundary needs with SQL written once per process,
still on every request: a deactivated user's token stops at once, so
nothing is cached but the text of the query."""

import functools

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

# What Case.objects.for_user and the role properties read. Any other field
# still loads on first use (one query), so nothing breaks if a view using
# this class grows to need more.
USER_FIELDS = ("id", "role", "city_id", "division_id", "unit_id", "is_active", "can_write")


@functools.cache
def _query() -> str:
    user = get_user_model()._meta
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(f"u.{quote(user.get_field(name.removesuffix('_id')).column)}" for name in USER_FIELDS)
    return (
        f"SELECT {columns} FROM {quote(Token._meta.db_table)} t"
        f" JOIN {quote(user.db_table)} u ON u.{quote(user.pk.column)} = t.{quote(Token._meta.get_field('user').column)}"
        f" WHERE t.{quote(Token._meta.pk.column)} = %s"
    )


def _user(**values):
    """A user as the ORM loads one with the other fields deferred
    (``from_db`` takes the values in the model's field order)."""
    model = get_user_model()
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


class LeanTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` with DRF's semantics and messages."""

    def authenticate_credentials(self, key):
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(_query(), [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        values = dict(zip(USER_FIELDS, row))
        # SQLite hands booleans back as 0/1.
        values["is_active"], values["can_write"] = bool(values["is_active"]), bool(values["can_write"])
        user = _user(**values)
        user_id = values["id"]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token = Token.from_db(DEFAULT_DB_ALIAS, ("key", "user_id"), (key, user_id))
        token.user = user
        return (user, token)
