# sweet17 — the README's two commands are `make run` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
WS      ?= $(CURDIR)/.sweet17-run
HUB     ?= $(CURDIR)/.sweet17-hub
SEED    ?= 17
START   ?= 2027-01-11
DRIVE   ?= drives/balangan-2027

.PHONY: run test bench soak lint system-deps venv i18n clean

system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml scripts/system-deps.sh
	@bash scripts/system-deps.sh
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

i18n: $(STAMP)
	$(BIN)/python -m sweet17.i18n compile

# The main job, end to end on the sample Balangan drive with embedded defaults
# (roster to hub: see scripts/run-sample-drive.sh for the steps).
run: $(STAMP) i18n
	BIN=$(BIN) WS=$(WS) SEED=$(SEED) START=$(START) DRIVE=$(DRIVE) bash scripts/run-sample-drive.sh

test: $(STAMP) i18n
	$(BIN)/python -m pytest -n 2 --dist loadgroup

soak: $(STAMP) i18n
	SWEET17_SOAK=1 $(BIN)/python -m pytest -m soak -n 2 --dist loadgroup

bench: $(STAMP) i18n
	$(BIN)/python -m benchmarks

lint: $(STAMP)
	$(BIN)/ruff check sweet17 tests benchmarks

clean:
	rm -rf $(VENV) $(WS) $(HUB) build *.egg-info
