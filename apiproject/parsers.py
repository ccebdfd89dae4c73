"""The project's JSON parser: JSON that cannot exhaust the stack, refused with a clear 400."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with deeply nested input refused as 400 instead of a 500.

    json.load recurses once per nesting level: 100 KB of `[` raises RecursionError, which DRF
    (catching ValueError only) would turn into a server error.
    """

    def parse(self, stream, media_type: str | None = None, parser_context: dict | None = None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from exc
