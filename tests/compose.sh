#!/usr/bin/env bash
# compose.sh — docker-compose.yml stays valid (Debian's docker-compose checks
# it without a Docker engine) and keeps the settings the README promises.
set -euo pipefail
docker-compose -f docker-compose.yml config -q
cfg=$(docker-compose -f docker-compose.yml config)
pass=1
for s in fetcher cleaner splitter deduper; do
  grep -qx -- "    - storypipe-$s" <<<"$cfg" || { echo "FAIL: no $s service"; exit 1; }
  pass=$((pass + 1))
done
grep -q "appendonly" <<<"$cfg" || { echo "FAIL: Redis without AOF"; exit 1; }
grep -q "container_name" <<<"$cfg" && { echo "FAIL: container_name prevents --scale"; exit 1; }
echo "$((pass + 2)) passed, 0 failed"
