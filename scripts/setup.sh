#!/usr/bin/env bash
# Set up psod-ocr on a fresh Debian/Ubuntu machine: system packages (Tesseract, console fonts,
# Chromium for the browser tests),
# a virtual environment in .venv, and the package with its test extras. Safe to run again:
# it installs only what is missing and reinstalls the package only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tesseract-ocr tesseract-ocr-eng console-setup-linux console-data fonts-terminus)
command -v python3 >/dev/null 2>&1 || APT_PACKAGES+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || APT_PACKAGES+=(python3-venv python3-pip)
# Wanted but not required: the web page's browser tests drive Debian's chromium (Playwright never
# downloads a browser) and skip without it; Ubuntu has no such deb (its chromium is a snap).
OPTIONAL_APT_PACKAGES=(chromium)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
known() { apt-cache show "$1" >/dev/null 2>&1; }
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done
optional=()
for pkg in "${OPTIONAL_APT_PACKAGES[@]}"; do
  installed "$pkg" || ! known "$pkg" || optional+=("$pkg")
done
if [ $((${#missing[@]} + ${#optional[@]})) -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  apt=($sudo env DEBIAN_FRONTEND=noninteractive apt-get)
  echo "setup: installing system packages: ${missing[*]} ${optional[*]}"
  "${apt[@]}" update -q
  if [ ${#missing[@]} -gt 0 ]; then
    "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"
  fi
  for pkg in "${OPTIONAL_APT_PACKAGES[@]}"; do  # the lists may only now know them (a fresh machine)
    installed "$pkg" || ! known "$pkg" || "${apt[@]}" install -y -q --no-install-recommends "$pkg" \
      || echo "setup: $pkg could not be installed; the tests that need it will be skipped" >&2
  done
fi
for pkg in "${OPTIONAL_APT_PACKAGES[@]}"; do
  installed "$pkg" || echo "setup: no $pkg package here; the tests that need it will be skipped" >&2
done

python3 - <<'PY'
import sys
if sys.version_info < (3, 10):
    sys.exit(f"setup: psod-ocr needs Python 3.10 or newer, found {sys.version.split()[0]}")
PY

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
stamp=".venv/.psod-ocr-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing psod-ocr and its test extras into .venv"
  log=.venv/pip-install.log
  if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e '.[test]'; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "setup: pip install failed (full log in $log)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
# Byte-compiled now: a scan then starts without compiling the package, also where writing
# bytecode is turned off (PYTHONDONTWRITEBYTECODE) and it would be compiled on every run.
PYTHONDONTWRITEBYTECODE= .venv/bin/python -m compileall -q psod_ocr >/dev/null
