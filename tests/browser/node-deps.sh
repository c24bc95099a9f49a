# Sourced by the browser test scripts: checks Node (>= 18: playwright-core 1.61, the last for
# Debian 12's Node 18) and installs the locked playwright-core into node_modules when missing.
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
