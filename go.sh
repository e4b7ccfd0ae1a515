#!/usr/bin/env bash
# Set everything up on a fresh machine (venv, packages, Graphviz's `dot`), then run one job:
#   bash go.sh demo    the main job
#   bash go.sh test    the test suite (what CI runs)
#   bash go.sh example NAME    one of the course's experiments, examples/NAME.py (figures in out/examples/NAME)
# Extra arguments go to the job, e.g. `bash go.sh test -k gradcheck`.
set -euo pipefail
cd "$(dirname "$0")"
job="${1:-demo}"
shift || true
VENV="${VENV:-.venv}"
# The jobs multiply small matrices: BLAS threads only contend with each other on a busy machine
# (measured here: 3x slower). Set OPENBLAS_NUM_THREADS yourself to override.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
PY="${PYTHON:-python3}"

say() { printf '[go.sh] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else return 1
  fi
}

ensure_dot() {
  command -v dot >/dev/null 2>&1 && return 0
  say "Graphviz's dot is missing; installing it"
  if command -v apt-get >/dev/null 2>&1; then
    if as_root apt-get update -qq >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; then
      return 0
    fi
  elif command -v brew >/dev/null 2>&1; then
    brew install graphviz >/dev/null && return 0
  fi
  say "could not install Graphviz here: graphs are still written as DOT text, but rendering SVG/PNG needs dot"
  say "install it yourself with: apt-get install graphviz | brew install graphviz | conda install graphviz"
}

ensure_chromium() {
  # The browser tests drive Debian's Chromium with Playwright (Playwright's own browser download is not used).
  command -v chromium >/dev/null 2>&1 && return 0
  say "Chromium is missing (the browser tests of viz's pages need it); installing it"
  if command -v apt-get >/dev/null 2>&1 && as_root apt-get update -qq >/dev/null \
      && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    return 0
  fi
  say "could not install Chromium here: the browser tests will be skipped (apt-get install chromium)"
}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      say "python venv support is missing; installing python3-venv with apt"
      as_root apt-get update -qq >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$PY" -m venv "$VENV"
    fi
  fi
  local extras="$1"
  local stamp="$VENV/.installed-$extras"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "installing tinygrad-notes[$extras] into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$extras]"
    touch "$stamp"
  fi
}

case "$job" in
  demo)
    ensure_dot
    ensure_venv "demo,search"
    exec "$VENV/bin/python" -m tinygrad_notes demo "$@"
    ;;
  test)
    ensure_dot
    ensure_chromium
    ensure_venv "test,demo,search,cluster"
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  example)
    name="${1:-}"
    shift || true
    if [ -z "$name" ] || [ ! -f "examples/$name.py" ] || [ "${name#_}" != "$name" ]; then
      say "which example? bash go.sh example NAME [--quick] [--seed N] [--out DIR], NAME one of:"
      for f in examples/[!_]*.py; do f="${f#examples/}"; printf '  %s\n' "${f%.py}" >&2; done
      exit 2
    fi
    ensure_dot
    ensure_venv "demo,search"
    exec "$VENV/bin/python" "examples/$name.py" "$@"
    ;;
  *)
    say "unknown job '$job': use 'bash go.sh demo', 'bash go.sh test' or 'bash go.sh example NAME'"
    exit 2
    ;;
esac
