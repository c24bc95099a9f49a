-- Small OpenERP/Odoo-shaped demo database for scripts/run (and tests).
-- Tables mirror what Odoo's ORM creates (timestamps are UTC "without time zone").
-- Safe to load into an empty database; re-loading is harmless (IF NOT EXISTS /
-- ON CONFLICT DO NOTHING).
SET client_min_messages = warning;

BEGIN;

CREATE TABLE IF NOT EXISTS res_partner (
    id          serial PRIMARY KEY,
    name        varchar NOT NULL,
    email       varchar,
    active      boolean DEFAULT true,
    create_date timestamp DEFAULT (now() AT TIME ZONE 'utc'),
    write_date  timestamp
);

CREATE TABLE IF NOT EXISTS res_users (
    id          serial PRIMARY KEY,
    login       varchar NOT NULL UNIQUE,
    password    varchar,
    active      boolean DEFAULT true,
    partner_id  integer REFERENCES res_partner (id),
    share       boolean DEFAULT false,
    create_date timestamp,
    write_date  timestamp
);

CREATE TABLE IF NOT EXISTS ir_config_parameter (
    id          serial PRIMARY KEY,
    key         varchar NOT NULL UNIQUE,
    value       text NOT NULL,
    create_date timestamp,
    write_date  timestamp
);

-- Odoo's bus: one row per notification; pollers read rows with id > last.
CREATE TABLE IF NOT EXISTS bus_bus (
    id          serial PRIMARY KEY,
    channel     varchar,
    message     varchar,
    create_date timestamp DEFAULT (now() AT TIME ZONE 'utc'),
    create_uid  integer REFERENCES res_users (id) ON DELETE SET NULL,
    write_date  timestamp,
    write_uid   integer REFERENCES res_users (id) ON DELETE SET NULL
);

-- Odoo's bus.presence has _log_access = False: no create/write columns.
CREATE TABLE IF NOT EXISTS bus_presence (
    id            serial PRIMARY KEY,
    user_id       integer NOT NULL REFERENCES res_users (id) ON DELETE CASCADE,
    last_poll     timestamp DEFAULT (now() AT TIME ZONE 'utc'),
    last_presence timestamp DEFAULT (now() AT TIME ZONE 'utc'),
    status        varchar DEFAULT 'offline',
    CONSTRAINT bus_presence_bus_user_presence_unique UNIQUE (user_id)
);

INSERT INTO res_partner (id, name, email, write_date) VALUES
    (1, 'My Company',    'info@yourcompany.example.com', now() AT TIME ZONE 'utc'),
    (2, 'Administrator', 'admin@yourcompany.example.com', now() AT TIME ZONE 'utc'),
    (3, 'Marc Demo',     'mark.brown23@example.com',      now() AT TIME ZONE 'utc'),
    (4, 'Joel Willis',   'joel.willis63@example.com',     now() AT TIME ZONE 'utc')
ON CONFLICT (id) DO NOTHING;

-- As in Odoo: uid 1 is the inactive superuser __system__, uid 2 is admin.
-- Demo passwords are plain text; Odoo would hash them on first use.
INSERT INTO res_users (id, login, password, active, partner_id, share, create_date, write_date) VALUES
    (1, '__system__', NULL,    false, 1, false, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'),
    (2, 'admin',      'admin', true,  2, false, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'),
    (3, 'demo',       'demo',  true,  3, false, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')
ON CONFLICT (id) DO NOTHING;

INSERT INTO ir_config_parameter (id, key, value, create_date, write_date) VALUES
    (1, 'database.secret', '5f0c9a4e-3b7d-4e21-9c6a-8d2f1b7e4a90', now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'),
    (2, 'database.uuid',   'a3e1c2d4-6b8f-11ee-9f3a-0242ac120002', now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'),
    (3, 'web.base.url',    'http://127.0.0.1:8069',                now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')
ON CONFLICT (id) DO NOTHING;

-- Channel and message are JSON text, as Odoo's bus.bus._sendone() stores them.
INSERT INTO bus_bus (id, channel, message, create_uid, write_date, write_uid) VALUES
    (1, '["demo","res.partner",3]',
        '{"type":"demo.hello","payload":{"text":"Hello from the demo database"}}',
        2, now() AT TIME ZONE 'utc', 2)
ON CONFLICT (id) DO NOTHING;

INSERT INTO bus_presence (id, user_id, status) VALUES
    (1, 2, 'online')
ON CONFLICT (id) DO NOTHING;

-- Explicit ids above bypassed the sequences: move them past the data.
DO $$
BEGIN
    PERFORM setval('res_partner_id_seq',         (SELECT max(id) FROM res_partner));
    PERFORM setval('res_users_id_seq',           (SELECT max(id) FROM res_users));
    PERFORM setval('ir_config_parameter_id_seq', (SELECT max(id) FROM ir_config_parameter));
    PERFORM setval('bus_bus_id_seq',             (SELECT max(id) FROM bus_bus));
    PERFORM setval('bus_presence_id_seq',        (SELECT max(id) FROM bus_presence));
END
$$;

COMMIT;
