"""Headless Chromium for the staff pages' tests (Debian `chromium` + `chromium-driver`, PyPI
`selenium`; scripts/install-deps.sh installs all three). Outside CI a machine without chromium
skips with the reason; in CI (CI set) a missing browser fails the test instead."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import wire_support

ARTIFACTS = wire_support.REPO_ROOT / "Tests" / "wire" / "artifacts"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER_PATHS = ("/usr/bin/chromedriver",)


def _first(paths, name):
    for path in paths:
        if os.path.exists(path):
            return path
    return shutil.which(name)


def require_chromium() -> tuple[str, str]:
    browser = _first(CHROMIUM_PATHS, "chromium")
    driver = _first(DRIVER_PATHS, "chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        browser = None
    if browser and driver:
        return browser, driver
    reason = "needs Debian chromium + chromium-driver and PyPI selenium (scripts/install-deps.sh installs them)"
    if os.environ.get("CI"):
        pytest.fail("in CI the browser tests must run: " + reason)
    pytest.skip(reason)


def new_browser(width: int = 1280, height: int = 900):
    """A headless Chromium driven by chromedriver; the caller quits it."""
    browser, driver = require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--disable-extensions", "--no-first-run", "--lang=zh-CN", f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def screenshot(browser, name: str, width: int, height: int = 900) -> Path:
    """The whole page at a viewport `width` CSS pixels wide, as Tests/wire/artifacts/<name>-<width>.png
    (git-ignored). The viewport is set through the DevTools protocol (a headless window cannot
    grow past its screen), then put back."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    full = browser.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": max(height, int(full))})
    browser.execute_script("window.scrollTo(0, 0)")
    path = ARTIFACTS / f"{name}-{width}.png"
    browser.save_screenshot(str(path))
    return path


def viewport(browser, width: int, height: int = 900) -> None:
    """A viewport exactly `width` CSS pixels wide (a phone at 360), or the window's own with None."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def reset_viewport(browser) -> None:
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
