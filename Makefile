# The two commands a new user needs: `make run` and `make test`. CI runs `make test` too.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The PostgreSQL server the test suite creates its throw-away database on.
ROSTER_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432

.PHONY: install run sso-demo test lint typecheck test-sqlite test-sqlite-in-process test-postgres bench stress migrations schema clean

$(BIN)/roster: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Roster needs Python 3.11 or newer" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/roster

## run: install, migrate, create the demo organization and serve on 127.0.0.1:8000 (SQLite)
run: install
	$(BIN)/roster migrate
	$(BIN)/roster demo
	ROSTER_GRAPHIQL=1 ROSTER_LOG_FORMAT=console $(BIN)/roster serve

## sso-demo: (beside `make run`) an OpenID provider on 127.0.0.1:9000 and a SAML identity
## provider on 127.0.0.1:9001 for the demo organization, which then signs in through them
## ("Sign in with SSO"; any password at the OpenID provider's page; SAML from the settings page)
SSO_DEMO_CLIENT := {"client_id":"roster-demo","client_secret":"roster-demo-secret","redirect_uris":["http://127.0.0.1:8000/sso/oidc/callback"],"grant_types":["authorization_code"],"response_types":["code"]}
sso-demo: install tests/sso/idp/node_modules
	PORT=9000 CLIENTS='[$(SSO_DEMO_CLIENT)]' node tests/sso/idp/oidc_provider.mjs & provider=$$!; \
	$(BIN)/python -m tests.sso.saml_idp 9001 & saml=$$!; \
	trap 'kill $$provider $$saml' EXIT INT TERM; \
	until $(BIN)/python -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:9000/.well-known/openid-configuration", timeout=1); urllib.request.urlopen("http://127.0.0.1:9001/metadata", timeout=1)' 2>/dev/null; do sleep 0.2; done; \
	echo roster-demo-secret | $(BIN)/roster sso oidc --org demo --issuer http://127.0.0.1:9000 \
		--client-id roster-demo --client-secret-stdin && \
	$(BIN)/roster sso saml --org demo --metadata-url http://127.0.0.1:9001/metadata && wait $$provider

tests/sso/idp/node_modules: tests/sso/idp/package-lock.json
	cd tests/sso/idp && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## test: lint, type-check, and the whole test suite on SQLite and on PostgreSQL (the tests that
## drive `roster serve` processes, where the database makes no difference, on PostgreSQL only)
test: install lint typecheck test-sqlite-in-process test-postgres

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test-sqlite: install
	$(BIN)/pytest

# The tests that run inside the test process, and those that drive `roster serve` processes
# or Chromium, on two workers each (pytest-xdist; the tests of a file stay together).
IN_PROCESS := -m "not stress and not browser and not served" -n 2 --dist loadfile
SERVED := -m "stress or browser or served" -n 2 --dist loadfile

test-sqlite-in-process: install
	$(BIN)/pytest $(IN_PROCESS)

test-postgres: install
	ROSTER_TEST_DATABASE_URL=$(ROSTER_TEST_POSTGRES) $(BIN)/pytest $(IN_PROCESS)
	ROSTER_TEST_DATABASE_URL=$(ROSTER_TEST_POSTGRES) $(BIN)/pytest $(SERVED)

## bench: the benchmark suite on SQLite and PostgreSQL (figures in bench-*.json)
bench: install
	$(BIN)/python -m bench.run --database sqlite --json bench-sqlite.json $(if $(BASELINE_SQLITE),--baseline $(BASELINE_SQLITE))
	$(BIN)/python -m bench.run --database postgres --json bench-postgres.json $(if $(BASELINE_POSTGRES),--baseline $(BASELINE_POSTGRES))

## stress: (developers) the full stress suite on both databases (`make test` runs its quick version)
stress: install
	$(BIN)/pytest tests/stress --stress-full --stress-json stress-sqlite.json
	ROSTER_TEST_DATABASE_URL=$(ROSTER_TEST_POSTGRES) $(BIN)/pytest tests/stress --stress-full --stress-json stress-postgres.json

## migrations: (developers) write a migration for model changes
migrations: install
	$(BIN)/roster makemigrations

## schema: (developers) write api/schema.graphql after changing the GraphQL API
schema: install
	$(BIN)/roster export-schema

clean:
	rm -rf $(VENV) .venv-peers .mypy_cache .ruff_cache .pytest_cache
