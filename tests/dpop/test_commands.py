"""--require-dpop on create_api_client and createapplication (API.md §12)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from dpop.selectors import dpop_required
from oauth.models import OAuthApplication

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_api_client_with_require_dpop_requires_it():
    data = json.loads(run("create_api_client", "Shop", "--require-dpop", "--json"))
    assert dpop_required(client_id=data["client_id"])


def test_create_api_client_without_the_flag_does_not():
    data = json.loads(run("create_api_client", "Shop", "--json"))
    assert not dpop_required(client_id=data["client_id"])


def test_createapplication_with_require_dpop_requires_it():
    run("createapplication", "confidential", "client-credentials", "--name", "Backend", "--require-dpop")
    app = OAuthApplication.objects.get(name="Backend")
    assert dpop_required(client_id=app.client_id)


def test_createapplication_without_the_flag_does_not():
    run("createapplication", "confidential", "client-credentials", "--name", "Backend")
    assert not dpop_required(client_id=OAuthApplication.objects.get(name="Backend").client_id)


def test_openapi_declares_the_dpop_scheme(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["securitySchemes"]["dpop"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["dpop"]["scheme"] == "DPoP"
    whoami = schema["paths"]["/api/v1/whoami/"]["get"]["security"]
    # Alternatives (OR); each may also need the app's key (AND): {"apiKey": [], "dpop": []}.
    assert any("dpop" in requirement for requirement in whoami)
    assert any("jwt" in requirement for requirement in whoami)
