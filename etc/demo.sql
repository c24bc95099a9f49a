-- Small OpenERP/Odoo-shaped demo database for scripts/run (and tests).
-- Tables mirror what Odoo's ORM creates (timestamps are UTC "without time zone").
-- Safe to load into an empty database; re-loading is harmless (IF NOT EXISTS /
-- ON CONFLICT DO NOTHING).
SET client_min_messages = warning;

BEGIN;

CREATE TABLE IF NOT EXISTS res_company (
    id          serial PRIMARY KEY,
    name        varchar NOT NULL,
    partner_id  integer NOT NULL,
    parent_id   integer REFERENCES res_company (id),
    parent_path varchar
);

CREATE TABLE IF NOT EXISTS res_partner (
    id                    serial PRIMARY KEY,
    name                  varchar NOT NULL,
    email                 varchar,
    active                boolean DEFAULT true,
    company_id            integer REFERENCES res_company (id),
    parent_id             integer REFERENCES res_partner (id),
    parent_path           varchar,
    commercial_partner_id integer REFERENCES res_partner (id),
    partner_share         boolean,
    create_date           timestamp DEFAULT (now() AT TIME ZONE 'utc'),
    write_date            timestamp
);

CREATE TABLE IF NOT EXISTS res_users (
    id          serial PRIMARY KEY,
    login       varchar NOT NULL UNIQUE,
    password    varchar,
    active      boolean DEFAULT true,
    partner_id  integer REFERENCES res_partner (id),
    company_id  integer REFERENCES res_company (id),
    share       boolean DEFAULT false,
    create_date timestamp,
    write_date  timestamp
);

-- Odoo's access rights, as base creates them (Odoo 12-18 store these columns alike):
-- groups and the groups they imply, access lines per model, record rules.
CREATE TABLE IF NOT EXISTS res_company_users_rel (
    cid     integer NOT NULL REFERENCES res_company (id) ON DELETE CASCADE,
    user_id integer NOT NULL REFERENCES res_users (id) ON DELETE CASCADE,
    PRIMARY KEY (cid, user_id)
);

CREATE TABLE IF NOT EXISTS res_groups (
    id   serial PRIMARY KEY,
    name varchar NOT NULL
);

CREATE TABLE IF NOT EXISTS res_groups_users_rel (
    gid integer NOT NULL REFERENCES res_groups (id) ON DELETE CASCADE,
    uid integer NOT NULL REFERENCES res_users (id) ON DELETE CASCADE,
    PRIMARY KEY (gid, uid)
);

CREATE TABLE IF NOT EXISTS res_groups_implied_rel (
    gid integer NOT NULL REFERENCES res_groups (id) ON DELETE CASCADE,
    hid integer NOT NULL REFERENCES res_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (gid, hid)
);

CREATE TABLE IF NOT EXISTS ir_model (
    id    serial PRIMARY KEY,
    model varchar NOT NULL UNIQUE,
    name  varchar NOT NULL
);

CREATE TABLE IF NOT EXISTS ir_model_fields (
    id             serial PRIMARY KEY,
    model          varchar NOT NULL,
    name           varchar NOT NULL,
    ttype          varchar NOT NULL,
    relation       varchar,
    relation_table varchar,
    column1        varchar,
    column2        varchar
);

CREATE TABLE IF NOT EXISTS ir_model_data (
    id     serial PRIMARY KEY,
    module varchar NOT NULL,
    name   varchar NOT NULL,
    model  varchar NOT NULL,
    res_id integer
);

CREATE TABLE IF NOT EXISTS ir_model_access (
    id          serial PRIMARY KEY,
    name        varchar NOT NULL,
    active      boolean DEFAULT true,
    model_id    integer NOT NULL REFERENCES ir_model (id) ON DELETE CASCADE,
    group_id    integer REFERENCES res_groups (id) ON DELETE RESTRICT,
    perm_read   boolean,
    perm_write  boolean,
    perm_create boolean,
    perm_unlink boolean
);

CREATE TABLE IF NOT EXISTS ir_rule (
    id           serial PRIMARY KEY,
    name         varchar,
    active       boolean DEFAULT true,
    model_id     integer NOT NULL REFERENCES ir_model (id) ON DELETE CASCADE,
    domain_force text,
    perm_read    boolean DEFAULT true,
    perm_write   boolean DEFAULT true,
    perm_create  boolean DEFAULT true,
    perm_unlink  boolean DEFAULT true,
    "global"     boolean
);

