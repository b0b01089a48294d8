#!/usr/bin/env bash
# One command from a fresh machine (Node.js 20 + npm) to a passing test run: installs what the
# tests drive for real (Debian's Chromium, Mosquitto clients, PostgreSQL 15 and nats-server,
# each started privately by the tests on free loopback ports), the dependencies, then runs lint,
# type checks and every test tier.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || need+=(postgresql)
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
if ((${#need[@]})); then
  echo "» installing Debian packages: ${need[*]}" >&2
  SUDO=""
  if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

source "$ROOT/scripts/bootstrap.sh"
export NO_COLOR=1
"$PNPM" lint
"$PNPM" typecheck
"$PNPM" test
