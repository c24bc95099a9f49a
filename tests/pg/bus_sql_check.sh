#!/usr/bin/env bash
# Self-checking test of etc/bus.sql (publishing on Odoo's bus from SQL).
#
# Needs a running PostgreSQL (scripts/test provides one) and python3:
#   LP_TEST_PGHOST, LP_TEST_PGPORT, LP_TEST_PGUSER  where to connect (socket dir / port / user)
#   LP_SOURCE_DIR                                  the source tree (etc/demo.sql, etc/bus.sql)
# Creates the database lp_bus_sql_<pid>, dropped again on exit, loads etc/demo.sql and
# etc/bus.sql (twice: it must be idempotent), then checks:
#   * longpolling_json() against Python's json.dumps(v, separators=(',', ':'));
#   * bus_sendone / bus_sendmany rows, and that a LISTEN imbus session gets exactly the
#     expected payload after COMMIT only, and nothing after ROLLBACK;
#   * rejection of malformed arguments, NOTIFY payload splitting;
#   * the pos_longpolling helpers against Python's '["{}","{}","{}"]'.format(...).
# Prints "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail

: "${LP_TEST_PGHOST:?LP_TEST_PGHOST must be set (PostgreSQL socket directory or host)}"
: "${LP_TEST_PGPORT:?LP_TEST_PGPORT must be set}"
: "${LP_TEST_PGUSER:?LP_TEST_PGUSER must be set}"
: "${LP_SOURCE_DIR:?LP_SOURCE_DIR must be set (the source tree)}"

# Same binaries as scripts/pg when available; any psql >= 13 will do.
if [[ -x /usr/lib/postgresql/15/bin/psql ]]; then
  PSQL=/usr/lib/postgresql/15/bin/psql
elif command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/psql" ]]; then
  PSQL="$(pg_config --bindir)/psql"
else
  PSQL="$(command -v psql)" || { echo "psql not found" >&2; exit 1; }
fi
command -v python3 >/dev/null || { echo "python3 not found" >&2; exit 1; }

export PGHOST="$LP_TEST_PGHOST" PGPORT="$LP_TEST_PGPORT" PGUSER="$LP_TEST_PGUSER"
export PGCLIENTENCODING=UTF8 PYTHONIOENCODING=utf-8
unset PGDATABASE PGOPTIONS PGSERVICE

DB="lp_bus_sql_$$"
TMP=""
# shellcheck disable=SC2317 # only reached via trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  "$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 ||
    echo "warning: could not drop database $DB" >&2
  [[ -n $TMP ]] && rm -rf -- "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TMP="$(mktemp -d)"

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); }
fail() {
  FAILED=$((FAILED + 1))
  printf 'FAIL: %s\n' "$1" >&2
  shift
  local line
  for line in "$@"; do printf '    %s\n' "$line" >&2; done
}
# check NAME EXPECTED ACTUAL
check() {
  if [[ $2 == "$3" ]]; then pass; else fail "$1" "expected: $2" "actual:   $3"; fi
}

psql_db() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# Python's serialization, as Odoo's json_dump: d(value); also f(db, name, id) =
# pos_longpolling's channel name. Expressions use \u escapes, output may be UTF-8.
py() {
  python3 -c '
import json, sys
def d(v): return json.dumps(v, separators=(",", ":"))
def f(db, name, pos_id): return "[\"{}\",\"{}\",\"{}\"]".format(db, name, pos_id)
print(eval(sys.argv[1]))' "$1"
}

# Run one psql session (SQL on stdin) in the test database; stdout goes to $TMP/out,
# stderr to $TMP/err. Returns psql's status.
session() { psql_db >"$TMP/out" 2>"$TMP/err"; }
# The payloads of the "imbus" notifications psql printed, one per line.
payloads() {
  sed -n 's/^Asynchronous notification "imbus" with payload "\(.*\)" received from server process with PID [0-9][0-9]*\.$/\1/p' "$1"
}
max_id() { psql_db -c 'SELECT coalesce(max(id), 0) FROM bus_bus'; }
# Rows after id $1 as "channel<TAB>message" lines.
rows_after() { psql_db -F $'\t' -c "SELECT channel, message FROM bus_bus WHERE id > $1 ORDER BY id"; }

# ---------------------------------------------------------------- setup
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d postgres \
  -c "CREATE DATABASE $DB TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" >/dev/null
