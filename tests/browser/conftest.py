"""One headless chromium for the whole browser test session (see book_browser.make_driver)."""

from __future__ import annotations

import pytest

import book_browser as bb


@pytest.fixture(scope="session")
def driver():
    missing = bb.missing_browser()
    if missing:
        pytest.skip(missing)
    driver = bb.make_driver()
    try:
        yield driver
    finally:
        driver.quit()
