# Two commands for learners and maintainers; each sets itself up on first use.
#   make lab   - create .venv if needed, install, open the notebooks in JupyterLab
#   make test  - create .venv if needed, install, run every test (package + notebooks, quick mode)
#   make colab-check - run every notebook as Google Colab would (scripts/colab_check.py; ~5 GB venv)

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
# Tests read MNIST from ../shared/data when it is there (offline machines); otherwise from data/,
# downloading it on first use. Set GAN_DATA_DIR yourself to use another copy.
GAN_DATA_DIR ?= $(if $(wildcard ../shared/data/MNIST/raw),$(abspath ../shared/data),)
export GAN_DATA_DIR

# No GPU? `make lab TORCH_INDEX=https://download.pytorch.org/whl/cpu` installs PyTorch's CPU build
# (no CUDA libraries) before anything else; the pins below are then already satisfied.
TORCH_INDEX ?=

.PHONY: lab test lint format benchmark outputs colab-check clean

$(VENV)/.installed-lab: pyproject.toml requirements-pinned.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(if $(TORCH_INDEX),$(PY) -m pip install -q --index-url $(TORCH_INDEX) -r requirements-pinned.txt)
	$(PY) -m pip install -q -r requirements-pinned.txt
	$(PY) -m pip install -q -e ".[lab]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements-pinned.txt $(VENV)/.installed-lab
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

# Extra JupyterLab arguments: make lab LAB_ARGS="--port 8899 --no-browser". As root (Docker, many cloud
# machines) Jupyter refuses to start without --allow-root, so it is added then.
LAB_ARGS ?=
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(VENV)/.installed-lab
	$(VENV)/bin/jupyter lab notebooks/ $(ALLOW_ROOT) $(LAB_ARGS)

test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check gan_utils tests benchmarks scripts experiments notebooks
	$(VENV)/bin/ruff format --check gan_utils tests benchmarks scripts experiments notebooks
	GAN_QUICK=1 $(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider tests notebooks

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check gan_utils tests benchmarks scripts experiments notebooks
	$(VENV)/bin/ruff format --check gan_utils tests benchmarks scripts experiments notebooks

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format gan_utils tests benchmarks scripts experiments notebooks
	$(VENV)/bin/ruff check --fix gan_utils tests benchmarks scripts experiments notebooks

# Re-run notebooks top to bottom in the full configuration and strip run noise, ready to commit:
#   make outputs NB="notebooks/05_training.ipynb notebooks/solutions/05_solutions.ipynb"
outputs: $(VENV)/.installed-dev
	for nb in $(NB); do \
	  $(abspath $(VENV))/bin/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=-1 "$$nb" && $(PY) scripts/clean_notebooks.py "$$nb" || exit 1; \
	done

benchmark: $(VENV)/.installed-dev
	$(PY) benchmarks/bench_training.py

# Colab's versions in their own venv (.colab-venv, kept between runs), the committed tree installed by
# each notebook's own install cell, every notebook run in quick mode from a folder outside the repository.
colab-check:
	$(PYTHON) scripts/colab_check.py --venv .colab-venv

clean:
	rm -rf $(VENV) .colab-venv .pytest_cache
