#!/usr/bin/env bash
# Makes (once) the pinned Python environment of the peer tools whose behaviour is the spec:
# mlflow (search syntax, metric history, SQLite writer), trackio (live writer and its
# own reader) and SciPy (the rank statistics of "which params matter"). Tests find it through $RUNLENS_PEERS_PYTHON, which this script prints.
# The venv lives under the build cache, outside the checkout, so CI reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
venv="$PEERS_VENV"
want="mlflow==3.17.2 trackio==0.43.0 scipy==1.17.1"
stamp="$venv/.runlens-peers"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "== installing the peer tools in $venv: $want" >&2
  python3 -m venv --clear "$venv" >&2
  timeout 1200 "$venv/bin/pip" install -q --disable-pip-version-check $want >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
