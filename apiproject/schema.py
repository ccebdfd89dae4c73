"""OpenAPI: the error responses every operation can give, and the shape of header-borne security schemes."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error other than field validation (apiproject.handlers.exception_handler).",
    "properties": {
        "detail": {"type": "string", "description": "Human-readable; may change between releases."},
        "code": {"type": "string", "description": "Machine-readable, such as `client_required` or `throttled`."},
    },
    "required": ["detail", "code"],
}
# DRF's field errors: each field (or `non_field_errors`) names its messages; nested serializers nest.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Field validation: each field names its messages, in DRF's format.",
    "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}]},
    "minProperties": 1,
}

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

_ERROR = {"$ref": "#/components/schemas/Error"}
_BAD_REQUEST = {"oneOf": [_ERROR, {"$ref": "#/components/schemas/ValidationError"}]}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "required": True, "schema": {"type": "integer"}}
}
# RFC 9110 §11.6.1: every 401 names the schemes that would be accepted.
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "One challenge per accepted scheme.",
        "required": True,
        "schema": {"type": "string"},
    }
}

# status: (description, body schema, headers, which operations can give it)
_STANDARD = {
    "400": ("Malformed request, or field validation failed.", _BAD_REQUEST, {}, "all"),
    "401": ("Missing or invalid credentials: no app, or a wrong or expired one.", _ERROR, _WWW_AUTHENTICATE, "auth"),
    "403": ("The credentials are valid but may not do this.", _ERROR, {}, "auth"),
    # DRF answers 404 to an unknown `?format=` too, so even operations without ids can give it.
    "404": ("Not found.", _ERROR, {}, "all"),
    "413": ("The request body is larger than API_MAX_BODY_BYTES.", _ERROR, {}, "body"),
    "415": ("The request body's media type is not accepted.", _ERROR, {}, "body"),
    "429": ("Too many requests: a rate limit or a failure budget is spent.", _ERROR, _RETRY_AFTER, "auth"),
}


def _gives(operation: dict[str, Any], applies_to: str) -> bool:
    if applies_to == "auth":
        # Operations open to anyone carry no security, or only the empty requirement `{}`.
        return any(requirement for requirement in operation.get("security", []))
    if applies_to == "body":
        return "requestBody" in operation
    return True


def _error_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def postprocess_error_responses(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Document the standard error responses of every operation, with the error body and headers.

    Responses a view already declares keep their description; one declared without a body gets
    the error body. Any other 4xx or 5xx a view declares without a body gets the error body too.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status_code, (description, schema, headers, applies_to) in _STANDARD.items():
                if not _gives(operation, applies_to):
                    continue
                response = responses.setdefault(status_code, {"description": description})
                response.setdefault("content", _error_content(schema))
                if headers:
                    response["headers"] = {**headers, **response.get("headers", {})}
            for status_code, response in responses.items():
                if status_code[0] in "45" and "content" not in response:
                    response["content"] = _error_content(_ERROR)
    return result


class HeaderScheme(OpenApiAuthenticationExtension):
    """A credential carried in one request header, described as OpenAPI's `apiKey` in `header`.

    Subclasses name the authentication class (`target_class`), the scheme (`name`), the
    `header` and a `description`. OpenAPI 3.0 has no type for RFC 9421 signatures, mutual TLS
    or client attestations, so each is the header the app reads, and its description says the rest.
    """

    header = ""
    description = ""

    def get_security_definition(self, auto_schema) -> dict:
        return {"type": "apiKey", "in": "header", "name": self.header, "description": self.description}
