#!/usr/bin/env bash
# Build the pinned Pulumi CLI and its Python plugins from the Go module proxy
# into a per-user cache, keyed by version. A second run costs a stat().
#
# Why from source: the official installer and release downloads are not
# reachable from our build machines; the Go module proxy is. See
# docs/toolchain.md for the route taken and the fallbacks that failed.
set -euo pipefail

# The pinned versions (the language host's, and why it differs, are explained
# there) and the cache path, from their one definition.
root=$(cd "$(dirname "$0")/.." && pwd)
facts=$(cd "$root" && "${PYTHON:-python3.11}" -m devtools.toolchain env)
eval "$facts"
cache="$VASTOBS_CACHE_DIR"
dest="$cache/pulumi-v$PULUMI_VERSION-host-v$PULUMI_HOST_SDK_VERSION"
bin="$dest/bin"

if [[ -x "$bin/pulumi" && -x "$bin/pulumi-language-python" && -f "$dest/.complete" ]]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build-pulumi: 'go' not found on PATH (Go >= 1.25 needed)" >&2; exit 1; }

export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN=local
export GOCACHE="$cache/go-build"
export GOMODCACHE="$cache/go-mod"
export CGO_ENABLED=0
work="$dest/src"
mkdir -p "$bin" "$work/cli" "$work/host"

ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
flags=(-trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags")

# The CLI. `go install pkg@version` refuses modules with replace directives,
# so a wrapper module requires the pinned versions and repeats the
# non-local replaces of pkg/go.mod and sdk/go.mod.
cat >"$work/cli/go.mod" <<MOD
module vastobs.local/pulumi-cli

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

replace golang.org/x/text => golang.org/x/text v0.39.0
MOD
cat >"$work/cli/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
echo "build-pulumi: building pulumi v$PULUMI_VERSION (first run: several minutes)" >&2
(cd "$work/cli" && go mod tidy && go build "${flags[@]}" -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)

# The Python language host, in a module of its own so that its sdk/v3 stays
# at the version that still contains it.
cat >"$work/host/go.mod" <<MOD
module vastobs.local/pulumi-language-python

go 1.21

require github.com/pulumi/pulumi/sdk/v3 v$PULUMI_HOST_SDK_VERSION
MOD
cat >"$work/host/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
GO
echo "build-pulumi: building pulumi-language-python (sdk v$PULUMI_HOST_SDK_VERSION)" >&2
(cd "$work/host" && go mod tidy && go build "${flags[@]}" -o "$bin/pulumi-language-python" github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python)

# The scripts a distribution ships beside the binaries: the program runner the
# host starts, and the shim that serves dynamic providers. Module-cache files
# are read-only, so copy them and make them executable.
sdkdir=$(cd "$work/cli" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
install -m 0755 "$sdkdir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"

"$bin/pulumi" version >/dev/null
touch "$dest/.complete"
# The binaries are all we keep: the Go module and build caches (~4 GB) and
# the wrapper modules go, so the cache holds ~130 MB per version.
go clean -modcache
rm -rf "$GOCACHE" "$work"
echo "$bin"
