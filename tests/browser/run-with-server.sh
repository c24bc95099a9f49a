#!/usr/bin/env bash
# The browser clients (client/bus.js, client/longpolling.js) in Debian's headless Chromium,
# driven by Node with playwright-core, against the real server on a fresh database, for
# Odoo 15 and Odoo 14 wire formats. Needs what scripts/test provides: LP_TEST_PGHOST,
# LP_TEST_PGPORT, LP_TEST_PGUSER, LP_TEST_PG_SCRIPT, LP_TEST_PG_DIR, LP_SOURCE_DIR.
# Usage: run-with-server.sh PATH/TO/longpolling-server
set -euo pipefail

server_bin=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${LP_TEST_PGHOST:?run through scripts/test}" "${LP_SOURCE_DIR:?run through scripts/test}"

# playwright-core 1.61 is the last for Debian 12's Node 18.
source "$LP_SOURCE_DIR/tests/support/node-runner.sh"
ensure_node_deps "browser tests" "$here" playwright-core
# The socket.io-client the server serves to client/socketio.js (scripts/setup installs it too).
ensure_node_deps "browser tests" "$LP_SOURCE_DIR/client" socket.io-client

db=lp_browser_$$
psql() { "$LP_TEST_PG_SCRIPT" psql "$LP_TEST_PG_DIR" "$@"; }
server_pid=""
log=$(mktemp /tmp/lp-browser-log.XXXXXX)
data_dir=$(mktemp -d /tmp/lp-browser-data.XXXXXX)
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  psql -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$log"
  rm -rf "$data_dir"
}
trap cleanup EXIT

psql -d postgres -qc "CREATE DATABASE $db"
psql -d "$db" -q -f "$LP_SOURCE_DIR/etc/demo.sql" >/dev/null
psql -d "$db" -q -f "$LP_SOURCE_DIR/etc/bus.sql" >/dev/null
pg_flags=(--db-host "$LP_TEST_PGHOST" --db-port "$LP_TEST_PGPORT" --db-user "$LP_TEST_PGUSER")
# The demo's admin (uid 2), for the Socket.IO cases' whoami (database.secret of etc/demo.sql).
session_id=$("$LP_SOURCE_DIR/scripts/make-odoo-session" --data-dir "$data_dir" --db "$db" --uid 2 --login admin \
  --password admin --secret 5f0c9a4e-3b7d-4e21-9c6a-8d2f1b7e4a90)

failures=0
for version in 15 14; do
  # Emptied here, not by the server's redirection: that happens in the child, which may run
  # after the loop below has read the previous server's port from the old log.
  : >"$log"
  "$server_bin" -i 127.0.0.1 -p 0 -d "$db" "${pg_flags[@]}" --odoo-version "$version" --bus-allow-send True --examples True --data-dir "$data_dir" \
    >"$log" 2>&1 &
  server_pid=$!
  port=$(server_port "browser tests" "$log")

  echo "== Odoo $version wire format (server on port $port)"
  if ! LP_BROWSER_BASE_URL="http://127.0.0.1:$port" LP_BROWSER_ODOO_VERSION="$version" LP_BROWSER_DB="$db" LP_BROWSER_SESSION_ID="$session_id" \
    LP_BROWSER_PUBLISH="$server_bin --send $db {channel_json} {message} --odoo-version $version ${pg_flags[*]}" \
    node "$here/run.mjs"; then
    failures=$((failures + 1))
    tail -n 30 "$log" >&2
  fi
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
done
exit "$failures"
