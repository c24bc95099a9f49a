# Sourced by the Node test runners (tests/browser, tests/socketio).

# ensure_node_deps NAME DIR PACKAGE: fails unless Node >= 18 is there, then runs `npm ci` in DIR
# unless its node_modules already hold the locked version of PACKAGE (not whatever an earlier
# checkout left there).
ensure_node_deps() {
  local name=$1 dir=$2 package=$3
  local node_major installed wanted
  node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((node_major < 18)); then
    echo "$name: Node >= 18 is needed, found $(node --version 2>/dev/null || echo none)" >&2
    return 1
  fi
  installed=$(node -p 'require("'"$dir"'/node_modules/'"$package"'/package.json").version' 2>/dev/null || echo none)
  wanted=$(node -p 'const p = require("'"$dir"'/package.json"); ({...p.dependencies, ...p.devDependencies})["'"$package"'"]')
  if [[ $installed != "$wanted" ]]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# server_port NAME LOG: the port a server started with -p 0 logs in LOG (waits up to 10 s);
# fails, showing the log, when it does not start.
server_port() {
  local name=$1 log=$2 port=""
  for _ in $(seq 100); do
    port=$(sed -n "s/.*Start long polling server '127.0.0.1':\([0-9]*\).*/\1/p" "$log")
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$log" >&2; echo "$name: the server did not start" >&2; return 1; }
  echo "$port"
}
