#!/usr/bin/env bash
# The peer tools' venv (astropy, LSDB; bench/peers-requirements.txt) for `make bench`,
# apart from .venv because their pins clash with the project's (pyarrow). Built once
# with the project's pinned uv into the per-user cache, keyed by the requirements'
# hash; then near-instant. Prints the venv's python.
set -euo pipefail

source "$(dirname "$0")/lib.sh"  # $python, $root
facts=$(cd "$root" && "$python" -m devtools.toolchain env)  # the uv version, the cache path
eval "$facts"

uv="$VASTOBS_CACHE_DIR/uv-$UV_VERSION/bin/uv"
[[ -x "$uv" ]] || { echo "setup-peers: $uv not found (run make setup first)" >&2; exit 1; }
requirements="$root/bench/peers-requirements.txt"
key=$(sha256sum "$requirements" | cut -c1-12)
dest="$VASTOBS_CACHE_DIR/peers-$key"

if [[ ! -f "$dest/.complete" ]]; then
  echo "setup-peers: installing astropy and LSDB into $dest (first run: about a minute)" >&2
  rm -rf "$dest"
  "$uv" venv -q --python "$python" "$dest"
  VIRTUAL_ENV="$dest" "$uv" pip install -q --no-deps -r "$requirements"
  touch "$dest/.complete"
fi
echo "$dest/bin/python"
