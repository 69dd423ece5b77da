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

    One click, no retry: a lost download is a failure. (Clicks on the exports used to be lost
    now and then: the click also reran the page, and the rerun could drop the file's callable
    before the browser asked for it; the buttons no longer rerun, `ui.analysis.export_buttons`.)"""
    settled(page, timeout)
    with page.expect_download(timeout=timeout) as download:
        page.get_by_role("button", name=button).first.click()
    return download.value
