# Two commands on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
AXE    := node_modules/axe-core/axe.min.js

.PHONY: report test browser clean bench lab

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lab]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/perfkit report params/2022-23-Q2.yaml --out outputs

# JupyterLab on notebooks/, bound to this machine only; open the URL with the token it prints.
lab: $(STAMP)
	$(BIN)/jupyter lab --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# The browser tests need Debian's chromium (playwright drives it; its own browser download
# is not used) and axe-core from npm. As root, install chromium; otherwise say how.
browser: $(AXE)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "make: the browser tests need Debian's chromium: sudo apt-get install chromium"; fi; }

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(AXE)

test: $(STAMP) browser
	$(BIN)/python -m pytest

# The four benchmark figures against their goals (several minutes); see benchmarks/README.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --out outputs/bench.json

clean:
	rm -rf $(VENV) node_modules outputs/*/
