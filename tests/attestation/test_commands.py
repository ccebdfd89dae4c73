"""add_client_attester, attest_instance and create_api_client --signup-proof (API.md §13)."""

import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from apiclient.attestation import instance_key_generate, instance_public_jwk
from attestation.models import ClientAttester
from attestation.reference_attester import attester_key_generate, attester_public_pem
from clients.models import ApiClient
from oauth.models import OAuthApplication
from tests.attestation.helpers import Instance
from tests.clients.factories import make_api_client
from tests.oauth.helpers import make_application

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.fixture
def pem_file(tmp_path):
    path = tmp_path / "attester.pub.pem"
    path.write_text(attester_public_pem(attester_key_generate()))
    return path


def test_add_client_attester_with_a_pem_key_for_an_api_client(api_key, pem_file):
    data = json.loads(_run("add_client_attester", api_key.client.client_id, "--public-key", str(pem_file), "--json"))

    attester = ClientAttester.objects.get(pk=data["attester"])
    assert data["client_id"] == api_key.client.client_id
    assert attester.api_client == api_key.client and attester.public_key_pem == pem_file.read_text()


def test_add_client_attester_with_a_jwks_url_for_a_public_application():
    app = make_application()
    _run("add_client_attester", app.client_id, "--jwks-url", "https://attester.example/jwks.json")
    assert ClientAttester.objects.get().application == app


def test_add_client_attester_for_a_confidential_application_fails(pem_file):
    app = make_application(client_type=OAuthApplication.CLIENT_CONFIDENTIAL)
    with pytest.raises(CommandError, match="public"):
        _run("add_client_attester", app.client_id, "--public-key", str(pem_file))
    assert not ClientAttester.objects.exists()


def test_add_client_attester_for_an_unknown_client_fails(pem_file):
    with pytest.raises(CommandError, match="No API client or OAuth2 application"):
        _run("add_client_attester", "no-such-client", "--public-key", str(pem_file))


def _pem(key, private: bool = False) -> str:
    if private:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


BAD_KEYS = {
    "private_key": lambda: _pem(ec.generate_private_key(ec.SECP256R1()), private=True),
    "short_rsa": lambda: _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
    "not_pem": lambda: "hello",
    "empty": lambda: "",
}


@pytest.mark.parametrize("make_text", list(BAD_KEYS.values()), ids=list(BAD_KEYS))
def test_add_client_attester_with_a_bad_key_fails(api_key, tmp_path, make_text):
    path = tmp_path / "key.pem"
    path.write_text(make_text())
    with pytest.raises(CommandError):
        _run("add_client_attester", api_key.client.client_id, "--public-key", str(path))
    assert not ClientAttester.objects.exists()


def test_add_client_attester_with_a_missing_file_fails(api_key, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        _run("add_client_attester", api_key.client.client_id, "--public-key", str(tmp_path / "absent.pem"))


@pytest.mark.parametrize("url", ["ftp://attester.example/jwks", "javascript:alert(1)", "not a url"])
def test_add_client_attester_with_a_bad_url_fails(api_key, url):
    with pytest.raises(CommandError):
        _run("add_client_attester", api_key.client.client_id, "--jwks-url", url)


def test_add_client_attester_needs_exactly_one_key_source(api_key, pem_file):
    with pytest.raises(CommandError):
        _run("add_client_attester", api_key.client.client_id)
    with pytest.raises(CommandError):
        _run(
            "add_client_attester", api_key.client.client_id, "--public-key", str(pem_file), "--jwks-url", "https://a.b/"
        )


def test_create_api_client_with_signup_proof():
    data = json.loads(_run("create_api_client", "Mobile", "--signup-proof", "either", "--json"))
    assert ApiClient.objects.get(client_id=data["client_id"]).signup_proof == "either"


def test_create_api_client_with_an_unknown_signup_proof_fails():
    with pytest.raises(CommandError):
        _run("create_api_client", "Mobile", "--signup-proof", "selfie")
    assert not ApiClient.objects.exists()


def test_attest_instance_signs_an_attestation_the_api_accepts(tmp_path):
    """The development workflow of docs/mobile.md, command by command."""
    app = make_api_client(name="Mobile app")
    key_file = tmp_path / "attester.pem"
    instance_key = instance_key_generate()
    jwk = json.dumps(instance_public_jwk(instance_key))

    attestation = _run("attest_instance", app.client.client_id, "--attester-key", str(key_file), "--instance-jwk", jwk)
    _run("add_client_attester", app.client.client_id, "--public-key", str(tmp_path / "attester.pub.pem"))

    headers = Instance(key=instance_key, attestation=attestation.strip()).headers()
    response = APIClient().get("/api/v1/whoami", **headers)
    assert response.status_code == 200, response.content
    assert response.json()["schemes"] == ["attestation"]


@pytest.mark.parametrize("jwk", ["not json", "[1]"], ids=["not_json", "not_an_object"])
def test_attest_instance_with_a_bad_jwk_fails(tmp_path, jwk):
    with pytest.raises(CommandError, match="instance-jwk"):
        _run("attest_instance", "client", "--attester-key", str(tmp_path / "a.pem"), "--instance-jwk", jwk)


def test_add_client_attester_with_plain_http_to_another_host_fails(api_key):
    with pytest.raises(CommandError, match="https"):
        _run("add_client_attester", api_key.client.client_id, "--jwks-url", "http://attester.example/jwks.json")
