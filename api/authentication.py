"""Token authentication for the hottest reads, in one light query.

DRF's ``TokenAuthentication`` already joins the user, but builds the whole
row (password hash, names, dates) for a list that only asks who the caller
is and where they work. This reads the token and the columns the permission
boundary needs, still on every request: a deactivated user's token stops
at once, so nothing is cached."""

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from django.utils.translation import gettext as _

# What Case.objects.for_user and the user's role properties read. Any other
# field still loads on first use (one query), so nothing breaks if a view
# using this class grows to need more.
USER_COLUMNS = ("user__id", "user__role", "user__city_id", "user__is_active", "user__can_write")


class LeanTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` with DRF's semantics and messages."""

    def authenticate_credentials(self, key):
        token = Token.objects.select_related("user").only("key", "user_id", *USER_COLUMNS).filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
