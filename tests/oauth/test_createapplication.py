"""`createapplication --json` prints the new client's credentials once (API.md section 6)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from oauth2_provider.models import get_application_model

pytestmark = pytest.mark.django_db


def _create(*args: str) -> str:
    out = StringIO()
    call_command("createapplication", *args, stdout=out)
    return out.getvalue()


def test_json_of_a_confidential_client_gives_a_secret_that_works_at_the_token_endpoint(client):
    created = json.loads(_create("confidential", "client-credentials", "--name", "Service", "--json"))

    assert set(created) == {"client_id", "client_secret"}
    response = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert response.status_code == 200, response.content
    stored = get_application_model().objects.get(client_id=created["client_id"])
    assert stored.client_secret != created["client_secret"]  # kept hashed


def test_json_of_a_public_client_has_no_secret():
    created = json.loads(
        _create(
            "public",
            "authorization-code",
            "--name",
            "Mobile",
            "--redirect-uris",
            "https://app.example.com/cb",
            "--json",
        )
    )

    assert set(created) == {"client_id"}
    assert get_application_model().objects.filter(client_id=created["client_id"], name="Mobile").exists()


def test_text_output_names_the_client_id_and_the_secret_once():
    output = _create("confidential", "client-credentials", "--name", "Service")

    application = get_application_model().objects.get(name="Service")
    assert f"client_id: {application.client_id}" in output
    assert "client_secret: " in output and "shown once" in output
