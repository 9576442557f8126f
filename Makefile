# Two commands on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
AXE    := node_modules/axe-core/axe.min.js

.PHONY: report test browser pdf clean bench lab strip-filter strip

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,pdf,lab,docx]'
	touch $(STAMP)

# The sample (Chesterfield's published quarter), then the fictional Example Borough Council's
# last three quarters (data/example: invented figures over several years, so that trends,
# travel against last year and persistent exceptions show) in a root of their own.
report: $(STAMP) pdf
	$(BIN)/perfkit report params/2022-23-Q2.yaml --out outputs --pdf --docx
	$(BIN)/perfkit report params/example/*.yaml --out outputs/example

# WeasyPrint (report.pdf) loads Debian's pango and harfbuzz; the PDF tests look at pages with
# poppler-utils' pdftoppm. As root, install whatever is missing; otherwise say how.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
pdf:
	@{ ldconfig -p | grep -q 'libpangoft2-1.0.so.0' && ldconfig -p | grep -q 'libharfbuzz-subset.so.0' \
	   && command -v pdftoppm >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_LIBS) poppler-utils >/dev/null; \
	  else echo "make: report.pdf needs Debian's pango: sudo apt-get install $(PDF_LIBS) poppler-utils"; fi; }

# JupyterLab on notebooks/, bound to this machine only; open the URL with the token it prints.
# Its settings overrides (in .venv only) answer the news question for the analyst: no
# pop-up asking to fetch Jupyter's news feed, and no request to that website.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_SETTINGS): $(STAMP)
	mkdir -p $(dir $@)
	echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' > $@

# JupyterLab saves outputs into the notebook: git stores it stripped (see strip-filter).
lab: $(STAMP) $(LAB_SETTINGS) strip-filter
	$(BIN)/jupyter lab --no-browser --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# In a git checkout, git stores every notebook stripped of its outputs (.gitattributes names
# the filter; this tells this clone what it runs): nbstripout, from the lab extra, keeping
# cell ids and the one line of language metadata the committed notebook has. The working copy
# keeps its outputs for the analyst; `make strip` strips it in place.
NBSTRIP_ARGS := --keep-id --extra-keys "metadata.language_info.codemirror_mode metadata.language_info.file_extension metadata.language_info.mimetype metadata.language_info.nbconvert_exporter metadata.language_info.pygments_lexer metadata.language_info.version"
NBSTRIP := "$(abspath $(BIN))/nbstripout" $(NBSTRIP_ARGS)
strip-filter:
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstripout.clean '$(NBSTRIP)' && \
	  git config filter.nbstripout.smudge cat && \
	  git config diff.ipynb.textconv '$(NBSTRIP) -t'; fi

strip: $(STAMP)
	$(NBSTRIP) notebooks/*.ipynb perfkit/notebooks/*.ipynb

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

test: $(STAMP) browser pdf
	$(BIN)/python -m pytest

# The benchmark figures against their goals (several minutes); see benchmarks/README.md.
# Figure 1 is also taken in a second environment without JupyterLab (perfkit[test,pdf], as
# a scheduling server installs it), kept inside .venv so `make clean` removes it too.
LEAN := $(VENV)/lean
$(LEAN)/.installed-stamp: pyproject.toml $(STAMP)
	test -x $(LEAN)/bin/python || $(PYTHON) -m venv $(LEAN)
	$(LEAN)/bin/python -m pip install --quiet -e '.[test,pdf]'
	touch $@

bench: $(STAMP) $(LEAN)/.installed-stamp
	$(BIN)/python benchmarks/bench.py --out outputs/bench.json --lean $(LEAN)/bin/python

clean:
	rm -rf $(VENV) node_modules outputs/*/
