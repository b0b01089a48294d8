#!/usr/bin/env bash
# One command from a fresh machine (Node.js 20 + npm) to a running demo:
# installs, builds the dashboard, seeds a demo facility and station, starts simulated devices.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
exec "$PNPM" demo
