#!/usr/bin/env bash
# Set everything up, then lint and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export OMP_THREAD_LIMIT=1
.venv/bin/ruff check .
.venv/bin/python -m pytest -q "$@"
