#!/usr/bin/env bash
# Fetch and unpack the pinned Trino server (devtools/toolchain.py pins the last
# release on Maven Central) and the connectors the tests use, from Maven Central
# into a per-user cache keyed by version. Prints the install directory.
set -euo pipefail

source "$(dirname "$0")/lib.sh"  # $python, $root, $DEP_PLUGIN and the steps both fetches share
facts=$(cd "$root" && "$python" -m devtools.toolchain env)  # the pinned version, the cache path
eval "$facts"
CONNECTORS=(memory iceberg)

cache="$VASTOBS_CACHE_DIR"
dest="$cache/trino-server-$TRINO_VERSION"

cached_or_need_maven Trino "$dest"

# Maven's own repository lives in our cache too; the archives are removed
# once unpacked, so the unpacked server is the only large copy kept.
m2="$cache/m2"
downloads="$cache/downloads-trino-$TRINO_VERSION"
mkdir -p "$downloads"
fetch() { # group:artifact:version:type -> file in $downloads
  mvn -B -q -Dmaven.repo.local="$m2" "$DEP_PLUGIN:copy" -Dartifact="$1" \
    -DoutputDirectory="$downloads" -Dmdep.overWriteIfNewer=false >&2
}

echo "fetch-trino: fetching Trino $TRINO_VERSION server-core and ${CONNECTORS[*]} (first run: ~1 GB download)" >&2
fetch "io.trino:trino-server-core:$TRINO_VERSION:tar.gz"
for c in "${CONNECTORS[@]}"; do fetch "io.trino:trino-$c:$TRINO_VERSION:zip"; done

tmp="$dest.partial"
rm -rf "$tmp" && mkdir -p "$tmp"
tar -xzf "$downloads/trino-server-core-$TRINO_VERSION.tar.gz" -C "$tmp" --strip-components=1
for c in "${CONNECTORS[@]}"; do
  unpack="$tmp/plugin/.unpack-$c"
  mkdir -p "$unpack"
  "$python" -m zipfile -e "$downloads/trino-$c-$TRINO_VERSION.zip" "$unpack"
  # The zip holds one top-level directory; the plugin directory is named after the connector.
  inner=$(find "$unpack" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  mv "${inner:-$unpack}" "$tmp/plugin/$c"
  rm -rf "$unpack"
done
chmod +x "$tmp"/bin/launcher* 2>/dev/null || true
install_partial "$dest"
rm -rf "$downloads" "$m2/io/trino"
echo "$dest"
