#!/usr/bin/env bash
# Installs what the extension's integration suite needs to run in a real VS Code on this network,
# outside the project's own dependencies (see ../shared/notes/real-vscode-here.md):
#   - Debian's chromium, and libkrb5-dev for code-server's kerberos native build (apt, if missing);
#   - Node 24 from npm (code-server's postinstall refuses older Node);
#   - code-server@4.139.1 (VS Code server + web workbench), installed with that Node first on PATH.
# Tools go into $CIRCUIT_INSPECTOR_TOOLS (default ~/.cache/circuit-inspector-tools). Idempotent:
# each step is skipped when its result is already there and verified; a second run takes seconds.
# Prints `CODE_SERVER=…` and `NODE24=…` paths at the end.
set -euo pipefail

# Run from an npm script, npm's own user agent (naming Node 20) leaks into the nested installs and
# code-server's postinstall then refuses to run on "node v20" even under Node 24.
unset npm_config_user_agent

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR=24
TOOLS="${CIRCUIT_INSPECTOR_TOOLS:-$HOME/.cache/circuit-inspector-tools}"
NODE_DIR="$TOOLS/node$NODE_MAJOR"
CS_DIR="$TOOLS/code-server-$CODE_SERVER_VERSION"
CS_MARKER="$CS_DIR/.verified"
started=$(date +%s)

say() { printf '[install-test-tools] %s\n' "$*"; }
elapsed() { echo "$(($(date +%s) - $1))s"; }

# npm 11 blocks dependency install scripts unless allowed. Both tools need theirs: the `node`
# package fetches its platform binary in preinstall, and code-server's postinstall installs VS Code's
# own dependencies and builds their native modules (node-pty, spdlog, kerberos, watcher…), running
# nested `npm install`s whose projects have no allowScripts of their own. The environment variable
# reaches those nested installs; it applies to these two pinned tool installs only, never to the
# project's `npm ci`.
tool_npm() {
  npm_config_dangerously_allow_all_scripts=true \
    npm_config_nodedir="${npm_config_nodedir:-/usr}" \
    npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false \
    npm "$@"
}

# --- 1. Debian packages ----------------------------------------------------------------------------
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(libkrb5-dev)
if ((${#missing[@]})); then
  t=$(date +%s)
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
  say "apt: installing ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq chromium libkrb5-dev >/dev/null
  say "apt: done in $(elapsed "$t")"
else
  say "apt: chromium and libkrb5-dev already installed"
fi
say "chromium: $(chromium --version 2>/dev/null | head -1)"

# --- 2. Node 24 ------------------------------------------------------------------------------------
node24="$NODE_DIR/node_modules/.bin/node"
if [ -x "$node24" ] && "$node24" --version 2>/dev/null | grep -q "^v$NODE_MAJOR\."; then
  say "node: $("$node24" --version) already in $NODE_DIR"
else
  t=$(date +%s)
  say "node: installing node@$NODE_MAJOR into $NODE_DIR"
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  printf '{ "name": "circuit-inspector-node%s", "private": true }\n' "$NODE_MAJOR" >"$NODE_DIR/package.json"
  (cd "$NODE_DIR" && tool_npm install --no-save --loglevel=error "node@$NODE_MAJOR")
  if ! "$node24" --version 2>/dev/null | grep -q "^v$NODE_MAJOR\."; then
    say "node: $node24 is not Node $NODE_MAJOR after install (did its preinstall run?)" >&2
    exit 1
  fi
  say "node: $("$node24" --version) installed in $(elapsed "$t")"
fi
NODE24_BIN="$(dirname "$(readlink -f "$node24")")"

# --- 3. code-server --------------------------------------------------------------------------------
code_server="$CS_DIR/node_modules/.bin/code-server"

# Starts code-server on a free port with throwaway dirs and waits for its HTTP server: proves the
# install (and the native modules it loads at startup) work under Node 24.
verify_code_server() {
  local run port pid ok=1 i
  run="$(mktemp -d)"
  port="$("$NODE24_BIN/node" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  mkdir -p "$run/home" "$run/ws"
  printf 'auth: none\n' >"$run/cs.yaml"
  HOME="$run/home" XDG_CONFIG_HOME="$run/home/.config" XDG_DATA_HOME="$run/home/.local/share" \
    XDG_CACHE_HOME="$run/home/.cache" TMPDIR="$run" PATH="$NODE24_BIN:$PATH" \
    setsid "$code_server" --bind-addr "127.0.0.1:$port" --auth none --disable-telemetry \
    --disable-update-check --config "$run/cs.yaml" --user-data-dir "$run/data" \
    --extensions-dir "$run/ext" "$run/ws" >"$run/log" 2>&1 &
  pid=$!
  for i in $(seq 1 300); do
    if grep -q 'HTTP server listening' "$run/log"; then
      # The workbench page must be served too (it needs the server's VS Code modules).
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/?folder=$run/ws" 2>/dev/null ||
        "$NODE24_BIN/node" -e "fetch('http://127.0.0.1:$port/').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
        ok=0
      fi
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$ok" -ne 0 ]; then
    say "code-server did not start; its log:" >&2
    cat "$run/log" >&2
  fi
  rm -rf "$run"
  return "$ok"
}

if [ -f "$CS_MARKER" ] && [ -x "$code_server" ]; then
  say "code-server: $CODE_SERVER_VERSION already in $CS_DIR"
else
  t=$(date +%s)
  say "code-server: installing code-server@$CODE_SERVER_VERSION into $CS_DIR with $("$NODE24_BIN/node" --version) (a few minutes)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  printf '{ "name": "circuit-inspector-code-server", "private": true }\n' >"$CS_DIR/package.json"
  (cd "$CS_DIR" && PATH="$NODE24_BIN:$PATH" tool_npm install --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION")
  # The postinstall installs VS Code's server dependencies; their absence means it was skipped.
  cs_pkg="$CS_DIR/node_modules/code-server"
  if [ ! -d "$cs_pkg/lib/vscode/node_modules" ]; then
    say "code-server: its postinstall did not run ($cs_pkg/lib/vscode/node_modules is missing)" >&2
    exit 1
  fi
  natives="$(find "$cs_pkg" -name '*.node' -path '*build/Release*' | wc -l)"
  say "code-server: installed in $(elapsed "$t"), $natives native modules built"
  t=$(date +%s)
  verify_code_server
  date -u +%FT%TZ >"$CS_MARKER"
  say "code-server: verified (started and served the workbench) in $(elapsed "$t")"
fi

say "done in $(elapsed "$started")"
echo "NODE24=$NODE24_BIN/node"
echo "CODE_SERVER=$code_server"
