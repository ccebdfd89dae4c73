"""Response renderers: JSON encrypted to the key that signed the request."""

from rest_framework.renderers import BaseRenderer, JSONRenderer

from signatures import jwe as jose
from signatures.authentication import signed_payload_key


class JoseRenderer(BaseRenderer):
    """Renders JSON as a JWE compact serialization for `Accept: application/jose` on signed requests.

    A request that is not signed (or whose signature failed: its 401) names no key to encrypt
    to, so it gets plain JSON, labelled application/json. Content negotiation runs before
    authentication in DRF, so this renderer, not the negotiation, makes that choice.
    """

    media_type = jose.MEDIA_TYPE
    format = "jose"
    charset = None

    def render(self, data, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        renderer_context = renderer_context or {}
        body = JSONRenderer().render(data, "application/json", renderer_context)
        request, response = renderer_context.get("request"), renderer_context.get("response")
        target = signed_payload_key(request) if request is not None else None
        if target is None or not body:
            if response is not None and body:
                response["Content-Type"] = "application/json"
            return body
        key_id, key = target
        return jose.encrypt_payload(body, key=key, key_id=key_id).encode("ascii")
