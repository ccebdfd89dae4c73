"""User-Agent rules: RE2 patterns, refused at registration when RE2 cannot compile them."""

import pytest
import requests
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from clients.models import ApiClient
from clients.user_agents import user_agent_pattern_compile, user_agent_patterns_compile
from tests.accounts.factories import UserFactory
from tests.clients.factories import make_api_client
from tests.helpers import gunicorn_server

WHOAMI = "/api/v1/whoami"
# Python's `re` tries every split of the digits: 2**n steps, about a minute for 30 digits.
CATASTROPHIC = r"MyApp/(\d+\.?)+"
# RE2 has no backreferences and no lookaround: each of these compiles with `re`, not with RE2.
NOT_RE2 = [r"(a)\1", r"MyApp/(?=\d)", r"(?<!x)MyApp", r"(?P<v>\d)(?P=v)"]
NOT_RE2_IDS = ["backreference", "lookahead", "lookbehind", "named-backreference"]


@pytest.mark.parametrize("pattern", NOT_RE2, ids=NOT_RE2_IDS)
def test_pattern_re2_cannot_compile_raises_with_reason(pattern):
    with pytest.raises(ValueError, match="is not an RE2 regular expression"):
        user_agent_pattern_compile(pattern)


def test_catastrophic_pattern_rejects_long_agent():
    # Under `re` this call alone takes about a minute; RE2 answers in one pass over the text.
    (compiled,) = user_agent_patterns_compile([CATASTROPHIC])
    assert compiled.fullmatch("MyApp/" + "1" * 30 + "x") is None
    assert compiled.fullmatch("MyApp/1.2.3") is not None


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", NOT_RE2, ids=NOT_RE2_IDS)
def test_create_api_client_with_non_re2_pattern_fails(pattern):
    with pytest.raises(CommandError, match="is not an RE2 regular expression"):
        call_command("create_api_client", "Shop", "--user-agent", pattern, "--json")
    assert not ApiClient.objects.exists()


@pytest.mark.django_db
def test_model_validation_refuses_non_re2_pattern():
    client = ApiClient(name="Shop", allowed_user_agents=[r"Shop/\d+", r"(a)\1"])
    with pytest.raises(ValidationError) as caught:
        client.full_clean()
    assert "is not an RE2 regular expression" in str(caught.value.message_dict["allowed_user_agents"])


@pytest.mark.django_db
def test_admin_form_refuses_non_re2_pattern(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:clients_apiclient_add"),
        {
            "name": "Shop",
            "is_active": "on",
            "allowed_user_agents": "Shop/\\d+\nMyApp/(?=\\d)",  # one rule per line
            "throttle_rate": "",
            "keys-TOTAL_FORMS": "0",
            "keys-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "is not an RE2 regular expression" in response.content.decode()
    assert not ApiClient.objects.exists()


@pytest.mark.django_db
def test_stored_non_re2_pattern_admits_no_agent(api_client, caplog):
    # Stored before registration checked RE2 (an update bypasses validation): fail closed.
    creds = make_api_client(allowed_user_agents=[r"Shop/\d+"])
    ApiClient.objects.filter(pk=creds.client.pk).update(allowed_user_agents=[r"(Shop)/\d+\1?"])
    response = api_client.get(WHOAMI, HTTP_X_API_KEY=creds.key_id, HTTP_USER_AGENT="Shop/1")
    assert response.status_code == 403
    assert response.json()["code"] == "user_agent_rejected"
    assert "user-agent rule ignored" in caplog.text


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_catastrophic_pattern_does_not_pin_a_worker():
    # Against gunicorn: with `re`, one request with 40 digits keeps a worker busy far past its
    # 30 s timeout (it is killed, the client sees no answer). With RE2 both answers come at once.
    creds = make_api_client(allowed_user_agents=[CATASTROPHIC])
    with gunicorn_server(workers=1) as url:
        evil = requests.get(
            url + WHOAMI, headers={"X-Api-Key": creds.key_id, "User-Agent": "MyApp/" + "1" * 40 + "x"}, timeout=20
        )
        good = requests.get(url + WHOAMI, headers={"X-Api-Key": creds.key_id, "User-Agent": "MyApp/2.1"}, timeout=20)
    assert (evil.status_code, evil.json()["code"]) == (403, "user_agent_rejected")
    assert good.status_code == 200
