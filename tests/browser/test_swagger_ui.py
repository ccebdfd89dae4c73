"""Swagger UI in chromium: served from this server alone, calling the API with a key and with OAuth2."""

import io
import json

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By

from tests.browser.helpers import Browser
from tests.clients.factories import make_api_client

pytestmark = pytest.mark.browser

WHOAMI = "#operations-Apps-api_v1_whoami_retrieve"


def _open_swagger_ui(browser: Browser) -> None:
    browser.get("/api/docs/")
    browser.find_text("apiproject", ".swagger-ui .info .title")
    browser.find(WHOAMI)


def _auth_container(browser: Browser, text: str):
    return browser.find_text(text, ".dialog-ux .auth-container")


def _call_whoami(browser: Browser) -> dict:
    """Expand whoami, press Try it out and Execute; return the JSON body Swagger UI shows."""
    browser.click(f"{WHOAMI} .opblock-summary")
    browser.click(f"{WHOAMI} button.try-out__btn")
    browser.click(f"{WHOAMI} button.execute")
    status = browser.find(f"{WHOAMI} .live-responses-table .response .response-col_status")
    body = browser.find(f"{WHOAMI} .live-responses-table .response-col_description pre.microlight")
    assert status.text.strip() == "200", body.text
    return json.loads(body.text)


def test_swagger_ui_loads_only_from_this_server_and_calls_whoami_with_an_app_key(browser: Browser):
    credentials = make_api_client()
    _open_swagger_ui(browser)
    browser.screenshot("swagger-ui")

    browser.click(".swagger-ui button.btn.authorize")
    container = _auth_container(browser, "apiKey")
    container.find_element(By.CSS_SELECTOR, "input").send_keys(credentials.key_id)
    browser.screenshot("authorize-api-key")
    container.find_element(By.CSS_SELECTOR, "button.authorize").click()
    browser.click(".dialog-ux button.btn-done")
    answer = _call_whoami(browser)
    browser.screenshot("whoami-with-key")

    assert answer == {"user": None, "client": credentials.client.client_id, "schemes": ["key"]}
    assert browser.other_hosts() == set()
    assert browser.csp_violations() == []
    assert browser.console_errors() == []


@pytest.fixture
def loopback_redirects(settings, tmp_path):
    """Plain-HTTP loopback redirect URIs, as in debug; seed_demo's saved credentials in tmp_path."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"]}
    settings.VAR_DIR = tmp_path


def test_oauth2_code_flow_with_pkce_from_swagger_ui(browser: Browser, loopback_redirects):
    out = io.StringIO()
    call_command("seed_demo", "--force", "--json", "--site-url", browser.base_url, stdout=out)
    demo = json.loads(out.getvalue())
    _open_swagger_ui(browser)

    browser.click(".swagger-ui button.btn.authorize")
    container = _auth_container(browser, "authorizationCode")
    assert (
        container.find_element(By.CSS_SELECTOR, "input#client_id_authorizationCode").get_attribute("value")
        == (demo["swagger_client_id"])
    )
    browser.screenshot("authorize-oauth2")
    main_window = browser.driver.current_window_handle
    container.find_element(By.CSS_SELECTOR, "button.authorize").click()

    browser.wait(lambda driver: len(driver.window_handles) == 2)
    browser.driver.switch_to.window(next(h for h in browser.driver.window_handles if h != main_window))
    browser.find_text("Sign in", "h1")
    browser.screenshot("popup-sign-in")
    browser.fill({"username": demo["username"], "password": demo["demo_password"]})
    browser.click("button[type=submit]")
    browser.find_text("Allow Swagger UI", "h1")
    browser.screenshot("popup-consent")
    browser.click("button[name=allow]")
    browser.wait(lambda driver: len(driver.window_handles) == 1)  # oauth2-redirect.html hands back and closes
    browser.driver.switch_to.window(main_window)

    browser.screenshot("back-from-popup")
    browser.find_text("Logout", ".dialog-ux .auth-container button")  # Swagger UI holds a token
    browser.screenshot("authorized-oauth2")
    browser.click(".dialog-ux button.btn-done")
    answer = _call_whoami(browser)
    browser.screenshot("whoami-with-oauth2")

    assert answer == {"user": "demo", "client": "swagger-ui", "schemes": ["oauth2"]}
    assert browser.other_hosts() == set()
    assert browser.csp_violations() == []
