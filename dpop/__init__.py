"""Sender-constrained tokens with DPoP (RFC 9449): proofs, binding at issue and at use."""
