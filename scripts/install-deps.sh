#!/usr/bin/env bash
# install-deps.sh — install the Debian packages storypipe needs, only those
# missing (so it is fast and silent on a prepared machine).
#
#   scripts/install-deps.sh          build + run (+ the demo)
#   scripts/install-deps.sh --test   also what the test suite needs
#                                    (Java and Maven for a real Kafka broker,
#                                    the JSON Schema validator, kcat, clang and
#                                    its libFuzzer runtime, and WordPress with
#                                    MariaDB and PHP for scripts/wordpress.sh)
# Runs apt-get as root, or through sudo when not root.
set -euo pipefail

pkgs=(build-essential cmake pkg-config librdkafka-dev libjansson-dev libcurl4-openssl-dev
      libhiredis-dev libmicrohttpd-dev libxxhash-dev libgmime-3.0-dev libxml2-dev redis-server redis-tools jq python3 curl
      ca-certificates)
if [ "${1:-}" = --test ]; then
  pkgs+=(libcmocka-dev python3-jsonschema kcat default-jre-headless maven docker-compose
         clang libclang-rt-14-dev llvm
         wordpress mariadb-server-core mariadb-client-core php-cli php-mysql)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