psql_db -f "$LP_SOURCE_DIR/etc/demo.sql" >/dev/null
for i in 1 2; do
  if psql_db -f "$LP_SOURCE_DIR/etc/bus.sql" >"$TMP/out" 2>"$TMP/err"; then
    pass
  else
    fail "load etc/bus.sql (round $i)" "$(cat "$TMP/err")"
  fi
done
# One simple-query string, as a libpq client would send it (psql -c sends -c text as one query).
if psql_db -c "$(cat "$LP_SOURCE_DIR/etc/bus.sql")" >"$TMP/out" 2>"$TMP/err"; then
  pass
else
  fail "load etc/bus.sql as one simple query" "$(cat "$TMP/err")"
fi

# ---------------------------------------------------------------- longpolling_json
# Python writes the SQL (one output line per case, in order) and the expected lines.
python3 - "$TMP" <<'PY'
import json, sys
tmp = sys.argv[1]
def d(v): return json.dumps(v, separators=(",", ":"))
def jsonb_order(v):
    # jsonb stores object keys shortest first, then bytewise: reorder like it.
    if isinstance(v, dict):
        return {k: jsonb_order(v[k]) for k in sorted(v, key=lambda k: (len(k.encode()), k.encode()))}
    if isinstance(v, list):
        return [jsonb_order(x) for x in v]
    return v
values = [
    "x", "", 'say "hi"', "back\\slash", "a/b", "\n\r\t\b\f", "\x01\x02\x1b\x1f", "\x7f",
    "caf\u00e9", "\u65e5\u672c", "\U0001F600", "\u2028\u2029", "\u0080\u00ff\u0100",
    "\uffff", "\U00010000", "\U0010FFFF", "<script>&'%\u00a0",
    "mix \u00e9 \u65e5\u672c \U0001F600 \"q\" \\ \n\x00x".replace("\x00", ""),
    0, 7, -42, 12345678901234567890123, -9007199254740993, 1.5, -0.25,
    True, False, None,
    [], {}, [[]], [[], {}],
    ["mydb", "res.partner", 7], ["mydb", "broadcast"], ["mydb", "res.partner", 7, "x\u00e9"],
    [1, [2, [3, ["\u00e9", [True, None, False]]]]],
    ["a", True, None, -1, ["x", {"k": "v"}]],
    {"a": 1, "bb": [True, None], "\u00e9": "x"},
    {"bb": 1, "a": 2, "ccc": {"zz": [], "y": "\U0001F600"}},
    {"type": "t", "payload": {"text": "caf\u00e9", "id": 3}},
    '["mydb","pos.longpolling","5"]',
]
sql, expected = [], []
for i, v in enumerate(values):
    exp = d(jsonb_order(v))
    # Once as ASCII-escaped input, once with raw UTF-8 characters in the literal.
    for how, text in (("escaped", json.dumps(v)), ("raw", json.dumps(v, ensure_ascii=False))):
        lit = "'" + text.replace("'", "''") + "'"
        sql.append("SELECT coalesce(public.longpolling_json(%s::jsonb), '<NULL>');" % lit)
        expected.append("%d-%s %s\t%s" % (i, how, json.dumps(v), exp))
sql.append("SELECT coalesce(public.longpolling_json(NULL), '<NULL>');")
expected.append("sql-null\t<NULL>")
with open(tmp + "/json.sql", "w", encoding="utf-8") as fh:
    fh.write("\n".join(sql) + "\n")
with open(tmp + "/json.expected", "w", encoding="utf-8") as fh:
    fh.write("\n".join(expected) + "\n")
