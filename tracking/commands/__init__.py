"""Command-line sub-commands, one module each, registered in `tracking.cli`."""
