"""One headless Debian chromium per test session, driven by selenium through Debian's chromedriver.

Why selenium + chromedriver: both browser and driver come from one Debian source package (same
version, installed by scripts/setup.d/40-chromium.sh), selenium is the Python-native WebDriver
client, and giving it the driver's path means it downloads nothing (Selenium Manager is not run).
Chromium starts with the flags this machine needs (no sandbox as root, no background networking).
Locally, without chromium the browser tests are skipped; under CI (CI=true) they fail.

Import the fixture in a conftest: `from browser import browser  # noqa: F401`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
         "--window-size=1280,1600")


def _require_chromium() -> None:
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing under CI (scripts/setup.d/40-chromium.sh installs it)")
    pytest.skip("chromium and chromedriver are not installed (make test installs them)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="synth-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: Any, css: str, timeout: float = 60) -> Any:
    """The first element matching `css`, once it is present."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def wait_text(driver: Any, css: str, text: str, timeout: float = 60) -> Any:
    """The element matching `css` once its text contains `text`."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return driver.find_element(By.CSS_SELECTOR, css)


def texts(driver: Any, css: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, css)]
