-- Publish on Odoo's long-polling bus from plain SQL, exactly as Odoo does.
--
-- Lets applications other than Odoo (triggers, ETL jobs, other services) send
-- bus notifications that Odoo's own /longpolling/poll and longpolling-server
-- deliver unchanged:
--   * one bus_bus row per notification, with `channel` and `message` holding
--     Python's json.dumps(v, separators=(',', ':')) (ensure_ascii=True) of the
--     channel and the message: Odoo selects rows with `channel IN (...)`, an
--     EXACT string comparison, so the serialization must be byte-identical;
--   * then NOTIFY imbus with the JSON list of the distinct channels, the
--     payload Odoo's sendmany sends (json_dump(list(channels))).
--
-- Everything happens in the CALLER's transaction: the rows are inserted now
-- (and vanish on ROLLBACK), and because pg_notify() is transactional the
-- notification is delivered only when that transaction commits, and never if it
-- rolls back. That is what Odoo 9.0+ does with its post-commit hook.
--
-- NOTE: pg_notify() notifies listeners of the CURRENT database. Odoo itself
-- always sends NOTIFY imbus while connected to the `postgres` database (see
-- docs: odoo-protocols.md 1.5), so a listener (Odoo's ImDispatch or our server)
-- that LISTENs on `postgres` will not be woken by these functions; it will only
-- see the rows on its next query (a new poll or a timeout). Listen on the
-- business database, or call this where the listener listens.
--
-- Loading: idempotent (CREATE OR REPLACE only), no psql meta-commands, no
-- BEGIN/COMMIT of its own (so it can be loaded inside a caller's transaction):
--     psql -v ON_ERROR_STOP=1 -1 -d mydb -f etc/bus.sql
-- or send the whole file as one libpq simple query (PQexec).
-- Requires the table bus_bus (Odoo's, or etc/demo.sql) and a UTF8 database
-- (Odoo requires UTF8 too). All functions live in schema public and refer to
-- public objects by qualified name, so callers' search_path does not matter.

-- Code points are read with ascii(), which returns a Unicode code point only in
-- UTF8 databases: refuse to install anywhere else rather than produce wrong JSON.
DO $check$
BEGIN
    IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION 'etc/bus.sql needs a UTF8 database, this one is %',
            pg_catalog.getdatabaseencoding();
    END IF;
END
$check$;

-- longpolling_json(value): Python's json.dumps(value, separators=(',', ':')).
--
-- * strings: "..." with \" \\ \n \r \t \b \f, every other character outside
--   printable ASCII (U+0000-U+001F, U+007F and all non-ASCII) as \uXXXX in
--   lowercase hex, characters above U+FFFF as a UTF-16 surrogate pair
--   (U+1F600 -> \ud83d\ude00). Same as Python's ensure_ascii=True.
-- * numbers: as jsonb prints them (identical to Python for integers; floats may
--   differ, e.g. Python prints 1e+20 where jsonb prints 100000000000000000000);
-- * true / false / null;
-- * arrays: elements in order, no spaces;
-- * objects: keys in jsonb's storage order (shorter keys first, then bytewise),
--   which is not necessarily the order the caller wrote. Fine for messages;
--   channels, which must match exactly, are strings or arrays.
-- SQL NULL gives NULL (STRICT); JSON null gives 'null'.
CREATE OR REPLACE FUNCTION public.longpolling_json(value jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
DECLARE
    result text;
    ch     text;
    cp     integer;
    esc    text;
BEGIN
    CASE pg_catalog.jsonb_typeof(value)
    WHEN 'string' THEN
        -- jsonb's own text form of a string scalar (PostgreSQL's escape_json)
        -- already matches Python for ", \, \b \f \n \r \t and U+0001-U+001F
        -- (\u00XX, lowercase). jsonb cannot hold U+0000. What remains to do is
        -- escaping U+007F and everything non-ASCII, which PostgreSQL leaves raw.
        result := value::text;
        IF result !~ '[^ -~]' THEN
            RETURN result;  -- fast path: already pure printable ASCII
        END IF;
        FOR ch IN
            SELECT DISTINCT m[1] FROM pg_catalog.regexp_matches(result, '([^ -~])', 'g') AS m
        LOOP
            cp := pg_catalog.ascii(ch);  -- the code point (UTF8 database)
            IF cp > 65535 THEN
                cp := cp - 65536;
                esc := '\u' || pg_catalog.lpad(pg_catalog.to_hex(55296 + (cp >> 10)), 4, '0')
                    || '\u' || pg_catalog.lpad(pg_catalog.to_hex(56320 + (cp & 1023)), 4, '0');
            ELSE
                esc := '\u' || pg_catalog.lpad(pg_catalog.to_hex(cp), 4, '0');
            END IF;
            -- The replacement is pure ASCII, so later replacements cannot touch it.
            result := pg_catalog.replace(result, ch, esc);
        END LOOP;
        RETURN result;
    WHEN 'array' THEN
        SELECT '[' || coalesce(pg_catalog.string_agg(public.longpolling_json(e.v), ',' ORDER BY e.n), '') || ']'
          INTO result
          FROM pg_catalog.jsonb_array_elements(value) WITH ORDINALITY AS e(v, n);
        RETURN result;
    WHEN 'object' THEN
        SELECT '{' || coalesce(pg_catalog.string_agg(
                   public.longpolling_json(pg_catalog.to_jsonb(e.k)) || ':' || public.longpolling_json(e.v),
                   ',' ORDER BY e.n), '') || '}'
          INTO result
          FROM pg_catalog.jsonb_each(value) WITH ORDINALITY AS e(k, v, n);
        RETURN result;
    ELSE
        -- number, boolean, null: jsonb prints them without spaces already.
        RETURN value::text;
    END CASE;
END
$fn$;

-- bus_sendmany(notifications): Odoo 8-14's bus.bus.sendmany(notifications).
--
-- `notifications` is a JSON array of [channel, message] pairs; channel is any
-- JSON value (a string such as "my_channel" or an array such as
-- ["mydb","res.partner",7]), message any JSON value. For each pair, in order,
-- inserts one bus_bus row (channel and message serialized by longpolling_json,
-- create_date = write_date = now() at time zone 'utc' -- the transaction's start
-- time, as Odoo's ORM stores it -- and create_uid/write_uid NULL), then queues
-- pg_notify('imbus', <JSON array of the distinct channels>), channels in order
-- of first appearance, which PostgreSQL delivers at COMMIT.
--
-- Normally that is ONE notification. A payload must stay under PostgreSQL's
-- 8000-byte NOTIFY limit, so when it would not, the channel list is split over
-- several notifications, like Odoo 15's get_notify_payloads (listeners merge
-- all payloads; a single channel longer than the limit makes pg_notify fail).
-- Also, PostgreSQL folds identical notifications of one transaction into one.
--
-- Returns the number of rows inserted. An empty array inserts nothing, sends
-- nothing and returns 0 (Odoo: `if channels:`). Anything that is not an array
-- of 2-element arrays raises an exception.
CREATE OR REPLACE FUNCTION public.bus_sendmany(notifications jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $fn$
DECLARE
    max_payload CONSTANT integer := 7999;  -- bytes; PostgreSQL rejects >= 8000
    bad      jsonb;
    bad_pos  bigint;
    channels text[];
    payload  text;
    next_one text;
    ch       text;
    n_rows   integer;
BEGIN
    IF notifications IS NULL THEN
        RAISE EXCEPTION 'bus_sendmany: notifications is NULL, expected a JSON array of [channel, message] pairs';
    END IF;
    IF pg_catalog.jsonb_typeof(notifications) <> 'array' THEN
        RAISE EXCEPTION 'bus_sendmany: expected a JSON array of [channel, message] pairs, got a JSON %: %',
            pg_catalog.jsonb_typeof(notifications), pg_catalog.left(notifications::text, 200);
    END IF;

    SELECT e.v, e.n INTO bad, bad_pos
      FROM pg_catalog.jsonb_array_elements(notifications) WITH ORDINALITY AS e(v, n)
     WHERE pg_catalog.jsonb_typeof(e.v) <> 'array' OR pg_catalog.jsonb_array_length(e.v) <> 2
     ORDER BY e.n
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'bus_sendmany: notification #% is not a [channel, message] pair: %',
            bad_pos, pg_catalog.left(bad::text, 200);
    END IF;

    -- Serialize each pair once; insert in input order so ids follow that order.
    WITH pairs AS (
        SELECT e.n,
               public.longpolling_json(e.v -> 0) AS channel,
               public.longpolling_json(e.v -> 1) AS message
          FROM pg_catalog.jsonb_array_elements(notifications) WITH ORDINALITY AS e(v, n)
    ), inserted AS (
        INSERT INTO public.bus_bus (channel, message, create_date, create_uid, write_date, write_uid)
        SELECT p.channel, p.message, now() AT TIME ZONE 'utc', NULL, now() AT TIME ZONE 'utc', NULL
          FROM pairs AS p
         ORDER BY p.n
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM inserted),
           (SELECT pg_catalog.array_agg(d.channel ORDER BY d.first)
              FROM (SELECT p.channel, min(p.n) AS first FROM pairs AS p GROUP BY p.channel) AS d)
      INTO n_rows, channels;

    IF n_rows = 0 THEN
        RETURN 0;
    END IF;

    -- The channels are already serialized, so the payload is '[' || join || ']'
    -- (= longpolling_json of the list). Split only if it would be too long.
    payload := NULL;
    FOREACH ch IN ARRAY channels LOOP
        IF payload IS NULL THEN
            payload := ch;
        ELSE
            next_one := payload || ',' || ch;
            IF pg_catalog.octet_length(next_one) + 2 > max_payload THEN
                PERFORM pg_catalog.pg_notify('imbus', '[' || payload || ']');
                payload := ch;
            ELSE
                payload := next_one;
            END IF;
        END IF;
    END LOOP;
    PERFORM pg_catalog.pg_notify('imbus', '[' || payload || ']');

    RETURN n_rows;
END
$fn$;

-- bus_sendone(channel, message): Odoo 8-14's bus.bus.sendone(channel, message),
-- i.e. bus_sendmany([[channel, message]]). Returns 1. A SQL NULL channel is
-- rejected; a SQL NULL message is sent as JSON null (Python's None).
CREATE OR REPLACE FUNCTION public.bus_sendone(channel jsonb, message jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $fn$
BEGIN
    IF channel IS NULL THEN
        RAISE EXCEPTION 'bus_sendone: channel is NULL';
    END IF;
    RETURN public.bus_sendmany(pg_catalog.jsonb_build_array(
        pg_catalog.jsonb_build_array(channel, coalesce(message, 'null'::jsonb))));
END
$fn$;

-- pos_longpolling_channel(dbname, pos_id, channel_name): the channel NAME that
-- it-projects-llc's pos_longpolling uses (Odoo 8-14), from
-- pos.config._get_full_channel_name_by_id:
--     '["{}","{}","{}"]'.format(dbname, channel_name, pos_id)
-- e.g. ('mydb', 5, 'pos.longpolling') -> ["mydb","pos.longpolling","5"].
-- It is a plain STRING that happens to look like JSON (the id is quoted, nothing
-- is escaped, just like Python's format); the bus then json-encodes that string
-- again, so the bus_bus.channel column holds a JSON string literal. The POS
-- JavaScript builds the same string with JSON.stringify([db, name, String(id)]).
-- NULL if any argument is NULL.
CREATE OR REPLACE FUNCTION public.pos_longpolling_channel(dbname text, pos_id integer, channel_name text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
    SELECT '["' || dbname || '","' || channel_name || '","' || pos_id::text || '"]'
$fn$;

-- Internal: the [channel, message] pair pos_longpolling sends to one POS.
--   odoo_version <= 14: channel = the channel name string (JSON-encoded again
--                       in the column), message unchanged;
--   odoo_version >= 15: channel = [dbname, name] (Odoo 15's channel_with_db for
--                       a string target), message = {"type": name,
--                       "payload": message} (15's notification = type+payload).
CREATE OR REPLACE FUNCTION public.pos_longpolling_notification(dbname text, pos_id integer, channel_name text,
                                                               message jsonb, odoo_version integer)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $fn$
DECLARE
    chan text;
BEGIN
    IF dbname IS NULL OR pos_id IS NULL OR channel_name IS NULL THEN
        RAISE EXCEPTION 'pos_longpolling: dbname, pos_id and channel_name must not be NULL';
    END IF;
    IF odoo_version IS NULL THEN
        RAISE EXCEPTION 'pos_longpolling: odoo_version must not be NULL';
    END IF;
    chan := public.pos_longpolling_channel(dbname, pos_id, channel_name);
    message := coalesce(message, 'null'::jsonb);
    IF odoo_version <= 14 THEN
        RETURN pg_catalog.jsonb_build_array(pg_catalog.to_jsonb(chan), message);
    END IF;
    RETURN pg_catalog.jsonb_build_array(
        pg_catalog.jsonb_build_array(dbname, chan),
        pg_catalog.jsonb_build_object('type', chan, 'payload', message));
END
$fn$;

-- pos_send_to_channel_by_id(...): pos.config._send_to_channel_by_id(dbname,
-- pos_id, channel_name, message="PONG"): one notification to one POS on
-- pos_longpolling_channel(dbname, pos_id, channel_name), shaped for
-- odoo_version as described for pos_longpolling_notification above.
-- Returns 1 (the number of rows, as Odoo's method does).
CREATE OR REPLACE FUNCTION public.pos_send_to_channel_by_id(dbname text, pos_id integer, channel_name text,
                                                            message jsonb DEFAULT '"PONG"',
                                                            odoo_version integer DEFAULT 14)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $fn$
BEGIN
    RETURN public.bus_sendmany(pg_catalog.jsonb_build_array(
        public.pos_longpolling_notification(dbname, pos_id, channel_name, message, odoo_version)));
END
$fn$;

-- pos_send_to_all_poses(...): the same message to every POS in pos_ids (like
-- pos.config.send_to_all_poses, but with explicit ids since this database may
-- not be the POS's), as ONE bus_sendmany call, hence one NOTIFY. Returns the
-- number of rows (0 for an empty array). NULL ids are rejected.
CREATE OR REPLACE FUNCTION public.pos_send_to_all_poses(dbname text, pos_ids integer[], channel_name text,
                                                        message jsonb, odoo_version integer DEFAULT 14)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
AS $fn$
DECLARE
    batch jsonb;
BEGIN
    IF pos_ids IS NULL OR pg_catalog.array_position(pos_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'pos_send_to_all_poses: pos_ids must be an array without NULLs, got %', pos_ids;
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(
               public.pos_longpolling_notification(dbname, p.id, channel_name, message, odoo_version)
               ORDER BY p.n), '[]'::jsonb)
      INTO batch
      FROM pg_catalog.unnest(pos_ids) WITH ORDINALITY AS p(id, n);
    RETURN public.bus_sendmany(batch);
END
$fn$;
