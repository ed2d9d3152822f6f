#!/usr/bin/env bash
# One-time (and then near-instant) set-up: the .venv with pinned packages,
# the pinned Pulumi CLI with its Python plugins linked into .venv/bin, so that
# `source .venv/bin/activate` gives the right `pulumi`, and the Kafka broker's
# jars. With --python-only, the .venv alone (what `make test-fast` needs: no
# Go, no Pulumi build, no Maven).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || { echo "setup: $python not found (Python 3.11 is required)" >&2; exit 1; }
# The pinned versions and the cache path, from their one definition (stdlib only).
facts=$("$python" -m devtools.toolchain env)
eval "$facts"

# 1. The virtualenv, reinstalled only when the pins change. uv (itself pinned,
#    installed once per user into the cache) links packages from its cache, so
#    a fresh clone's .venv takes seconds instead of a minute with pip.
cache="$VASTOBS_CACHE_DIR"
uv="$cache/uv-$UV_VERSION/bin/uv"
if [[ ! -x "$uv" ]]; then
  echo "setup: installing uv $UV_VERSION into $cache" >&2
  rm -rf "$cache/uv-$UV_VERSION"
  "$python" -m venv "$cache/uv-$UV_VERSION"
  "$cache/uv-$UV_VERSION/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
fi
stamp=.venv/.vastobs-deps
want=$( (cat pyproject.toml constraints.txt; echo compile-bytecode) | sha256sum | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "setup: installing Python packages into .venv" >&2
  [[ -x .venv/bin/python ]] || "$uv" venv -q --seed --python "$python" .venv
  # compat mode: a .pth with the checkout, so new packages need no reinstall.
  # Bytecode compiled now: where PYTHONDONTWRITEBYTECODE is set, every command
  # would otherwise compile all it imports (the CLI's start-up, 4x the floor).
  VIRTUAL_ENV="$root/.venv" "$uv" pip install -q -c constraints.txt --compile-bytecode \
    --config-settings editable_mode=compat -e ".[dev]"
  echo "$want" >"$stamp"
fi
[[ "${1:-}" != "--python-only" ]] || exit 0

# 2. The Pulumi CLI and plugins: the ones on PATH when they are this version
#    and complete, else built once into the per-user cache.
bindir=""
if onpath=$(command -v pulumi 2>/dev/null) && [[ "$onpath" != "$root/.venv/bin/pulumi" ]]; then
  dir=$(dirname "$(readlink -f "$onpath")")
  if [[ "$("$onpath" version 2>/dev/null)" == "v$PULUMI_VERSION" && -x "$dir/pulumi-language-python" \
        && -x "$dir/pulumi-language-python-exec" && -x "$dir/pulumi-resource-pulumi-python" ]]; then
    bindir=$dir
  fi
fi
[[ -n "$bindir" ]] || bindir=$(PYTHON="$python" tools/build-pulumi.sh)
for tool in pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python; do
  ln -sfn "$bindir/$tool" ".venv/bin/$tool"
done

# Older language hosts (ours, see docs/toolchain.md) resolve Pulumi.yaml's
# virtualenv from the program directory (infra/), newer ones from the project
# root: a link makes both find the same .venv.
ln -sfn ../.venv infra/.venv

# 3. The Kafka broker's jars (tests and the alerts demo), from Maven Central
#    into the per-user cache once; then a check of a marker file.
PYTHON="$python" tools/fetch-kafka.sh >/dev/null

# 4. Defaults for the embedded stack when the venv is activated: a file
#    backend inside the checkout and no update check. Both only when unset.
if ! grep -q "vastobs defaults" .venv/bin/activate; then
  cat >>.venv/bin/activate <<ACT

# vastobs defaults (tools/setup.sh): local file backend, no update check
export PULUMI_BACKEND_URL="\${PULUMI_BACKEND_URL:-file://$root/.vastobs/state}"
export PULUMI_SKIP_UPDATE_CHECK="\${PULUMI_SKIP_UPDATE_CHECK:-true}"
ACT
fi
