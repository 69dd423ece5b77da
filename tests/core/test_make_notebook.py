"""`make notebook` opens the notebook in JupyterLab on the console's data; `make test` needs no
JupyterLab (checked on the Makefile itself, with `make -n`: nothing is run)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(repo_root, target: str) -> str:
    return subprocess.run(["make", "-n", target, "DEMO_DB=/tmp/suivi-notebook-check.duckdb"],
                          cwd=repo_root, capture_output=True, text=True, check=True).stdout


def test_make_notebook_runs_jupyterlab_from_the_project_environment_on_the_demo(repo_root):
    commands = dry_run(repo_root, "notebook")
    assert "SUIVI_DB=/tmp/suivi-notebook-check.duckdb .venv/bin/jupyter lab " \
           "notebooks/failures.ipynb" in commands
    pinned = (repo_root / "requirements-notebook.txt").read_text()
    assert "jupyterlab==" in pinned and "-r requirements.txt" in pinned


def test_make_test_does_not_need_jupyterlab(repo_root):
    commands = dry_run(repo_root, "test")
    assert "jupyter" not in commands and "requirements-notebook" not in commands
    assert "jupyterlab" not in (repo_root / "requirements-dev.txt").read_text()
