"""Drive Debian's chromium through its chromedriver: headless, no download, screenshots kept."""

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"  # git-ignored; CI keeps them as artifacts
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Generous: the machine running the suite may be loaded; nothing here measures time.
WAIT_SECONDS = 30


def chromium_missing() -> str | None:
    """Return why the browser tests cannot run here, or None when chromium and its driver exist."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not shutil.which(path):
            return f"needs {path} (apt-get install {package})"
    return None


def start_chromium() -> webdriver.Chrome:
    """Start headless chromium with its console and network logs recorded.

    The Service names chromedriver's path, so Selenium Manager never runs and nothing is
    downloaded at test time.
    """
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # containers without user namespaces
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--no-first-run",
        "--disable-background-networking",  # no calls home: the network log shows only the page's
        "--disable-component-update",
        "--disable-sync",
        "--disable-features=Translate,OptimizationHints,MediaRouter",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


class Browser:
    """A thin layer over the driver: wait for things, fill forms, read logs, take screenshots."""

    def __init__(self, driver: webdriver.Chrome, base_url: str, name: str) -> None:
        self.driver = driver
        self.base_url = base_url
        self.name = re.sub(r"[^\w.-]+", "_", name)
        self.shots = 0
        self.console: list[dict] = []
        self.requested: list[str] = []

    def get(self, path: str) -> None:
        self.driver.get(path if "://" in path else self.base_url + path)

    def wait(self, condition, timeout: float = WAIT_SECONDS):
        # Swagger UI and the admin re-render parts of the page: an element read a moment ago
        # may be gone, so the condition is tried again rather than failing.
        ignored = (StaleElementReferenceException, ElementClickInterceptedException)
        return WebDriverWait(self.driver, timeout, ignored_exceptions=ignored).until(condition)

    def find(self, selector: str, timeout: float = WAIT_SECONDS) -> WebElement:
        """Wait until an element matching the CSS selector is visible, and return it."""
        return self.wait(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, selector)), timeout)

    def find_text(self, text: str, selector: str = "*", timeout: float = WAIT_SECONDS) -> WebElement:
        """Wait until a visible element matching the selector contains the text, and return it."""

        def located(driver):
            for element in driver.find_elements(By.CSS_SELECTOR, selector):
                if text in element.text and element.is_displayed():
                    return element
            return False

        return self.wait(located, timeout)

    def fill(self, fields: dict[str, str]) -> None:
        for name, value in fields.items():
            element = self.find(f"[name='{name}']")
            element.clear()
            element.send_keys(value)

    def click(self, selector: str) -> None:
        """Wait for the element, scroll it into view and click it, finding it again if re-rendered."""

        def clicked(driver) -> bool:
            element = driver.find_element(By.CSS_SELECTOR, selector)
            if not (element.is_displayed() and element.is_enabled()):
                return False
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
            element.click()
            return True

        self.find(selector)
        self.wait(clicked)

    def wait_for_url(self, predicate) -> str:
        self.wait(lambda driver: predicate(driver.current_url))
        return self.driver.current_url

    def screenshot(self, label: str) -> Path:
        """Save the current screen as var/screenshots/<test>-<n>-<label>.png, for a reviewer."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.shots += 1
        path = SCREENSHOTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.driver.save_screenshot(str(path))
        return path

    def read_logs(self) -> None:
        """Move chromium's console messages and requested URLs into self.console / self.requested."""
        self.console += self.driver.get_log("browser")
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])

    def csp_violations(self) -> list[str]:
        self.read_logs()
        return [entry["message"] for entry in self.console if "Content Security Policy" in entry["message"]]

    def console_errors(self) -> list[str]:
        """Script errors; an HTTP error status (a 401 before signing in, no favicon) is not one."""
        self.read_logs()
        return [
            entry["message"]
            for entry in self.console
            if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]
        ]

    def other_hosts(self) -> set[str]:
        """Hosts other than the server's that the page asked for (data: and blob: aside)."""
        self.read_logs()
        own = urlsplit(self.base_url).netloc
        return {
            urlsplit(url).netloc
            for url in self.requested
            if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != own
        }
