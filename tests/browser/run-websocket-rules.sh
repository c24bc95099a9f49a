#!/usr/bin/env bash
# client/websocket.js's reconnect rules in headless Chromium against a scripted /websocket
# (no server, no database): see websocket_rules.mjs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# playwright-core 1.61 is the last for Debian 12's Node 18.
source "$here/../support/node-runner.sh"
ensure_node_deps "browser tests" "$here" playwright-core
exec node "$here/websocket_rules.mjs"
