"""What a signup client does, with the `altcha` library: solve the captcha, exchange it for a token."""

import json

from altcha import Challenge, Payload, solve_challenge
from rest_framework.test import APIClient

CAPTCHA = "/api/v1/signup/captcha"
SESSION = "/api/v1/signup/session"
FIND_PERSON = "/api/v1/signup/find-person"
CREATE_PERSON = "/api/v1/signup/create-person"


def solve(challenge: dict) -> str:
    """Solve a challenge as received over the wire; return the base64 payload to submit."""
    received = Challenge.from_dict(json.loads(json.dumps(challenge)))
    solution = solve_challenge(received)
    assert solution is not None, "the challenge could not be solved"
    return Payload(received, solution).to_base64()


def solved_captcha(client: APIClient) -> str:
    """Fetch a challenge from the API and solve it."""
    response = client.get(CAPTCHA)
    assert response.status_code == 200, response.content
    return solve(response.json())


def signup_token(client: APIClient) -> str:
    """Solve a captcha and exchange it for an anonymous token, as the web or mobile app would."""
    response = client.post(SESSION, {"captcha": solved_captcha(client)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["token"]
