"""The admin, the browsable API and Swagger UI in chromium, over TLS 1.3 through nginx and gunicorn."""

import pytest

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.browser.helpers import Browser, start_chromium

pytestmark = [pytest.mark.live, pytest.mark.nginx, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tls_browser(request, stack):
    driver = start_chromium()
    # The stack's local CA is not in chromium's store; a real deployment has a public certificate.
    driver.execute_cdp_cmd("Security.setIgnoreCertificateErrors", {"ignore": True})
    try:
        yield Browser(driver, stack.https, request.node.name)
    finally:
        driver.quit()


def test_admin_browsable_api_and_swagger_ui_work_over_the_production_stack(tls_browser: Browser):
    staff = UserFactory(is_staff=True, is_superuser=True)
    tls_browser.get("/admin/")
    tls_browser.fill({"username": staff.username, "password": DEFAULT_PASSWORD})
    tls_browser.click("input[type=submit]")
    tls_browser.find("#site-name")
    tls_browser.find_text("API client", "a")  # the apps and keys are managed here
    tls_browser.screenshot("admin-over-tls")

    tls_browser.get("/api/v1/purchases/")  # the admin's session signs the browsable API in too
    tls_browser.find_text("HTTP 200 OK", ".response-info")
    tls_browser.screenshot("browsable-api-over-tls")

    tls_browser.get("/api/docs/")
    tls_browser.find_text("apiproject", ".swagger-ui .info .title")
    tls_browser.screenshot("swagger-ui-over-tls")
    assert tls_browser.csp_violations() == []
