#!/usr/bin/env bash
# Set everything up, then read the bundled samples in images/ and print a report for each.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export OMP_THREAD_LIMIT=1
status=0
.venv/bin/psod-ocr parse images/*.txt || status=$?
exit "$status"
