#!/usr/bin/env bash
# Set everything up, then read the sample captures in images/ and print a report for each.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export OMP_THREAD_LIMIT=1
status=0
.venv/bin/psod-ocr scan --no-store images/* || status=$?
exit "$status"
