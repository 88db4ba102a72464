#!/usr/bin/env bash
# Set up everything in .venv (first run only) and start JupyterLab with the
# extension. Extra arguments go to `jupyter lab`.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

setup_dev dev

extra=()
[ "$(id -u)" -eq 0 ] && extra+=(--allow-root)
log "Starting JupyterLab"
exec jupyter lab "${extra[@]}" "$@"
