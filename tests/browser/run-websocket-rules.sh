#!/usr/bin/env bash
# client/websocket.js's reconnect rules in headless Chromium against a scripted /websocket
# (no server, no database): see websocket_rules.mjs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/node-deps.sh"
exec node "$here/websocket_rules.mjs"