CREATE TABLE IF NOT EXISTS rule_group_rel (
    rule_group_id integer NOT NULL REFERENCES ir_rule (id) ON DELETE CASCADE,
    group_id      integer NOT NULL REFERENCES res_groups (id) ON DELETE RESTRICT,
    PRIMARY KEY (rule_group_id, group_id)
);

-- Odoo 12-16 tell other processes to drop their caches by moving these (17+ has one
-- base_cache_signaling_<cache> per cache).
CREATE SEQUENCE IF NOT EXISTS base_registry_signaling;
CREATE SEQUENCE IF NOT EXISTS base_cache_signaling;

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

-- Two companies; Chicago is a branch of My Company.
INSERT INTO res_company (id, name, partner_id, parent_id, parent_path) VALUES
    (1, 'My Company',           1, NULL, '1/'),
    (2, 'My Company (Chicago)', 8, 1,    '1/2/')
ON CONFLICT (id) DO NOTHING;

-- Deco Addict is a customer company; Joel Willis, its contact, has a portal account.
INSERT INTO res_partner (id, name, email, company_id, parent_id, parent_path, commercial_partner_id, partner_share,
                         write_date) VALUES
    (1, 'My Company',           'info@yourcompany.example.com',  1,    NULL, '1/',   1, false, now() AT TIME ZONE 'utc'),
    (2, 'Administrator',        'admin@yourcompany.example.com', 1,    NULL, '2/',   2, false, now() AT TIME ZONE 'utc'),
    (3, 'Marc Demo',            'mark.brown23@example.com',      1,    NULL, '3/',   3, false, now() AT TIME ZONE 'utc'),
    (4, 'Joel Willis',          'joel.willis63@example.com',     1,    5,    '5/4/', 5, true,  now() AT TIME ZONE 'utc'),
    (5, 'Deco Addict',          'deco.addict82@example.com',     1,    NULL, '5/',   5, true,  now() AT TIME ZONE 'utc'),
    (6, 'Chicago Customer',     'buyer@chicago.example.com',     2,    NULL, '6/',   6, true,  now() AT TIME ZONE 'utc'),
    (7, 'Public user',          NULL,                            1,    NULL, '7/',   7, true,  now() AT TIME ZONE 'utc'),
    (8, 'My Company (Chicago)', 'chicago@yourcompany.example.com', 2,  NULL, '8/',   8, false, now() AT TIME ZONE 'utc')
ON CONFLICT (id) DO NOTHING;

