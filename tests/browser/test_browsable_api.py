"""The browsable API in chromium: a non-staff user signs in and creates a purchase with its form."""

import pytest

from purchases.models import Purchase
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.browser.helpers import Browser

pytestmark = pytest.mark.browser


def test_landing_page_leads_to_the_api_root(browser: Browser):
    browser.get("/")
    browser.find_text("apiproject", "h1")
    browser.screenshot("landing")
    browser.click("a[href='/api/v1/']")
    browser.find_text("Api Root", "h1")
    browser.screenshot("api-root")

    assert browser.csp_violations() == []


def test_non_staff_user_signs_in_and_creates_a_purchase_through_the_html_form(browser: Browser):
    user = UserFactory(is_staff=False)
    browser.get("/api/v1/purchases/")
    browser.click("a[href^='/api-auth/login/']")
    browser.find("input[name=username]")
    browser.screenshot("log-in")
    browser.fill({"username": user.username, "password": DEFAULT_PASSWORD})
    browser.click("input[type=submit]")
    browser.find_text(user.username, ".navbar")  # signed in: the user menu names them
    browser.screenshot("purchases-signed-in")

    form = browser.find("#post-object-form form")
    browser.fill({"item": "Browser-made mug", "quantity": "2", "unit_price": "7.25"})
    browser.screenshot("purchase-form-filled")
    form.find_element("css selector", "button.btn-primary").click()
    browser.find_text("HTTP 201 Created", ".response-info")
    browser.screenshot("purchase-created")

    purchase = Purchase.objects.get(item="Browser-made mug")
    assert (purchase.owner, purchase.quantity, str(purchase.total)) == (user, 2, "14.50")
    browser.click("#log-out")
    browser.find("a[href^='/api-auth/login/']")
    browser.screenshot("logged-out")
    assert browser.csp_violations() == []
    assert browser.console_errors() == []
