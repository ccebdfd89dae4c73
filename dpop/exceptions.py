"""DPoP failures, each with its machine code and its RFC 9449 §7.1 challenge."""

from rest_framework import exceptions

from apiproject.exceptions import ServiceUnavailable
from dpop.proofs import ALGORITHMS

# RFC 9449 §7.1: the challenge a resource server sends, naming the algorithms it accepts.
CHALLENGE = f'DPoP algs="{" ".join(ALGORITHMS)}"'


def challenge(error: str, description: str = "") -> str:
    """Return a DPoP challenge with an RFC 6750 §3 `error` (and description) before `algs`."""
    described = f', error_description="{description}"' if description else ""
    return f'DPoP error="{error}"{described}, {CHALLENGE.removeprefix("DPoP ")}'


class InvalidDPoPProof(exceptions.AuthenticationFailed):
    """A missing, malformed, stale, replayed or mismatched proof (RFC 9449 §7.1)."""

    default_detail = "Invalid DPoP proof."
    default_code = "invalid_dpop_proof"
    plain_challenge = CHALLENGE

    @property
    def challenge(self) -> str:
        # The description is ours (proofs.ProofInvalid's fixed texts), never client input.
        return challenge("invalid_dpop_proof", str(self.detail))


class DPoPBoundToken(exceptions.AuthenticationFailed):
    """A bound token sent as Bearer, or an unbound token sent as DPoP (RFC 9449 §7.1, §7.2)."""

    default_detail = "Invalid or expired token."
    default_code = "invalid_token"
    plain_challenge = CHALLENGE

    @property
    def challenge(self) -> str:
        return challenge("invalid_token")


class ReplayStoreUnavailable(ServiceUnavailable):
    default_detail = "The DPoP replay check is unavailable; try again later."
    default_code = "dpop_replay_store_unavailable"
