# The README's two commands: `make serve` and `make test`. `make build` and `make bench` are conveniences.
VENV := .venv
BIN := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1

# Debian packages that the tests start for real, as path=package.
SYSTEM_PACKAGES := /usr/bin/chromium=chromium /usr/bin/redis-server=redis-server /usr/sbin/nginx=nginx \
	/usr/bin/node=nodejs /usr/bin/npm=npm /usr/share/postgresql-common/pg_wrapper=postgresql

.PHONY: serve build test bench system-packages

serve: $(VENV)/.site
	SITE_URL=http://127.0.0.1:8000/ $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

build: $(VENV)/.site
	$(BIN)/mkdocs build --strict

test: system-packages $(VENV)/.test
	# four workers on two cores: most tests wait on a server, not on the CPU
	$(BIN)/pytest -n 4 --dist loadfile --cov --cov-report=term-missing

bench: system-packages $(VENV)/.test
	$(BIN)/python benchmarks/rate_limiters.py
	$(BIN)/python benchmarks/kafka_clients.py
	$(BIN)/python benchmarks/sql_queries.py
	$(BIN)/python benchmarks/lighthouse.py

$(VENV)/.site: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet .
	touch $@

$(VENV)/.test: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet ".[test]"
	touch $@ $(VENV)/.site

system-packages:
	@missing=""; \
	for pair in $(SYSTEM_PACKAGES); do [ -x "$${pair%%=*}" ] || missing="$$missing $${pair#*=}"; done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null; \
	else \
		echo "make test needs these Debian/Ubuntu packages:$$missing"; \
		echo "Install them (as root: apt-get install$$missing) and run make test again."; \
		exit 1; \
	fi
