#!/usr/bin/env node
// client/websocket.js in headless Chromium against the real server's Odoo 16-18 /websocket
// and a real PostgreSQL: rows inserted into bus_bus (with Odoo's NOTIFY) reach the page; a
// server restart costs nothing (reconnect, re-subscribe with last, replay); 4001 after a logout
// stops the client until a new session. The test starts, stops and restarts the server itself.
//
// Run by run-websocket-e2e.sh (ctest browser.websocket_e2e), which sets:
//   LP_WS_SERVER          the longpolling-server binary
//   LP_WS_SERVER_ARGS     JSON list of its database arguments (-d DB --db-host ...)
//   LP_WS_DB              the database (bus_bus channels are stored as ["DB", channel])
//   LP_WS_DATA_DIR        Odoo data_dir the sessions are written to (DIR/sessions)
//   LP_WS_PSQL            JSON list: a psql command on that database, SQL appended after -c
//   LP_WS_ODOO_VERSION    16, 17 or 18 (17)
//   LP_SOURCE_DIR         the source tree (scripts/make-odoo-session, client/)
// and LP_BROWSER_CHROMIUM, LP_BROWSER_CASE_TIMEOUT_MS, LP_BROWSER_ONLY (chromium_cases.mjs).
import {execFile, spawn} from "node:child_process";
import {randomBytes} from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import {isDeepStrictEqual, promisify} from "node:util";
import {assert, requireChromium, runCases, sleep, startWebsocketBus, waitUntil} from "./chromium_cases.mjs";

const run = promisify(execFile);
const env = (name) => {
    const value = process.env[name];
    if (!value) {
        console.error(`websocket_e2e.mjs: ${name} is not set (run through run-websocket-e2e.sh)`);
        process.exit(2);
    }
    return value;
};
const SERVER = env("LP_WS_SERVER");
const SERVER_ARGS = JSON.parse(env("LP_WS_SERVER_ARGS"));
const DB = env("LP_WS_DB");
const DATA_DIR = env("LP_WS_DATA_DIR");
const PSQL = JSON.parse(env("LP_WS_PSQL"));
const SOURCE = env("LP_SOURCE_DIR");
const ODOO_VERSION = process.env.LP_WS_ODOO_VERSION || "17";
// Channels of this run: a row of an earlier run on the same database stays out (a subscribe
// with last 0 gets the recent rows).
const RUN = randomBytes(4).toString("hex");
const SECRET = "5f0c9a4e-3b7d-4e21-9c6a-8d2f1b7e4a90";   // etc/demo.sql's database.secret
requireChromium("websocket_e2e.mjs");

// ---------------------------------------------------------------- the server

async function freePort() {
    const probe = net.createServer();
    await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const {port} = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    return port;
}

const PORT = await freePort();
const BASE = `http://127.0.0.1:${PORT}`;
const logFile = path.join(DATA_DIR, "server.log");
let server = null;

