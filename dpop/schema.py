"""The OpenAPI security scheme of DPoP-bound tokens (drf-spectacular), shared by every token scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

NAME = "dpop"


def dpop_security_definition() -> dict:
    """RFC 9449 §7.1: `Authorization: DPoP <token>`, plus the `DPoP` proof header."""
    return {
        "type": "http",
        "scheme": "DPoP",
        "description": "A DPoP-bound token (cnf.jkt; RFC 9449) as `Authorization: DPoP <token>`, with a `DPoP` "
        "header holding a fresh proof for this request (typ dpop+jwt; ES256, EdDSA, RS256 or PS256; htm, htu, "
        "iat, jti and ath). See docs/dpop.md.",
    }


class DPoPAlternative(OpenApiAuthenticationExtension):
    """A token scheme whose tokens may also be DPoP-bound: its own scheme or `dpop` admits the call.

    Only one extension defines the `dpop` component (`defines_dpop`; drf-spectacular warns about
    one name with several owners); the others only name it in their requirements.
    """

    defines_dpop = False

    def get_security_requirement(self, auto_schema) -> list[dict[str, list]]:
        # OR, not AND: a list of requirements (drf-spectacular's convention).
        names = self.name if isinstance(self.name, list) else [self.name]
        return [{name: []} for name in names] + ([] if self.defines_dpop else [{NAME: []}])

    def get_security_definition(self, auto_schema) -> dict | list[dict]:
        if self.defines_dpop:
            return [self.get_token_definition(auto_schema), dpop_security_definition()]
        return self.get_token_definition(auto_schema)

    def get_token_definition(self, auto_schema) -> dict:
        raise NotImplementedError


def security_deduplicate(result: dict, **kwargs) -> dict:
    """POSTPROCESSING_HOOKS: list each operation's `dpop` alternative once, not once per token scheme."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and isinstance(operation.get("security"), list):
                unique = []
                for requirement in operation["security"]:
                    if requirement not in unique:
                        unique.append(requirement)
                operation["security"] = unique
    return result
