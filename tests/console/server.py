"""The console server the browser tests start: it lives in `ui.bench_server`, which the browser
benchmark uses too (a benchmark never imports `tests`)."""

from ui.bench_server import (  # noqa: F401  (re-exported for the tests)
    CHROMIUM, CHROMIUM_ARGS, ConsoleServer, browser_skip_reason, copy_database, free_port,
    launch_chromium,
)
