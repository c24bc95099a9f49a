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

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 18)); then
  echo "browser tests: Node >= 18 is needed (playwright-core 1.61, the last for Debian 12's Node 18), found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi
# The locked version, not whatever an earlier checkout left in node_modules.
installed=$(node -p 'require("'"$here"'/node_modules/playwright-core/package.json").version' 2>/dev/null || echo none)
wanted=$(node -p 'require("'"$here"'/package.json").devDependencies["playwright-core"]')
if [[ $installed != "$wanted" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

db=lp_browser_$$
psql() { "$LP_TEST_PG_SCRIPT" psql "$LP_TEST_PG_DIR" "$@"; }
server_pid=""
log=$(mktemp /tmp/lp-browser-log.XXXXXX)
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  psql -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -f "$log"
}
trap cleanup EXIT

psql -d postgres -qc "CREATE DATABASE $db"
psql -d "$db" -q -f "$LP_SOURCE_DIR/etc/demo.sql" >/dev/null
psql -d "$db" -q -f "$LP_SOURCE_DIR/etc/bus.sql" >/dev/null
pg_flags=(--db-host "$LP_TEST_PGHOST" --db-port "$LP_TEST_PGPORT" --db-user "$LP_TEST_PGUSER")

failures=0
for version in 15 14; do
  # Emptied here, not by the server's redirection: that happens in the child, which may run
  # after the loop below has read the previous server's port from the old log.
  : >"$log"
  "$server_bin" -i 127.0.0.1 -p 0 -d "$db" "${pg_flags[@]}" --odoo-version "$version" --bus-allow-send True --examples True \
    >"$log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 100); do
    port=$(sed -n "s/.*Start long polling server '127.0.0.1':\([0-9]*\).*/\1/p" "$log")
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$log" >&2; echo "browser tests: the server did not start" >&2; exit 1; }

  echo "== Odoo $version wire format (server on port $port)"
  if ! LP_BROWSER_BASE_URL="http://127.0.0.1:$port" LP_BROWSER_ODOO_VERSION="$version" LP_BROWSER_DB="$db" \
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
