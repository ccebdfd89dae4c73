"""create_api_client --client-cert/--require-mtls, add_client_certificate, issue_client_certificate."""

import json
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clients.models import ApiClient
from tests.clients.factories import make_api_client
from tests.transport.helpers import client_cert, expired_cert, new_ca
from transport.crypto import certificate_load, certificate_signed_by, certificate_thumbprint
from transport.models import ClientCertificate, MutualTlsPolicy

pytestmark = pytest.mark.django_db


def _run(*args) -> dict:
    out = StringIO()
    call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def _pem_file(tmp_path, cert, name="app.pem"):
    path = tmp_path / name
    path.write_bytes(cert.pem)
    return str(path)


def test_create_api_client_binds_the_certificate_and_requires_mtls(client_ca, tmp_path):
    cert = client_cert(client_ca)
    result = _run("create_api_client", "Mobile", "--client-cert", _pem_file(tmp_path, cert), "--require-mtls")
    assert set(result) == {"client_id", "key_id", "secret"}
    row = ClientCertificate.objects.get(thumbprint=cert.thumbprint)
    assert row.client.client_id == result["client_id"]
    assert MutualTlsPolicy.objects.get(client=row.client).require_mtls


def test_create_api_client_with_a_foreign_certificate_fails_and_creates_nothing(client_ca, tmp_path):
    foreign = client_cert(new_ca("foreign"))
    with pytest.raises(CommandError, match="not issued by the client CA"):
        call_command("create_api_client", "Mobile", "--client-cert", _pem_file(tmp_path, foreign))
    assert not ApiClient.objects.exists()


def test_require_mtls_without_a_certificate_is_refused(client_ca):
    with pytest.raises(CommandError, match="needs --client-cert"):
        call_command("create_api_client", "Mobile", "--require-mtls")


def test_add_client_certificate_prints_the_thumbprint(client_ca, tmp_path):
    creds, cert = make_api_client(), client_cert(client_ca)
    result = _run("add_client_certificate", creds.client.client_id, _pem_file(tmp_path, cert))
    assert result == {"client_id": creds.client.client_id, "thumbprint": cert.thumbprint}


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not a certificate", "no PEM or DER"), (None, "Cannot read")],
    ids=["garbage", "missing-file"],
)
def test_add_client_certificate_bad_file_is_a_clear_error(client_ca, tmp_path, content, message):
    path = tmp_path / "bad.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("add_client_certificate", make_api_client().client.client_id, str(path))


def test_add_client_certificate_refuses_expired_unknown_app_and_duplicates(client_ca, tmp_path):
    creds = make_api_client()
    with pytest.raises(CommandError, match="expired"):
        call_command("add_client_certificate", creds.client.client_id, _pem_file(tmp_path, expired_cert(client_ca)))
    cert_path = _pem_file(tmp_path, client_cert(client_ca), "ok.pem")
    with pytest.raises(CommandError, match="No API client"):
        call_command("add_client_certificate", "nope", cert_path)
    call_command("add_client_certificate", creds.client.client_id, cert_path, stdout=StringIO())
    with pytest.raises(CommandError, match="already bound"):
        call_command("add_client_certificate", make_api_client(name="b").client.client_id, cert_path)


def test_issue_client_certificate_writes_a_certificate_of_the_client_ca(client_ca, tmp_path):
    result = _run("issue_client_certificate", "myapp", "--out-dir", str(tmp_path / "out"))
    certificate = certificate_load((tmp_path / "out" / "myapp.pem").read_bytes())
    assert certificate_signed_by(certificate, client_ca[1])
    assert certificate_thumbprint(certificate) == result["thumbprint"]
    assert stat.S_IMODE((tmp_path / "out" / "myapp-key.pem").stat().st_mode) == 0o600


def test_issue_client_certificate_without_the_ca_names_the_missing_file(settings, tmp_path):
    settings.TRANSPORT_CLIENT_CA_FILE = str(tmp_path / "none.pem")
    with pytest.raises(CommandError, match="client CA is missing"):
        call_command("issue_client_certificate", "myapp", "--out-dir", str(tmp_path))
