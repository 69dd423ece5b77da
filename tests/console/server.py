"""The console server the browser tests start: it lives in `ui.bench_server`, which the browser
benchmark uses too (a benchmark never imports `tests`)."""

from ui.bench_server import (  # noqa: F401  (re-exported for the tests)
    CHROMIUM, CHROMIUM_ARGS, ConsoleServer, browser_skip_reason, copy_database, free_port,
    launch_chromium,
)


def settled(page, timeout: int) -> None:
    """Wait until the page's script run has finished (Streamlit's own marker on `stApp`): a
    button clicked while a run is still drawing may be an element that run then replaces, and the
    click is lost (seen on the Failures page's export once it drew faster)."""
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=timeout)


def download_first(page, button: str, timeout: int):
    """Click the first button named `button` once the page has settled, and return the download.

    One more try, on the page reloaded, when no download starts within 20 s: in the full
    browser run a click on the Failures page's export was now and then followed by nothing, and
    a second click on the same page too (3 runs in 8 of `test_browser_auth.py`, December 2026;
    cause not found: the page had settled, the server logged no error, and the export builds the
    same file outside the browser). A download lost on a fresh page too still fails the test."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(2):
        settled(page, timeout)
        try:
            with page.expect_download(timeout=20000) as download:
                page.get_by_role("button", name=button).first.click()
            return download.value
        except PlaywrightTimeout:
            if attempt:
                raise
            page.reload()
    raise AssertionError("unreachable")
