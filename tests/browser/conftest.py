"""Fixtures of the browser tests: a live server and a chromium pointed at it."""

from collections.abc import Iterator

import pytest

from tests.browser.chromium import Browser, start_chromium


@pytest.fixture
def browser(request, live_server, transactional_db) -> Iterator[Browser]:
    """Headless chromium on the live server (Django's, in this process, on the test database)."""
    driver = start_chromium()
    try:
        yield Browser(driver, live_server.url, request.node.name)
    finally:
        driver.quit()
