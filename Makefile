# Suivi — the two commands of the README, and their building blocks.
#   make console   start the console on the embedded demo (data/demo.duckdb, sandbox transport)
#   make test      install what the tests need and run the whole suite
#   make notebook  the analysts' notebook in JupyterLab, on the console's data (demo by default)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEMO_DB ?= data/demo.duckdb
PORT   ?= 8501
ADDRESS ?= 127.0.0.1
NOTEBOOK_PORT ?= 8888
APT_PACKAGES := postfix dovecot-imapd dovecot-lmtpd chromium
# PostgreSQL 15: the second store's tests start a private server (tests/pg.py)
APT_PACKAGES += postgresql

.PHONY: console test notebook venv venv-dev venv-notebook system-deps demo bench clean

console: venv $(DEMO_DB)
	SUIVI_DB=$(DEMO_DB) SUIVI_TRANSPORT=sandbox $(VENV)/bin/streamlit run serve.py \
	  --server.port $(PORT) --server.address $(ADDRESS) --browser.gatherUsageStats false --client.toolbarMode minimal

test: system-deps venv-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# The notebook reads what the console shows: the Parquet snapshot the running console writes
# next to the database, or the database file read-only when no console holds it.
notebook: venv-notebook $(DEMO_DB)
	SUIVI_DB=$(abspath $(DEMO_DB)) $(VENV)/bin/jupyter lab notebooks/failures.ipynb \
	  --ServerApp.ip=$(ADDRESS) --ServerApp.port=$(NOTEBOOK_PORT) \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(NOTEBOOK_ARGS)

venv: $(VENV)/.runtime-installed
venv-dev: $(VENV)/.dev-installed
venv-notebook: $(VENV)/.notebook-installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

$(VENV)/.notebook-installed: requirements.txt requirements-notebook.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-notebook.txt
	touch $@ $(VENV)/.runtime-installed

$(DEMO_DB): | venv
	$(PY) -m tracking demo --db $(DEMO_DB)

demo: venv
	$(PY) -m tracking demo --db $(DEMO_DB) --force

# The mail servers and the browser the tests drive (Debian packages). Installed only when missing,
# and only as root; without them the tests that need them skip with the reason.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "not root: skipping apt-get install of$$missing (tests needing them will skip)"; exit 0; fi; \
	echo "installing$$missing"; \
	apt-get update -q && \
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections && \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

bench: venv-dev
	$(PY) -m tracking bench send --json
	$(PY) -m tracking bench parse --json

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
