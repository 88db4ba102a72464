#!/usr/bin/env bash
# Set up everything (Python and npm packages, Debian's Chromium) and run every
# test suite: lint, pytest, jest, the extension load check, and Galata.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

setup_dev test

if [ ! -x /usr/lib/chromium/chromium ]; then
  apt_install chromium
fi
if ! stamp_is_current ui-tests ui-tests/package.json ui-tests/yarn.lock \
  || [ ! -d ui-tests/node_modules ]; then
  log "Installing Galata"
  (cd ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 jlpm install >/dev/null)
  stamp_write ui-tests ui-tests/package.json ui-tests/yarn.lock
fi

# The server refuses to run as root (CI containers) unless told.
root_flag=()
[ "$(id -u)" -eq 0 ] && root_flag+=(--ServerApp.allow_root=True)

passed=0
failed=()
suite() {
  local name="$1"; shift
  log "Suite: $name"
  if "$@"; then passed=$((passed + 1)); else failed+=("$name"); fi
}

suite "ruff" ruff check jupyter_env_manager tests benchmarks
suite "eslint+prettier" jlpm lint:check
suite "pytest" python -m pytest -q -p no:cacheprovider
suite "jest" jlpm test
suite "extension loads" python -m jupyterlab.browser_check --no-browser-test "${root_flag[@]}"
suite "galata" bash -c 'cd ui-tests && CI=1 jlpm playwright test'
# The built wheel in a fresh venv, `jupyter lab` with no config, in a real browser.
suite "galata as installed" bash -c 'cd ui-tests && CI=1 jlpm playwright test -c playwright.installed.config.js'

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "Failed suites: ${failed[*]}"
fi
echo "suites: ${passed} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
