"""`python -m tracking <command>` — see `tracking.cli`."""

from tracking.cli import main

raise SystemExit(main())
