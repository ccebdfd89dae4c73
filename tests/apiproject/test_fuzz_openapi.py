"""Schema-driven fuzzing: every documented operation, generated inputs, no 5xx, answers as documented.

Schemathesis reads the OpenAPI document drf-spectacular builds for this project and generates
requests for each operation, valid ones and invalid ones, which go through the whole WSGI
application in-process (every middleware, every authentication class). A route added later is
fuzzed from the moment it appears in the schema.
"""

import copy
import json

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.services.login import login_session_create
from apiproject.wsgi import application
from tests.signup.factories import make_anonymous_token

# The document /api/schema/ serves, built in-process so collection needs no server and no database.
OPENAPI = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def _load(*, with_security_parameters: bool) -> schemathesis.BaseSchema:
    config = {"generation": {"deterministic": True, "with-security-parameters": with_security_parameters}}
    return schemathesis.openapi.from_dict(copy.deepcopy(OPENAPI), config=schemathesis.Config.from_dict(config))


# Credentials come from the fixtures: generated Signature or Cookie headers would shadow them.
authenticated_schema = _load(with_security_parameters=False)
# Generated values in every security header: each scheme's parser meets garbage.
anonymous_schema = _load(with_security_parameters=True)

# What a WSGI server puts in every environ; werkzeug's test client leaves the peer address out.
SERVER_ENVIRON = {"REMOTE_ADDR": "127.0.0.1"}

# JOSE bodies need a signed request around them; they are tested in tests/accounts, not generated here.
pytestmark = pytest.mark.filterwarnings("ignore:Skipped test cases with unsupported payload media types")

# No 5xx; only documented statuses and media types; bodies and headers (WWW-Authenticate on 401,
# Retry-After on 429) as the schema describes them.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    # `db` and the credential fixtures are set up once per operation, not once per example.
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.filter_too_much,
    ],
)


@pytest.fixture
def wsgi_connections_kept():
    """Keep the test's database connection open across requests made straight to the WSGI app.

    Django's handler closes "old" connections at the start and end of every request; inside the
    test's transaction that would drop it. Django's own test client disconnects the same receiver.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def budgets_lifted(settings):
    """Per-IP and per-username budgets out of the way, so generated inputs reach the code behind them.

    One client address sends every case here; the limits themselves are tested where they are defined.
    """
    settings.LOGIN_FAILURE_LIMIT_PER_USERNAME = "100000/15m"
    settings.LOGIN_FAILURE_LIMIT_PER_IP = "100000/15m"
    settings.SIGNUP_SESSION_RATE_PER_IP = "100000/hour"
    settings.SIGNUP_FIND_PERSON_RATE_PER_IP = "100000/hour"


@pytest.fixture
def fuzz_user(staff_user):
    """A staff user, so the staff-only usage report is fuzzed past its permission check too."""
    return staff_user


def _needs_anonymous_token(operation) -> bool:
    # The signup steps after the captcha take an anonymous token in place of a user's credential.
    names = {name for requirement in operation.definition.raw.get("security", []) for name in requirement}
    return "anonymousToken" in names and "sessionToken" not in names


def _credentials(operation, *, api_key, user) -> dict[str, str]:
    client_id = api_key.client.client_id
    if _needs_anonymous_token(operation):
        credential = f"Bearer {make_anonymous_token(client_id)}"
    else:
        credential = f"Token {login_session_create(user=user, client_id=client_id)[1]}"
    return {"X-Api-Key": api_key.key_id, "Authorization": credential}


def test_fuzz_credentials_reach_the_views(db, wsgi_connections_kept, api_key, fuzz_user):
    # Guards the fuzzing below: were these credentials refused, it would only ever meet 401.
    operation = authenticated_schema["/api/v1/whoami/"]["GET"]
    response = operation.Case().call(
        app=application, headers=_credentials(operation, api_key=api_key, user=fuzz_user), environ_base=SERVER_ENVIRON
    )
    assert response.status_code == 200
    assert response.json() == {
        "user": fuzz_user.username,
        "client": api_key.client.client_id,
        "schemes": ["key", "token"],
    }


@authenticated_schema.parametrize()
@FUZZ_SETTINGS
def test_operation_with_app_key_and_user_credential(
    case, db, wsgi_connections_kept, budgets_lifted, api_key, fuzz_user
):
    # A fresh credential per case: logout, logout-all, session revocation and create-person
    # spend theirs, and must not starve the cases after them.
    headers = _credentials(case.operation, api_key=api_key, user=fuzz_user)
    response = case.call(app=application, headers=headers, environ_base=SERVER_ENVIRON)
    case.validate_response(response, checks=CHECKS, headers=headers)


@anonymous_schema.parametrize()
@FUZZ_SETTINGS
def test_operation_with_generated_credentials(case, db, wsgi_connections_kept):
    response = case.call(app=application, environ_base=SERVER_ENVIRON)
    case.validate_response(response, checks=CHECKS)
