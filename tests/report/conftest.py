"""The report tests drive one headless chromium per session (tests/browser.py)."""

from browser import browser  # noqa: F401
