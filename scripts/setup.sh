#!/usr/bin/env bash
# Set up everything on a fresh machine; quick and idempotent on re-run.
#  1. .venv-rasa (Python 3.10): rasa 3.6.21 + underthesea, from requirements/rasa.{txt,lock}
#  2. .venv      (Python 3.11): app, actions, retrieval, tests, from requirements/app.{txt,lock}
#  3. database migrations, seed knowledge base, Rasa model (trained only when its inputs changed;
#     `setup.sh --no-model` leaves it for the caller, as scripts/test.sh does)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

find_python() {  # $1 = version, $2 = override
  local want=$1 override=$2
  if [[ -n "$override" ]]; then echo "$override"; return; fi
  if command -v pyenv >/dev/null && [[ -x "$(pyenv root)/versions/$(pyenv versions --bare | grep -E "^${want//./\\.}\.[0-9]+$" | tail -1)/bin/python$want" ]]; then
    echo "$(pyenv root)/versions/$(pyenv versions --bare | grep -E "^${want//./\\.}\.[0-9]+$" | tail -1)/bin/python$want"; return
  fi
  command -v "python$want" || { echo "python$want not found: install it or set PYTHON${want//./}" >&2; exit 1; }
}

make_venv() {  # $1 = dir, $2 = python, $3.. = requirement files; $LOCK = constraints
  local dir=$1 python=$2; shift 2
  local stamp="$dir/.requirements.sha256"
  local want
  want=$(cat "$@" "$LOCK" | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "setup: $dir is up to date"; return
  fi
  echo "setup: building $dir (a few minutes on a fresh machine)"
  [[ -x "$dir/bin/python" ]] || "$python" -m venv "$dir"
  local args=()
  for req in "$@"; do args+=(-r "$req"); done
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -c "$LOCK" "${args[@]}" >"$dir.install.log" 2>&1 \
    || { echo "setup: pip failed for $dir, see $dir.install.log" >&2; tail -20 "$dir.install.log" >&2; return 1; }
  echo "$want" >"$stamp"
}

PY310=$(find_python 3.10 "${PYTHON310:-}")
PY311=$(find_python 3.11 "${PYTHON311:-}")

LOCK=requirements/rasa.lock make_venv .venv-rasa "$PY310" requirements/rasa.txt &
rasa_pid=$!
LOCK=requirements/app.lock make_venv .venv "$PY311" requirements/app.txt requirements/dev.txt
wait "$rasa_pid"

mkdir -p var models
"$ROOT/.venv/bin/python" -m api.cli prepare "$@"