-- As in Odoo: uid 1 is the inactive superuser __system__, uid 2 is admin; demo is an
-- internal user of My Company only, portal a portal user, public the inactive public user.
-- Demo passwords are plain text; Odoo would hash them on first use.
INSERT INTO res_users (id, login, password, active, partner_id, company_id, share, create_date, write_date) VALUES
    (1, '__system__', NULL,     false, 1, 1, false, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'),
    (2, 'admin',      'admin',  true,  2, 1, false, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'),
    (3, 'demo',       'demo',   true,  3, 1, false, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'),
    (4, 'portal',     'portal', true,  4, 1, true,  now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc'),
    (5, 'public',     NULL,     false, 7, 1, true,  now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')
ON CONFLICT (id) DO NOTHING;

INSERT INTO res_company_users_rel (cid, user_id) VALUES
    (1, 1), (2, 1), (1, 2), (2, 2), (1, 3), (1, 4), (1, 5)
ON CONFLICT DO NOTHING;

-- base's groups: Access Rights (admin) and Contact Creation imply Internal User; Portal and
-- Public are separate roles.
INSERT INTO res_groups (id, name) VALUES
    (1, 'Internal User'), (2, 'Access Rights'), (3, 'Contact Creation'), (10, 'Portal'), (11, 'Public')
ON CONFLICT (id) DO NOTHING;

INSERT INTO res_groups_implied_rel (gid, hid) VALUES
    (2, 1), (3, 1)
ON CONFLICT DO NOTHING;

-- Odoo stores implied groups on the user too; admin's row for Internal User is left out on
-- purpose: it comes from Access Rights' implication.
INSERT INTO res_groups_users_rel (gid, uid) VALUES
    (2, 2), (3, 2), (1, 3), (10, 4), (11, 5)
ON CONFLICT DO NOTHING;

INSERT INTO ir_model (id, model, name) VALUES
    (1, 'res.partner', 'Contact'), (2, 'res.users', 'User'), (3, 'res.company', 'Companies'),
    (4, 'bus.bus', 'Communication Bus'), (5, 'ir.config_parameter', 'System Parameter')
ON CONFLICT (id) DO NOTHING;

INSERT INTO ir_model_fields (id, model, name, ttype, relation, relation_table, column1, column2) VALUES
    (1, 'res.users', 'company_ids', 'many2many', 'res.company', 'res_company_users_rel', 'user_id', 'cid'),
    (2, 'res.users', 'groups_id',   'many2many', 'res.groups',  'res_groups_users_rel',  'uid',     'gid')
ON CONFLICT (id) DO NOTHING;

INSERT INTO ir_model_data (id, module, name, model, res_id) VALUES
    (1, 'base', 'user_root',     'res.users',  1),
    (2, 'base', 'user_admin',    'res.users',  2),
    (3, 'base', 'public_user',   'res.users',  5),
    (4, 'base', 'group_user',    'res.groups', 1),
    (5, 'base', 'group_portal',  'res.groups', 10),
    (6, 'base', 'group_public',  'res.groups', 11)
ON CONFLICT (id) DO NOTHING;

-- base's ir.model.access.csv lines for reading these models (no line: nobody reads it).
INSERT INTO ir_model_access (id, name, model_id, group_id, perm_read, perm_write, perm_create, perm_unlink) VALUES
    (1, 'res_partner group_user',         1, 1,    true, false, false, false),
    (2, 'res_partner group_partner_manager', 1, 3, true, true,  true,  true),
    (3, 'res_partner group_portal',       1, 10,   true, false, false, false),
    (4, 'res_partner group_public',       1, 11,   true, false, false, false),
    (5, 'res_users all',                  2, NULL, true, false, false, false),
    (6, 'res_company all',                3, NULL, true, false, false, false)
ON CONFLICT (id) DO NOTHING;

-- base_security.xml's rules (Odoo 14-18 text).
INSERT INTO ir_rule (id, name, model_id, domain_force, perm_read, perm_write, perm_create, perm_unlink, "global") VALUES
    (1, 'res.partner company', 1,
        '[''|'', ''|'', (''partner_share'', ''='', False), (''company_id'', ''parent_of'', company_ids), (''company_id'', ''='', False)]',
        true, true, true, true, true),
    (2, 'res_partner: portal/public: read access on my commercial partner', 1,
        '[(''id'', ''child_of'', user.commercial_partner_id.id)]', true, false, false, false, false),
    (3, 'user rule', 2,
        '[''|'', (''share'', ''='', False), (''company_ids'', ''in'', company_ids)]', true, true, true, true, true),
    (4, 'company rule employee', 3, '[(''id'', ''in'', company_ids)]', true, true, true, true, false)
ON CONFLICT (id) DO NOTHING;

INSERT INTO rule_group_rel (rule_group_id, group_id) VALUES
    (2, 10), (2, 11), (4, 1)
ON CONFLICT DO NOTHING;

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
    PERFORM setval('res_company_id_seq',         (SELECT max(id) FROM res_company));
    PERFORM setval('res_partner_id_seq',         (SELECT max(id) FROM res_partner));
    PERFORM setval('res_groups_id_seq',          (SELECT max(id) FROM res_groups));
    PERFORM setval('ir_model_id_seq',            (SELECT max(id) FROM ir_model));
    PERFORM setval('ir_model_fields_id_seq',     (SELECT max(id) FROM ir_model_fields));
    PERFORM setval('ir_model_data_id_seq',       (SELECT max(id) FROM ir_model_data));
    PERFORM setval('ir_model_access_id_seq',     (SELECT max(id) FROM ir_model_access));
    PERFORM setval('ir_rule_id_seq',             (SELECT max(id) FROM ir_rule));
    PERFORM setval('res_users_id_seq',           (SELECT max(id) FROM res_users));
    PERFORM setval('ir_config_parameter_id_seq', (SELECT max(id) FROM ir_config_parameter));
    PERFORM setval('bus_bus_id_seq',             (SELECT max(id) FROM bus_bus));
    PERFORM setval('bus_presence_id_seq',        (SELECT max(id) FROM bus_presence));
END
$$;

COMMIT;
