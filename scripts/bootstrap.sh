#!/usr/bin/env bash
# Shared set-up for the quickstart commands: the pinned pnpm and the workspace's dependencies.
# Needs only Node.js 20 and npm. Sourced by demo.sh and test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION="12.4.2"
export npm_config_update_notifier=false
# No dependency compiles today (libsql ships its binary in the registry); should a native module
# ever need building, it builds against the installed Node headers where the distribution ships
# them instead of downloading headers (pnpm does not read npm's nodedir).
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi

if [[ "$(pnpm --version 2>/dev/null || true)" == "$PNPM_VERSION" ]]; then
  PNPM=pnpm
else
  # A private copy under .tools/, so nothing global is needed or changed.
  if [[ "$("$ROOT/.tools/node_modules/.bin/pnpm" --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
    echo "» installing pnpm $PNPM_VERSION into .tools/" >&2
    npm install --silent --no-save --no-package-lock --prefix "$ROOT/.tools" "pnpm@$PNPM_VERSION" >&2
  fi
  PNPM="$ROOT/.tools/node_modules/.bin/pnpm"
  # Package scripts call `pnpm` by name.
  export PATH="$ROOT/.tools/node_modules/.bin:$PATH"
fi
export PNPM

cd "$ROOT"
echo "» installing dependencies" >&2
if [[ "${CI:-}" == "true" ]]; then
  "$PNPM" install --frozen-lockfile >&2
else
  "$PNPM" install >&2
fi