async function startServer(extraArgs = []) {
    const log = fs.openSync(logFile, "a");
    const child = spawn(SERVER, ["-i", "127.0.0.1", "-p", String(PORT), ...SERVER_ARGS, "--stats", "True",
        "--odoo-version", ODOO_VERSION, "--data-dir", DATA_DIR, ...extraArgs], {stdio: ["ignore", log, log]});
    fs.closeSync(log);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    server = {child, exited};
    await waitUntil("the server to accept connections", async () => {
        if (child.exitCode !== null) {
            throw new Error(`the server exited with ${child.exitCode}:\n${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
        }
        try {
            return (await fetch(`${BASE}/websocket/health`)).ok;
        } catch {
            return false;
        }
    }, 10000, 50);
}

async function stopServer() {
    if (server) {
        server.child.kill("SIGTERM");
        await server.exited;
        server = null;
    }
}

// ---------------------------------------------------------------- the database

async function sql(text) {
    const [command, ...args] = PSQL;
    const {stdout} = await run(command, [...args, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", text]);
    return stdout.trim();
}

const quote = (text) => "'" + text.replace(/'/g, "''") + "'";

/** Inserts one Odoo 15+ bus_bus row on `channel` and NOTIFYs as Odoo does; returns its id. */
async function publish(channel, type, payload) {
    const stored = JSON.stringify([DB, channel]);
    const id = await sql(`INSERT INTO bus_bus (channel, message, create_date)
        VALUES (${quote(stored)}, ${quote(JSON.stringify({type, payload}))}, now() at time zone 'utc') RETURNING id;
        NOTIFY imbus, ${quote(JSON.stringify([JSON.parse(stored)]))};`);
    return Number(id.split("\n")[0]);
}

/** Writes an Odoo session file for a demo user; returns its id (the session_id cookie). */
async function makeSession(uid, login, password) {
    const {stdout} = await run(path.join(SOURCE, "scripts/make-odoo-session"), ["--data-dir", DATA_DIR, "--db", DB,
        "--uid", String(uid), "--login", login, "--password", password, "--secret", SECRET]);
    return stdout.trim();
}

function sessionFile(sid) {
    return path.join(DATA_DIR, "sessions", sid.slice(0, 2), sid);
}

// ---------------------------------------------------------------- the page

/** Records what Chromium sees of every WebSocket the page opens. */
function recordSockets(page) {
    const sockets = [];
    page.on("websocket", (ws) => {
        const record = {url: ws.url(), sent: [], closedAt: null, openedAt: Date.now()};
        sockets.push(record);
        ws.on("framesent", (f) => {
            try {
                record.sent.push(JSON.parse(f.payload));
            } catch {
                record.sent.push(f.payload);
            }
        });
        ws.on("close", () => { record.closedAt = Date.now(); });
    });
    return sockets;
}

const subscribes = (sockets) => sockets.flatMap((s) => s.sent.filter((m) => m && m.event_name === "subscribe").map((m) => m.data));

async function openPage(page, options) {
    await startWebsocketBus(page, `${BASE}/openerplongpolling/static/demo.html`, options);
    await page.waitForFunction(() => window.__bus.state === "open", null, {timeout: 10000});
}

const seenPayloads = (page) => page.evaluate(() => window.__seen.map((n) => n[1]));

/** A barrier instead of a pause: a last row on `channel`, waited for and then removed from
 * what the page saw. A row sent twice would have come before it. */
async function publishEnd(page, channel) {
    await publish(channel, "end", "end");
    await waitUntil("the end row", async () => (await seenPayloads(page)).includes("end"), 10000);
    await page.evaluate(() => { window.__seen = window.__seen.filter((n) => n[1] !== "end"); });
}
const busState = (page) => page.evaluate(() => ({state: window.__bus.state, last: window.__bus.last}));

/** The WebSocket subscribers the server holds on this database (its stats route). */
async function subscribedOnServer() {
    const stats = await (await fetch(`${BASE}/openerplongpolling/stats`)).json();
    return stats.databases[DB].websockets.subscribed;
}

/** The page's `count`th subscribe sent, and its socket (the page's only one) subscribed on
 * the server: from then on a row committed is delivered. */
async function waitSubscribed(sockets, count) {
    await waitUntil(`subscribe #${count}`, () => subscribes(sockets).length >= count, 10000);
    await waitUntil("the server to hold the subscription", async () => await subscribedOnServer() === 1, 10000, 20);
}

// ---------------------------------------------------------------- cases

const cases = [];
const testCase = (id, title, fn) => cases.push({id, title, fn});

testCase("a", "subscribe, then a bus_bus row + NOTIFY reaches on(\"notification\") once, with its id as last", async (page) => {
    const sockets = recordSockets(page);
    await openPage(page, {channels: [`e2e-a-${RUN}`]});
    await waitSubscribed(sockets, 1);
    assert(new URL(sockets[0].url).pathname === "/websocket", `connected to ${sockets[0].url}`);
    const id = await publish(`e2e-a-${RUN}`, "e2e", {n: 1});
    await waitUntil("the notification", async () => (await seenPayloads(page)).length >= 1, 10000);
    const {last} = await busState(page);
    assert(last === id, `last is ${last}, the row's id ${id}`);
    await publishEnd(page, `e2e-a-${RUN}`);
    const seen = await page.evaluate(() => window.__seen);
    assert(isDeepStrictEqual(seen, [["e2e", {n: 1}]]), `delivered ${JSON.stringify(seen)}`);
    await page.evaluate(() => window.__bus.stop_polling());
    return `row ${id} delivered`;
});

testCase("b", "server restart: 1001, reconnect with back-off, re-subscribe with last; rows written meanwhile are replayed, none twice", async (page) => {
    const sockets = recordSockets(page);
    await openPage(page, {channels: [`e2e-b-${RUN}`]});
    await waitSubscribed(sockets, 1);
    const before = await publish(`e2e-b-${RUN}`, "e2e", "before");
    await waitUntil("the first row", async () => (await seenPayloads(page)).includes("before"), 10000);

    await stopServer();
    await page.waitForFunction(() => window.__bus.state === "retrying", null, {timeout: 5000});
    const during = [await publish(`e2e-b-${RUN}`, "e2e", "during 1"), await publish(`e2e-b-${RUN}`, "e2e", "during 2")];
    await sleep(1500);   // the client retries against the stopped server meanwhile
    await startServer();
    await page.waitForFunction(() => window.__bus.state === "open", null, {timeout: 15000});
    const resubscribe = subscribes(sockets).at(-1);
    assert(isDeepStrictEqual(resubscribe, {channels: [`e2e-b-${RUN}`], last: before}),
        `re-subscribed with ${JSON.stringify(resubscribe)}, expected last ${before}`);
    await waitUntil("the rows written during the restart", async () =>
        (await seenPayloads(page)).includes("during 2"), 10000);
    await waitUntil("the server to hold the subscription", async () => await subscribedOnServer() === 1, 10000, 20);
    const after = await publish(`e2e-b-${RUN}`, "e2e", "after");
    await waitUntil("the row after the restart", async () => (await seenPayloads(page)).includes("after"), 10000);
    const {last} = await busState(page);
    await publishEnd(page, `e2e-b-${RUN}`);
    const payloads = await seenPayloads(page);
    assert(isDeepStrictEqual(payloads, ["before", "during 1", "during 2", "after"]), `delivered ${JSON.stringify(payloads)}`);
    const events = await page.evaluate(() => window.__events);
    assert(events.includes("disconnect:1001") && events.at(-1) === "reconnect", `events ${events.join(", ")}`);
    assert(last === after && during[1] < after, `last ${last}, expected ${after}`);
    await page.evaluate(() => window.__bus.stop_polling());
    return `replayed ${during.join(", ")} after the restart; events ${events.join(", ")}`;
});

testCase("c", "4001 after logout: no reconnect until a new session; then re-subscribe and deliver", async (page, context) => {
    const sockets = recordSockets(page);
    const sid = await makeSession(2, "admin", "admin");
    await context.addCookies([{name: "session_id", value: sid, url: BASE}]);
    await openPage(page, {channels: [`e2e-c-${RUN}`]});
    await waitSubscribed(sockets, 1);
    await publish(`e2e-c-${RUN}`, "e2e", "logged in");
    await waitUntil("the first row", async () => (await seenPayloads(page)).includes("logged in"), 10000);

    // Logout: Odoo's session file is gone; the next dispatch finds it out.
    fs.rmSync(sessionFile(sid));
    await publish(`e2e-c-${RUN}`, "e2e", "after logout");
    await page.waitForFunction(() => window.__bus.state === "session_expired", null, {timeout: 10000});
    const count = sockets.length;
    await sleep(3000);   // three times the first back-off delay
    assert(sockets.length === count, `${sockets.length - count} connection(s) without a new session`);
    const payloads = await seenPayloads(page);
    assert(!payloads.includes("after logout"), "a row was delivered to a logged-out session");

    // Login again: a new session cookie, and the application says so. (The presence row is
    // made old first: the update_presence sent on open must renew it.)
    await sql(`UPDATE ${PRESENCE_TABLE} SET last_poll = '2000-01-01' WHERE user_id = 2`);
    const sid2 = await makeSession(2, "admin", "admin");
    await context.addCookies([{name: "session_id", value: sid2, url: BASE}]);
    await page.evaluate(() => window.__bus.new_session());
    await page.waitForFunction(() => window.__bus.state === "open", null, {timeout: 5000});
    await waitSubscribed(sockets, 2);
    await publish(`e2e-c-${RUN}`, "e2e", "logged in again");
    await waitUntil("a row for the new session", async () => (await seenPayloads(page)).includes("logged in again"), 10000);
    const events = await page.evaluate(() => window.__events);
    assert(events.includes("session_expired:4001") && !events.includes("reconnecting:4001"), `events ${events.join(", ")}`);
    // The update_presence sent on open renewed the user's presence row.
    await waitUntil(`admin's ${PRESENCE_TABLE} row to be renewed`, async () => await sql(
        `SELECT count(*) FROM ${PRESENCE_TABLE} WHERE user_id = 2 AND last_poll > '2001-01-01'`) === "1", 5000, 200);
    await page.evaluate(() => window.__bus.stop_polling());
    return `silent for 3 s after 4001; delivered ${JSON.stringify(await seenPayloads(page))}; update_presence renewed ${PRESENCE_TABLE}`;
});

testCase("d", "4002 (keep-alive lifetime of 1-1.5 s): reconnects at once, every row delivered once across the lifetimes", async (page) => {
    await stopServer();
    await startServer(["--websocket-keep-alive-timeout", "1"]);
    try {
        const sockets = recordSockets(page);
        await openPage(page, {channels: [`e2e-d-${RUN}`]});
        await waitSubscribed(sockets, 1);
        const ids = [];
        for (let i = 0; i < 8; i += 1) {
            ids.push(await publish(`e2e-d-${RUN}`, "e2e", `row ${i}`));
            await sleep(500);
        }
        await waitUntil("every row", async () => (await seenPayloads(page)).length >= ids.length, 10000);
        await publishEnd(page, `e2e-d-${RUN}`);
        const payloads = await seenPayloads(page);
        assert(isDeepStrictEqual(payloads, ids.map((_, i) => `row ${i}`)), `delivered ${JSON.stringify(payloads)}`);
        const events = await page.evaluate(() => window.__events);
        const expired = events.filter((e) => e === "disconnect:4002").length;
        assert(expired >= 2, `${expired} close(s) with 4002 in ${ids.length * 0.5} s, events ${events.join(", ")}`);
        assert(events.every((e) => !e.startsWith("disconnect:") || e === "disconnect:4002"), `events ${events.join(", ")}`);
        // Each 4002 was followed by a new socket at once, not after the 1 s back-off.
        const gaps = sockets.slice(1).map((s, i) => s.openedAt - sockets[i].closedAt);
        assert(sockets.length >= expired + 1, `${sockets.length} sockets for ${expired} closes`);
        assert(gaps.every((gap) => gap < 500), `new sockets ${gaps.join(", ")} ms after the closes`);
        await page.evaluate(() => window.__bus.stop_polling());
        return `${expired} lifetimes ended with 4002, ${sockets.length} sockets (each ${Math.max(...gaps)} ms or less after the close), ${ids.length} rows once each`;
    } finally {
        await stopServer();
        await startServer();
    }
});

// Presence rows: 16-17's bus_presence (etc/demo.sql), 18's mail_presence (made here, as Odoo 18
// makes it: a user or a guest, each unique through a partial index).
const PRESENCE_TABLE = Number(ODOO_VERSION) >= 18 ? "mail_presence" : "bus_presence";

try {
    if (PRESENCE_TABLE === "mail_presence") {
        await sql(`CREATE TABLE IF NOT EXISTS mail_presence (id serial PRIMARY KEY, user_id integer REFERENCES res_users (id),
                guest_id integer, last_poll timestamp, last_presence timestamp, status varchar);
            CREATE UNIQUE INDEX IF NOT EXISTS mail_presence_user_unique ON mail_presence (user_id) WHERE user_id IS NOT NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS mail_presence_guest_unique ON mail_presence (guest_id) WHERE guest_id IS NOT NULL;`);
    }
    await startServer();
} catch (error) {
    console.log(`FAIL run: ${error.message}`);
    process.exit(1);
}
const status = await runCases(cases, `WebSocket client end to end: ${BASE}/websocket (odoo_version ${ODOO_VERSION})`);
await stopServer();
if (status) {
    console.log(`---- last lines of the server log ----\n${fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n")}`);
}
process.exit(status);
