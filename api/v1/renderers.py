"""JSON through orjson: lists and the feed render tens of thousands of
cases a second, and the stdlib encoder is the slowest part of that."""

import decimal

import orjson
from rest_framework.renderers import BaseRenderer


def _default(value):
    # Lazy translation strings, Decimals and the like.
    if isinstance(value, decimal.Decimal):
        return str(value)
    return str(value)


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)
