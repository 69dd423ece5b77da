"""The layers are held by the test run: import-linter checks `.importlinter` on the real tree,
and each contract is shown to break on a copy of the tree with one forbidden import added."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(no_cache=True))")


def lint(root: Path) -> subprocess.CompletedProcess:
    """import-linter on the tree at `root` (its `.importlinter`), as `lint-imports` runs it."""
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_the_import_contracts_hold(repo_root):
    result = lint(repo_root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Contracts: 3 kept, 0 broken", result.stdout), result.stdout


@pytest.mark.parametrize("module, forbidden_import, contract", [
    ("tracking/inbound/parse.py", "import tracking.outbound.compose",
     "The inbound and outbound sides never import each other"),
    ("tracking/outbound/compose.py", "import tracking.inbound.parse",
     "The inbound and outbound sides never import each other"),
    ("tracking/charts.py", "import streamlit", "The core never imports the console"),
    ("tracking/labels.py", "import ui.i18n", "The core never imports the console"),
    ("tracking/store/queries.py", "import tracking.outbox",
     "The store never imports the services"),
])
def test_each_contract_breaks_on_a_forbidden_import(tmp_path, repo_root, module,
                                                     forbidden_import, contract):
    for package in ("tracking", "ui", "tests"):
        shutil.copytree(repo_root / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "data", "*.eml"))
    shutil.copy(repo_root / ".importlinter", tmp_path / ".importlinter")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{forbidden_import}  # added by the test\n")
    result = lint(tmp_path)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


def test_the_core_never_probes_whether_a_module_exists(repo_root):
    """Modules are imported by name in `import` statements: no importlib, no try/except
    ModuleNotFoundError (a missing module must fail loudly, and the contract must see it)."""
    offenders = []
    for path in sorted((repo_root / "tracking").rglob("*.py")):
        text = path.read_text()
        if re.search(r"importlib|__import__\(|except ModuleNotFoundError|find_spec\(", text):
            offenders.append(str(path.relative_to(repo_root)))
    assert offenders == []
