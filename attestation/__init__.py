"""Attestation-based client authentication (draft-ietf-oauth-attestation-based-client-auth)."""
