#!/usr/bin/env bash
# Fetch the pinned Apache Kafka broker (devtools/toolchain.py KAFKA_VERSION) as
# jars from Maven Central: org.apache.kafka:kafka_2.13 and its runtime
# dependencies, resolved by Maven from a one-dependency pom, plus an SLF4J
# binding so the broker's log says why when it fails. No tarball: Maven Central
# has none. Cached per user, keyed by version; prints the install directory.
set -euo pipefail

source "$(dirname "$0")/lib.sh"  # $python, $root, $DEP_PLUGIN and the steps both fetches share
facts=$(cd "$root" && "$python" -m devtools.toolchain env)  # the pinned version, the cache path
eval "$facts"
SLF4J_SIMPLE_VERSION="1.7.36"  # = the slf4j-api kafka_2.13 depends on

cache="$VASTOBS_CACHE_DIR"
dest="$cache/kafka-$KAFKA_VERSION"

cached_or_need_maven Kafka "$dest"

m2="$cache/m2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>vastobs</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>$SLF4J_SIMPLE_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM

echo "fetch-kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies (first run: about 45 MB)" >&2
tmp="$dest.partial"
rm -rf "$tmp" && mkdir -p "$tmp/libs"
mvn -B -q -Dstyle.color=never -f "$work/pom.xml" -Dmaven.repo.local="$m2" "$DEP_PLUGIN:copy-dependencies" \
  -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >&2
ls "$tmp/libs"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null
install_partial "$dest"
# The jars now live in $dest; Maven's copies of Kafka's own are not needed again.
rm -rf "$m2/org/apache/kafka"
echo "$dest"
