#!/usr/bin/env bash
# client/websocket.js in headless Chromium against the real server's /websocket on a fresh
# database (see websocket_e2e.mjs, which starts and restarts the server itself). Needs what
# scripts/test provides: LP_TEST_PGHOST, LP_TEST_PGPORT, LP_TEST_PGUSER, LP_TEST_PG_SCRIPT,
# LP_TEST_PG_DIR, LP_SOURCE_DIR.
# Usage: run-websocket-e2e.sh PATH/TO/longpolling-server [ODOO_VERSION...]   (default: 16 17 18)
set -euo pipefail

server_bin=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${LP_TEST_PGHOST:?run through scripts/test}" "${LP_SOURCE_DIR:?run through scripts/test}"
# playwright-core 1.61 is the last for Debian 12's Node 18.
source "$here/../support/node-runner.sh"
ensure_node_deps "browser tests" "$here" playwright-core

db=lp_browser_ws_$$
data_dir=$(mktemp -d /tmp/lp-browser-ws.XXXXXX)
psql() { "$LP_TEST_PG_SCRIPT" psql "$LP_TEST_PG_DIR" "$@"; }
cleanup() {
  psql -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$data_dir"
}
trap cleanup EXIT

psql -d postgres -qc "CREATE DATABASE $db"
psql -d "$db" -q -f "$LP_SOURCE_DIR/etc/demo.sql" >/dev/null

export LP_WS_SERVER=$server_bin LP_WS_DB=$db LP_WS_DATA_DIR=$data_dir
LP_WS_SERVER_ARGS=$(node -p 'JSON.stringify(process.argv.slice(1))' -- -d "$db" --db-host "$LP_TEST_PGHOST" \
  --db-port "$LP_TEST_PGPORT" --db-user "$LP_TEST_PGUSER")
LP_WS_PSQL=$(node -p 'JSON.stringify(process.argv.slice(1))' -- "$LP_TEST_PG_SCRIPT" psql "$LP_TEST_PG_DIR" -d "$db")
export LP_WS_SERVER_ARGS LP_WS_PSQL
versions=("${@:2}")
((${#versions[@]})) || versions=(16 17 18)
failures=0
for version in "${versions[@]}"; do
  LP_WS_ODOO_VERSION=$version node "$here/websocket_e2e.mjs" || failures=$((failures + 1))
done
exit "$failures"
