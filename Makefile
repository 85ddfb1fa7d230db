# Shortcuts for dev.py, the single entry point (which needs only Python 3.11+).
.PHONY: demo test lint bench bench-pages bench-search bench-load bench-prototype bench-daily bench-schedule bench-scale bench-firing

demo:
	python3 dev.py demo

test:
	python3 dev.py test

lint:
	.venv/bin/ruff check .

bench:
	.venv/bin/python bench/import_speed.py

bench-pages:
	.venv/bin/python bench/pages.py

bench-search:
	.venv/bin/python bench/search.py

bench-load:
	.venv/bin/python bench/load.py

bench-prototype:
	.venv/bin/python bench/prototype.py $(if $(ORIGINAL),--original $(ORIGINAL) --original-python $(or $(ORIGINAL_PYTHON),.venv/bin/python))

bench-daily:
	.venv/bin/python bench/daily.py

bench-schedule:
	.venv/bin/python bench/schedule.py

bench-scale:
	.venv/bin/python bench/scale.py --drop

bench-firing:
	.venv/bin/python bench/firing.py --drop
