# The two commands of the README. Both set up everything they need first.
.PHONY: run test setup lint check

# Sets up the machine, loads the demo city, then runs web, worker and beat together (Ctrl-C stops all).
run:
	bin/setup --demo
	@echo "GridCity: http://127.0.0.1:8000  (Ctrl-C stops web, worker and beat)"
	.venv/bin/honcho -f Procfile start

# Sets up the machine (no demo), then lint, migration check and the whole test suite.
test:
	bin/setup --test
	$(MAKE) check
	DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/pytest --create-db $(PYTEST_ARGS)

setup:
	bin/setup

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

check: lint
	DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=tests.settings .venv/bin/python manage.py check
