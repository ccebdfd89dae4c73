"""Client attestation: GET /api/v1/whoami with an attestation and a fresh PoP (two ES256 checks, jti once)."""

import requests

from apiclient.attestation import ClientAttestationAuth, instance_key_generate, instance_public_jwk
from attestation import reference_attester
from attestation.services import client_attester_add
from benchmarks.harness import BenchRequest

URL = "http://testserver/api/v1/whoami"


def build(ctx):
    client_id = ctx.api_key.client_id
    attester_key = reference_attester.attester_key_generate()
    client_attester_add(client_id=client_id, public_key_pem=reference_attester.attester_public_pem(attester_key))
    instance_key = instance_key_generate()
    attestation = reference_attester.attestation_issue(
        key=attester_key, client_id=client_id, instance_jwk=instance_public_jwk(instance_key)
    )
    auth = ClientAttestationAuth(attestation, instance_key, audience="http://testserver/o")

    def make() -> BenchRequest:
        # A fresh PoP per request, built outside the clock: only the server's checks are timed.
        request = auth(requests.Request("GET", URL).prepare())
        return BenchRequest("GET", "/api/v1/whoami", headers=dict(request.headers))

    return make
