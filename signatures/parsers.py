"""Request bodies of signed clients: JWE-encrypted JSON (Content-Type: application/jose)."""

import io

from rest_framework.parsers import BaseParser

from apiproject.parsers import JSONParser
from clients.exceptions import SignatureRequired
from signatures import jwe as jose
from signatures.authentication import signed_payload_key
from signatures.exceptions import PayloadUndecryptable


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
