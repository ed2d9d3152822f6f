# Sourced by tools/fetch-kafka.sh and tools/fetch-trino.sh: what fetching a pinned Java
# server from Maven Central into the per-user cache shares. Each script takes its
# versions and the cache path from devtools.toolchain itself.

python="${PYTHON:-python3.11}"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# cached_or_need_maven PRODUCT DEST: when a fetch completed DEST, prints it and exits 0;
# otherwise exits 1 unless Maven is on PATH.
cached_or_need_maven() {
  if [[ -f "$2/.complete" ]]; then
    echo "$2"
    exit 0
  fi
  local script=${0##*/}
  command -v mvn >/dev/null || {
    echo "${script%.sh}: 'mvn' not found on PATH (Maven is needed to fetch $1 from Maven Central)" >&2
    exit 1
  }
}

# install_partial DEST: the finished DEST.partial becomes DEST, marked complete.
install_partial() {
  touch "$1.partial/.complete"
  rm -rf "$1" && mv "$1.partial" "$1"
}