PY
if psql_db -f "$TMP/json.sql" >"$TMP/json.actual" 2>"$TMP/err"; then
  mapfile -t exp_lines <"$TMP/json.expected"
  mapfile -t act_lines <"$TMP/json.actual"
  if ((${#exp_lines[@]} != ${#act_lines[@]})); then
    fail "longpolling_json: output line count" "expected ${#exp_lines[@]}, got ${#act_lines[@]}"
  fi
  for ((i = 0; i < ${#exp_lines[@]}; i++)); do
    check "longpolling_json ${exp_lines[i]%%$'\t'*}" "${exp_lines[i]#*$'\t'}" "${act_lines[i]-<missing>}"
  done
else
  fail "longpolling_json cases" "$(cat "$TMP/err")"
fi

# ---------------------------------------------------------------- bus_sendone + COMMIT
# One session: LISTEN, send inside a transaction, markers around COMMIT. The notification
# must come after the 'before-commit' marker (i.e. at COMMIT), exactly once.
# check_notified_after_commit NAME EXPECTED_PAYLOAD...  (reads $TMP/out)
check_notified_after_commit() {
  local name=$1
  shift
  local before
  before="$(sed -n '/^before-commit$/q;p' "$TMP/out" | grep -c '^Asynchronous notification' || true)"
  check "$name: no notification before COMMIT" 0 "$before"
  if ! grep -qx 'before-commit' "$TMP/out" || ! grep -qx 'after-commit' "$TMP/out"; then
    fail "$name: markers missing from session output" "$(cat "$TMP/out")"
  fi
  local expected actual
  expected="$(printf '%s\n' "$@")"
  actual="$(payloads "$TMP/out")"
  check "$name: imbus payload(s) at COMMIT" "$expected" "$actual"
}

last="$(max_id)"
if session <<SQL; then
LISTEN imbus;
BEGIN;
SELECT 'sent:' || public.bus_sendone('["mydb","res.partner",7]', '{"text":"café \ud83d\ude00","id":3}');
SELECT 'row-check:' || count(*) FROM bus_bus
 WHERE id > $last AND create_date = now() AT TIME ZONE 'utc' AND write_date = create_date
   AND create_uid IS NULL AND write_uid IS NULL;
SELECT 'before-commit';
COMMIT;
SELECT pg_sleep(0.2);
SELECT 'after-commit';
SQL
  check "bus_sendone returns 1" "sent:1" "$(grep '^sent:' "$TMP/out")"
  check "bus_sendone row dates/uids (create_date = write_date = now() utc, uids NULL)" \
    "row-check:1" "$(grep '^row-check:' "$TMP/out")"
  check_notified_after_commit "bus_sendone" "$(py 'd([["mydb","res.partner",7]])')"
  check "bus_sendone row" \
    "$(py 'd(["mydb","res.partner",7])')"$'\t'"$(py 'd({"id":3,"text":"caf\u00e9 \U0001F600"})')" \
    "$(rows_after "$last")"
else
  fail "bus_sendone session" "$(cat "$TMP/err")"
fi

# ---------------------------------------------------------------- bus_sendmany + COMMIT
last="$(max_id)"
if session <<SQL; then
LISTEN imbus;
BEGIN;
SELECT 'sent:' || public.bus_sendmany('[["a\\"b", 1], [["mydb","res.partner",7], {"x":[1,"日本"]}],
                                        ["a\\"b", "dup"], [["mydb","broadcast"], null]]');
SELECT 'before-commit';
COMMIT;
SELECT pg_sleep(0.2);
SELECT 'after-commit';
SQL
  check "bus_sendmany returns the row count" "sent:4" "$(grep '^sent:' "$TMP/out")"
  # Distinct channels, in order of first appearance.
  check_notified_after_commit "bus_sendmany" \
    "$(py 'd(["a\"b", ["mydb","res.partner",7], ["mydb","broadcast"]])')"
  check "bus_sendmany rows" \
    "$(py '"\n".join(d(c) + "\t" + d(m) for c, m in [("a\"b", 1), (["mydb","res.partner",7], {"x":[1,"\u65e5\u672c"]}), ("a\"b", "dup"), (["mydb","broadcast"], None)])')" \
    "$(rows_after "$last")"
else
  fail "bus_sendmany session" "$(cat "$TMP/err")"
fi

# ---------------------------------------------------------------- ROLLBACK: no rows, no notification
last="$(max_id)"
if session <<'SQL'; then
LISTEN imbus;
BEGIN;
SELECT 'sent:' || public.bus_sendone('"rolled-back"', '1');
SELECT 'sent:' || public.pos_send_to_all_poses('mydb', ARRAY[1,2], 'pos.longpolling', '"x"');
ROLLBACK;
SELECT pg_sleep(0.3);
SELECT 'end';
SQL
  check "rollback: functions ran" $'sent:1\nsent:2' "$(grep '^sent:' "$TMP/out")"
  check "rollback: no notification" "" "$(payloads "$TMP/out")"
  check "rollback: no rows" "" "$(rows_after "$last")"
else
  fail "rollback session" "$(cat "$TMP/err")"
fi

# ---------------------------------------------------------------- empty batch
last="$(max_id)"
if session <<'SQL'; then
LISTEN imbus;
SELECT 'sent:' || public.bus_sendmany('[]');
SELECT 'sent:' || public.pos_send_to_all_poses('mydb', '{}', 'pos.longpolling', '"x"');
SELECT pg_sleep(0.2);
SELECT 'end';
SQL
  check "empty batch returns 0" $'sent:0\nsent:0' "$(grep '^sent:' "$TMP/out")"
  check "empty batch: no notification" "" "$(payloads "$TMP/out")"
  check "empty batch: no rows" "" "$(rows_after "$last")"
else
  fail "empty batch session" "$(cat "$TMP/err")"
fi

# ---------------------------------------------------------------- malformed arguments
# expect_error NAME PATTERN SQL: the statement must fail with PATTERN in the error.
expect_error() {
  if psql_db -c "$3" >"$TMP/out" 2>"$TMP/err"; then
    fail "$1: should have raised" "$(cat "$TMP/out")"
  elif grep -q -- "$2" "$TMP/err"; then
    pass
  else
    fail "$1: unexpected error (wanted /$2/)" "$(cat "$TMP/err")"
  fi
}
last="$(max_id)"
expect_error "bus_sendmany(NULL)" "bus_sendmany: notifications is NULL" "SELECT bus_sendmany(NULL)"
expect_error "bus_sendmany(object)" "bus_sendmany: expected a JSON array" "SELECT bus_sendmany('{\"a\":1}')"
expect_error "bus_sendmany(string)" "bus_sendmany: expected a JSON array" "SELECT bus_sendmany('\"x\"')"
expect_error "bus_sendmany(non-pair)" "bus_sendmany: notification #1 is not a \[channel, message\] pair" \
  "SELECT bus_sendmany('[\"a\"]')"
expect_error "bus_sendmany(1-element)" "bus_sendmany: notification #2 is not" \
  "SELECT bus_sendmany('[[\"a\",1],[\"b\"]]')"
expect_error "bus_sendmany(3-element)" "bus_sendmany: notification #1 is not" \
  "SELECT bus_sendmany('[[\"a\",1,2]]')"
expect_error "bus_sendone(NULL channel)" "bus_sendone: channel is NULL" "SELECT bus_sendone(NULL, '1')"
expect_error "pos_send_to_all_poses(NULL id)" "pos_ids must be an array without NULLs" \
  "SELECT pos_send_to_all_poses('mydb', ARRAY[1,NULL], 'pos.longpolling', '1')"
expect_error "pos_send_to_channel_by_id(NULL version)" "odoo_version must not be NULL" \
  "SELECT pos_send_to_channel_by_id('mydb', 1, 'pos.longpolling', '1', NULL)"
check "malformed arguments insert nothing" "" "$(rows_after "$last")"

# ---------------------------------------------------------------- payload > 8000 bytes is split
last="$(max_id)"
if session <<'SQL'; then
LISTEN imbus;
SELECT 'sent:' || public.bus_sendmany(
    (SELECT jsonb_agg(jsonb_build_array('channel-' || lpad(i::text, 4, '0'), i) ORDER BY i)
       FROM generate_series(1, 1000) AS i));
SELECT pg_sleep(0.2);
SELECT 'end';
SQL
  check "split: returns 1000" "sent:1000" "$(grep '^sent:' "$TMP/out")"
  payloads "$TMP/out" >"$TMP/payloads"
  if verdict="$(python3 - "$TMP/payloads" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
want = ["channel-%04d" % i for i in range(1, 1001)]
got = [c for line in lines for c in json.loads(line)]
problems = []
if len(lines) < 2: problems.append("expected several notifications, got %d" % len(lines))
if any(len(line.encode()) >= 8000 for line in lines): problems.append("a payload is >= 8000 bytes")
if any(line != json.dumps(json.loads(line), separators=(",", ":")) for line in lines):
    problems.append("a payload is not json_dump-shaped")
if got != want: problems.append("channels differ: %r..." % got[:3])
print("; ".join(problems) or "ok")
PY
  )" && [[ $verdict == ok ]]; then
    pass
  else
    fail "split: notifications carry all channels, each < 8000 bytes" "$verdict"
  fi
else
  fail "split session" "$(cat "$TMP/err")"
fi

# ---------------------------------------------------------------- pos_longpolling helpers
check "pos_longpolling_channel (mydb, 5, pos.longpolling)" \
  "$(py 'f("mydb", "pos.longpolling", 5)')" \
  "$(psql_db -c "SELECT pos_longpolling_channel('mydb', 5, 'pos.longpolling')")"
check "pos_longpolling_channel (db-é, 12, pos.multi_session)" \
  "$(py 'f("db-\u00e9", "pos.multi_session", 12)')" \
  "$(psql_db -c "SELECT pos_longpolling_channel('db-é', 12, 'pos.multi_session')")"
check "json_dump(pos_longpolling_channel) (db-é, 12)" \
  "$(py 'd(f("db-\u00e9", "pos.multi_session", 12))')" \
  "$(psql_db -c "SELECT longpolling_json(to_jsonb(pos_longpolling_channel('db-é', 12, 'pos.multi_session')))")"
check "pos_longpolling_channel with NULL" "<NULL>" \
  "$(psql_db -c "SELECT coalesce(pos_longpolling_channel('mydb', NULL, 'x'), '<NULL>')")"

# pos_send_to_channel_by_id, Odoo <= 14 (default "PONG"): channel = json_dump(name string).
last="$(max_id)"
if session <<'SQL'; then
LISTEN imbus;
BEGIN;
SELECT 'sent:' || public.pos_send_to_channel_by_id('db-é', 5, 'pos.longpolling');
SELECT 'before-commit';
COMMIT;
SELECT pg_sleep(0.2);
SELECT 'after-commit';
SQL
  check "pos_send_to_channel_by_id v14 returns 1" "sent:1" "$(grep '^sent:' "$TMP/out")"
  check_notified_after_commit "pos_send_to_channel_by_id v14" \
    "$(py 'd([f("db-\u00e9", "pos.longpolling", 5)])')"
  check "pos_send_to_channel_by_id v14 row" \
    "$(py 'd(f("db-\u00e9", "pos.longpolling", 5)) + "\t" + d("PONG")')" "$(rows_after "$last")"
else
  fail "pos_send_to_channel_by_id v14 session" "$(cat "$TMP/err")"
fi

# Odoo 15: channel = [db, name], message = {"type": name, "payload": message}.
last="$(max_id)"
if session <<'SQL'; then
LISTEN imbus;
BEGIN;
SELECT 'sent:' || public.pos_send_to_channel_by_id('mydb', 7, 'pos.longpolling', '{"a":"é"}', 15);
SELECT 'before-commit';
COMMIT;
SELECT pg_sleep(0.2);
SELECT 'after-commit';
SQL
  check "pos_send_to_channel_by_id v15 returns 1" "sent:1" "$(grep '^sent:' "$TMP/out")"
  check_notified_after_commit "pos_send_to_channel_by_id v15" \
    "$(py 'd([["mydb", f("mydb", "pos.longpolling", 7)]])')"
  check "pos_send_to_channel_by_id v15 row" \
    "$(py 'd(["mydb", f("mydb", "pos.longpolling", 7)]) + "\t" + d({"type": f("mydb", "pos.longpolling", 7), "payload": {"a": "\u00e9"}})')" \
    "$(rows_after "$last")"
else
  fail "pos_send_to_channel_by_id v15 session" "$(cat "$TMP/err")"
fi

# pos_send_to_all_poses: one row per id (in order), ONE notification.
for version in 14 15; do
  last="$(max_id)"
  if session <<SQL; then
LISTEN imbus;
BEGIN;
SELECT 'sent:' || public.pos_send_to_all_poses('mydb', ARRAY[3,1,2], 'pos.multi_session',
                                                '{"data":{"message_ID":1}}', $version);
SELECT 'before-commit';
COMMIT;
SELECT pg_sleep(0.2);
SELECT 'after-commit';
SQL
    check "pos_send_to_all_poses v$version returns 3" "sent:3" "$(grep '^sent:' "$TMP/out")"
    if ((version == 14)); then
      chan='f("mydb", "pos.multi_session", i)'
      msg='{"data": {"message_ID": 1}}'
    else
      chan='["mydb", f("mydb", "pos.multi_session", i)]'
      msg='{"type": f("mydb", "pos.multi_session", i), "payload": {"data": {"message_ID": 1}}}'
    fi
    check_notified_after_commit "pos_send_to_all_poses v$version" "$(py "d([$chan for i in (3, 1, 2)])")"
    check "pos_send_to_all_poses v$version rows" \
      "$(py "\"\\n\".join(d($chan) + \"\\t\" + d($msg) for i in (3, 1, 2))")" "$(rows_after "$last")"
  else
    fail "pos_send_to_all_poses v$version session" "$(cat "$TMP/err")"
  fi
done

# ---------------------------------------------------------------- summary
echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
