"""Fixtures of the browser tests: a live server and a chromium pointed at it."""

from collections.abc import Iterator

import pytest

from tests.browser.helpers import Browser, start_chromium


@pytest.fixture
def browser(request, live_server, transactional_db) -> Iterator[Browser]:
    """Headless chromium on the live server (Django's, in this process, on the test database)."""
    driver = start_chromium()
    # 127.0.0.1, not localhost: a loopback redirect URI must name the IP (RFC 8252 §8.3).
    base_url = live_server.url.replace("://localhost:", "://127.0.0.1:")
    try:
        yield Browser(driver, base_url, request.node.name)
    finally:
        driver.quit()
