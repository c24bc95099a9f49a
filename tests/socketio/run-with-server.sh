#!/usr/bin/env bash
# The Engine.IO / Socket.IO protocol tests and the official socket.io-client, in Node, against
# the built server started with etc/socketio-conformance.conf on a free port (no database).
# Usage: run-with-server.sh PATH/TO/longpolling-server [COMMAND ARGS...]
# With a COMMAND, runs that instead of the Node tests (LP_SOCKETIO_URL in its environment).
set -euo pipefail

server_bin=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "$here/../.." && pwd)

source "$source_dir/tests/support/node-runner.sh"
(($# > 0)) || ensure_node_deps "socketio tests" "$here" socket.io-client

log=$(mktemp /tmp/lp-socketio-log.XXXXXX)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

"$server_bin" -c "$source_dir/etc/socketio-conformance.conf" -i 127.0.0.1 -p 0 >"$log" 2>&1 &
server_pid=$!
port=$(server_port "socketio tests" "$log")

status=0
(($# > 0)) || set -- node --test "$here/protocol.test.mjs" "$here/client.test.mjs"
LP_SOCKETIO_URL="http://127.0.0.1:$port" "$@" || status=$?
if ((status != 0)); then
  tail -n 30 "$log" >&2
fi
exit "$status"
