"""JSON bodies parsed by orjson: strict UTF-8, so a lone surrogate
(``"\\ud800"``), which no database can store as text, is a malformed body
(400) instead of reaching a query."""

import orjson
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return orjson.loads(stream.read() if stream is not None else b"")
        except orjson.JSONDecodeError as error:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": error}) from None
