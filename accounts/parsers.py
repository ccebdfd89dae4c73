"""Request body parsers: JSON that cannot exhaust the stack, and JWE-encrypted JSON from signed clients."""

import io

from rest_framework import exceptions, parsers
from rest_framework.parsers import BaseParser

from accounts import jose
from accounts.authentication.signature import signed_payload_key
from accounts.exceptions import SignatureRequired


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


class PayloadUndecryptable(exceptions.ParseError):
    default_detail = "The encrypted body could not be decrypted."
    default_code = "payload_undecryptable"


class JoseParser(BaseParser):
    """Parses a JWE compact serialization of a JSON body, encrypted to the key that signed the request.

    Only a verified signature says which key to decrypt with, so unsigned requests are refused.
    The signature's Content-Digest covers the JWE itself (encrypt, then sign).
    """

    media_type = jose.MEDIA_TYPE

    def parse(self, stream, media_type: str | None = None, parser_context: dict | None = None):
        parser_context = parser_context or {}
        target = signed_payload_key(parser_context["request"])
        if target is None:
            raise SignatureRequired("An application/jose body is accepted only on a signed request.")
        key_id, key = target
        try:
            plaintext = jose.decrypt_payload(stream.read().decode("ascii"), key=key, key_id=key_id)
        except (UnicodeDecodeError, jose.PayloadError) as exc:
            raise PayloadUndecryptable(str(exc) if isinstance(exc, jose.PayloadError) else None) from exc
        return JSONParser().parse(io.BytesIO(plaintext), "application/json", parser_context)
