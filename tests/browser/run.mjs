#!/usr/bin/env node
// Browser tests of client/bus.js, client/longpolling.js and client/demo.html against a running
// longpolling-server, in Debian's headless Chromium driven by playwright-core.
//
//   cd tests/browser && npm install --no-audit --no-fund
//   LP_BROWSER_BASE_URL=http://127.0.0.1:PORT node run.mjs
//
// Environment:
//   LP_BROWSER_BASE_URL      (required) the server, e.g. http://127.0.0.1:8068
//   LP_BROWSER_PUBLISH       shell command that publishes one notification. Placeholders, each
//                            replaced by one shell-quoted word: {channel} the channel string,
//                            {channel_json} its JSON text ("test" -> "\"test\""), {message} the
//                            message's JSON text. The command's environment has them too, as
//                            LP_CHANNEL, LP_CHANNEL_JSON and LP_MESSAGE. For the server's own
//                            publisher: longpolling-server --send DB {channel_json} {message}
//                            --db-host ... (a channel such as '["db","x","5"]' must stay a
//                            string, not become a list). Unset: POST <base>/longpolling/send.
//   LP_BROWSER_ODOO_VERSION  the server's odoo_version (15): <= 14 delivers [channel, message],
//                            15 delivers [message.type, message.payload]
//   LP_BROWSER_DB            database for the POS case (demo)
//   LP_BROWSER_POS_ID        pos.config id for the POS case (default: a new one per run, so
//                            that a PONG of an earlier run, still in the last 50 s, stays out)
//   LP_BROWSER_STATIC_PATH   where client/ is served (/openerplongpolling/static)
//   LP_BROWSER_CHROMIUM      the browser (/usr/bin/chromium)
//   LP_BROWSER_CASE_TIMEOUT_MS  hard limit per case (30000)
//   LP_BROWSER_ONLY          comma-separated case letters to run, e.g. "a,d"
//   LP_BROWSER_SESSION_ID    an Odoo session of uid 2 for the Socket.IO cases (socketio_cases.mjs);
//                            unset: they expect an anonymous socket
//
// Prints PASS/FAIL per case and, last, "N passed, M failed"; exits 1 if any case failed,
// 2 on a usage error.
import {exec} from "node:child_process";
import {randomBytes} from "node:crypto";
import {isDeepStrictEqual} from "node:util";
import {assert, requireChromium, runCases, sleep, waitUntil} from "./chromium_cases.mjs";
import {socketioCases} from "./socketio_cases.mjs";

const BASE = (process.env.LP_BROWSER_BASE_URL || "").replace(/\/+$/, "");
const PUBLISH = process.env.LP_BROWSER_PUBLISH || "";
const ODOO_VERSION = Number(process.env.LP_BROWSER_ODOO_VERSION || 15);
const DB = process.env.LP_BROWSER_DB || "demo";
const STATIC_PATH = (process.env.LP_BROWSER_STATIC_PATH || "/openerplongpolling/static").replace(/\/+$/, "");
const DEMO_URL = BASE + STATIC_PATH + "/demo.html";
const RUN_ID = randomBytes(4).toString("hex");
const POS_ID = Number(process.env.LP_BROWSER_POS_ID || 100000 + (randomBytes(3).readUIntBE(0, 3) % 900000));

if (!/^https?:\/\//.test(BASE)) {
    console.error("run.mjs: set LP_BROWSER_BASE_URL to the server, e.g. http://127.0.0.1:8068");
    process.exit(2);
}
requireChromium("run.mjs");

// ---------------------------------------------------------------- helpers

let nonceCounter = 0;
const nonce = () => `${RUN_ID}-${++nonceCounter}`;

function shellQuote(text) {
    return "'" + String(text).replace(/'/g, "'\\''") + "'";
}

/** Publishes `message` (any JSON value) on `channel` (a string). */
async function publish(channel, message) {
    const json = JSON.stringify(message);
    if (PUBLISH) {
        const channelJson = JSON.stringify(channel);
        const command = PUBLISH.replaceAll("{channel_json}", shellQuote(channelJson))
            .replaceAll("{channel}", shellQuote(channel)).replaceAll("{message}", shellQuote(json));
        await new Promise((resolve, reject) => {
            exec(command, {timeout: 10000, env: {...process.env, LP_CHANNEL: channel, LP_CHANNEL_JSON: channelJson, LP_MESSAGE: json}},
                (error, stdout, stderr) => {
                    if (error) {
                        reject(new Error(`publish command failed (${error.code ?? error.signal}): ${command}\n${stderr}`));
                    } else {
                        resolve();
                    }
                });
        });
        return;
    }
    const response = await fetch(BASE + "/longpolling/send", {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({jsonrpc: "2.0", method: "call", params: {channel, message}, id: 1}),
        signal: AbortSignal.timeout(10000),
    });
    const body = await response.text();
    if (!response.ok || JSON.parse(body).result !== true) {
        throw new Error(`POST /longpolling/send answered ${response.status}: ${body.slice(0, 300)}`);
    }
}

/** Does a delivered channel (or, as Odoo 15, a type) name `channel`? */
function channelMatches(got, channel) {
    if (got === channel || got === JSON.stringify(channel)) {
        return true;
    }
    return ODOO_VERSION >= 15 && typeof got === "string";  // a type the server chose
}

/** Opens the demo page and installs recorders of the default bus's notifications. */
async function openDemo(page) {
    const response = await page.goto(DEMO_URL, {waitUntil: "load", timeout: 10000});
    assert(response && response.ok(), `GET ${DEMO_URL} answered ${response && response.status()}`);
    await page.waitForFunction(() => window.longpolling && window.longpolling.bus && window.longpolling.LongPolling,
        null, {timeout: 5000});
    await page.evaluate(() => {
        window.__seen = [];
        window.__polls = [];
        longpolling.bus.on("notification", (notifications) => {
            for (const n of notifications) {
                window.__seen.push(n);
            }
        });
        longpolling.bus.on("poll_start", (p) => window.__polls.push({...p, at: performance.now()}));
    });
}

/** Records the JSON-RPC params of every poll the page sends, and the failed ones. */
function recordPolls(page) {
    const polls = [];
    page.on("request", (request) => {
        if (request.url().endsWith("/longpolling/poll") && request.method() === "POST") {
            let params = null;
            try {
                params = request.postDataJSON().params;
            } catch {
                // not JSON: leave null
            }
            polls.push({request, params, failed: null, at: Date.now()});
        }
    });
    page.on("requestfailed", (request) => {
        const poll = polls.find((p) => p.request === request);
        if (poll) {
            poll.failed = request.failure() ? request.failure().errorText : "failed";
        }
    });
    return polls;
}

/** Waits until the page has a poll in flight that carries `channel`, then lets it reach the server. */
async function waitParkedOn(page, polls, channel) {
    await waitUntil(`a poll carrying ${channel}`, () =>
        polls.some((p) => p.params && p.params.channels.includes(channel) && !p.failed), 10000);
    await sleep(400);
}

/** Notifications the page saw whose message (or payload) deep-equals `message`. */
async function seenWith(page, message) {
    const seen = await page.evaluate(() => window.__seen);
    return seen.filter((n) => Array.isArray(n) && isDeepStrictEqual(n[1], message));
}

// ---------------------------------------------------------------- cases

const cases = [];
const testCase = (id, title, fn) => cases.push({id, title, fn});

testCase("a", "demo page: subscribe to \"test\" in the UI, a published message reaches on(\"notification\")", async (page) => {
    const polls = recordPolls(page);
    await openDemo(page);
    await page.fill("#channel", "test");
    await page.click("#subscribe");
    await waitParkedOn(page, polls, "test");
    const message = {text: "hello from the browser test", nonce: nonce()};
    await publish("test", message);
    const [got] = await waitUntil("the notification", () => seenWith(page, message).then((s) => s.length && s), 10000);
    assert(channelMatches(got[0], "test"),
        `notification channel/type ${JSON.stringify(got[0])}, expected "test" (odoo_version ${ODOO_VERSION})`);
    await page.waitForFunction((n) => document.getElementById("notifications").textContent.includes(n),
        message.nonce, {timeout: 5000});
    return `delivered as [${JSON.stringify(got[0])}, ${JSON.stringify(got[1])}]`;
});

testCase("b", "last tracking: each message is delivered once, the next poll carries the highest id", async (page) => {
    const polls = recordPolls(page);
    await openDemo(page);
    await page.evaluate(() => longpolling.bus.add_channel("test").start_polling());
    await waitParkedOn(page, polls, "test");
    const first = {text: "first", nonce: nonce()};
    await publish("test", first);
    await waitUntil("the first message", () => seenWith(page, first).then((s) => s.length), 10000);
    const last1 = await page.evaluate(() => longpolling.bus.last);
    assert(Number.isInteger(last1) && last1 > 0, `bus.last is ${last1} after a delivery, expected an id > 0`);
    await waitParkedOn(page, polls, "test");
    const second = {text: "second", nonce: nonce()};
    await publish("test", second);
    await waitUntil("the second message", () => seenWith(page, second).then((s) => s.length), 10000);
    await sleep(1500);  // time for a wrong `last` to bring them back
    const firstCount = (await seenWith(page, first)).length;
    const secondCount = (await seenWith(page, second)).length;
    assert(firstCount === 1 && secondCount === 1, `delivered ${firstCount} and ${secondCount} times, expected once each`);
    const last2 = await page.evaluate(() => longpolling.bus.last);
    assert(last2 > last1, `bus.last did not grow: ${last1} then ${last2}`);
    const latest = polls[polls.length - 1];
    assert(latest.params && latest.params.last === last2,
        `the latest poll sent last=${latest.params && latest.params.last}, expected ${last2}`);
    assert(typeof latest.params.options.bus_inactivity === "number", "the poll's options carry no bus_inactivity");
    return `last ${last1} -> ${last2}, ${polls.length} polls`;
});

testCase("c", "add_channel while a poll is parked aborts it and re-polls at once", async (page) => {
    const polls = recordPolls(page);
    await openDemo(page);
    const c1 = `browser-c1-${nonce()}`;
    const c2 = `browser-c2-${nonce()}`;
    await page.evaluate((c) => longpolling.bus.add_channel(c).start_polling(), c1);
    await waitParkedOn(page, polls, c1);
    const parked = polls[polls.length - 1];
    const before = polls.length;
    const t0 = Date.now();
    await page.evaluate((c) => longpolling.bus.add_channel(c), c2);
    await waitUntil("a new poll carrying both channels", () =>
        polls.slice(before).some((p) => p.params && p.params.channels.includes(c1) && p.params.channels.includes(c2)), 3000);
    const repollMs = Date.now() - t0;
    await waitUntil("the parked poll to be aborted", () => parked.failed, 3000);
    await sleep(400);
    const message = {text: "on the second channel", nonce: nonce()};
    const t1 = Date.now();
    await publish(c2, message);
    const [got] = await waitUntil("the message on the new channel", () => seenWith(page, message).then((s) => s.length && s), 5000);
    const deliveryMs = Date.now() - t1;
    assert(channelMatches(got[0], c2), `delivered on ${JSON.stringify(got[0])}, expected ${c2}`);
    return `re-polled after ${repollMs} ms (old poll: ${parked.failed}), delivered in ${deliveryMs} ms`;
});

testCase("d", "PosBus: add_channel_callback routes by channel name, send_ping gets PONG, status online", async (page) => {
    const polls = recordPolls(page);
    await openDemo(page);
    await page.evaluate(({db, posId}) => {
        const pos = new longpolling.PosBus({db, pos_id: posId, ping_on_start: false, pong_timeout: 10000});
        window.__pos = pos;
        window.__statuses = [];
        window.__routed = [];
        pos.on("status", (status) => window.__statuses.push(status));
        pos.add_channel_callback("browser.test", function (message) {
            window.__routed.push({message, self: this === window.__posOwner});
        }, window.__posOwner = {});
        pos.start_polling();
    }, {db: DB, posId: POS_ID});
    const pongChannel = JSON.stringify([DB, "pos.longpolling", String(POS_ID)]);
    const testChannel = JSON.stringify([DB, "browser.test", String(POS_ID)]);
    await waitParkedOn(page, polls, pongChannel);
    const latest = polls[polls.length - 1];
    assert(latest.params.channels.includes(testChannel), `the poll does not carry ${testChannel}`);
    await sleep(300);  // a PONG still in the server's last 50 s (same POS id) comes first
    const result = await page.evaluate(() => {
        window.__statusesBefore = window.__statuses.length;
        return window.__pos.send_ping();
    });
    assert(result === 1, `/pos_longpolling/update answered ${JSON.stringify(result)}, expected 1`);
    await page.waitForFunction(() => window.__pos.status === "online" &&
        window.__statuses.length > window.__statusesBefore, null, {timeout: 10000});
    const statuses = await page.evaluate(() => window.__statuses.slice(window.__statusesBefore));
    assert(isDeepStrictEqual(statuses, ["waiting", "online"]), `after the PING, status went ${JSON.stringify(statuses)}`);

    await waitParkedOn(page, polls, testChannel);
    const message = {message: "update_partner_fields", partner_ids: [7], nonce: nonce()};
    await publish(testChannel, message);
    await page.waitForFunction((n) => window.__routed.some((r) => r.message && r.message.nonce === n),
        message.nonce, {timeout: 10000});
    await sleep(300);
    const routed = (await page.evaluate(() => window.__routed)).filter((r) => isDeepStrictEqual(r.message, message));
    assert(routed.length === 1, `the channel callback got the message ${routed.length} times`);
    assert(routed[0].self, "the channel callback was not called with its thisArg");

    // An unreachable server: the status goes waiting -> offline.
    await page.evaluate(({db, posId}) => {
        const dead = new longpolling.PosBus({db, pos_id: posId, url: "http://127.0.0.1:9", error_delay: 60000});
        window.__deadStatuses = [];
        dead.on("status", (status) => window.__deadStatuses.push(status));
        window.__dead = dead.start_polling();
    }, {db: DB, posId: POS_ID});
    await page.waitForFunction(() => window.__dead.status === "offline", null, {timeout: 10000});
    await page.evaluate(() => window.__dead.stop_polling());
    await page.evaluate(() => window.__pos.stop_polling());
    return `statuses ${statuses.join(" -> ")}; unreachable server: ${(await page.evaluate(() => window.__deadStatuses)).join(" -> ")}`;
});

testCase("e", "LongPolling: /mainroute echoes params, waits for success's promise; a missing route stops after 404", async (page) => {
    await openDemo(page);
    const params = {a: 1, b: "two", nested: {c: [1, 2, 3], d: null}, text: "é & ?="};
    const sessionId = randomBytes(20).toString("hex");
    const run = await page.evaluate(({params, sessionId}) => new Promise((resolve) => {
        const lp = new longpolling.LongPolling({error_delay: 200});
        const calls = [];
        let resolvedAt = null;
        lp.start_longpolling({session_id: sessionId}, "/mainroute", params, function (result) {
            calls.push({result, at: performance.now(), self: this === lp});
            if (calls.length === 1) {
                return new Promise((done) => setTimeout(() => {
                    resolvedAt = performance.now();
                    done();
                }, 500));
            }
            lp.stop_longpolling();
            const starts = performance.getEntriesByType("resource")
                .filter((e) => e.name.includes("/mainroute")).map((e) => e.startTime);
            resolve({calls, resolvedAt, starts, running: lp.running});
            return undefined;
        }, function (error, kind) {
            lp.stop_longpolling();
            resolve({error: `${kind}: ${error.message} (status ${error.status})`});
        });
    }), {params, sessionId});
    assert(!run.error, `mainroute failed: ${run.error}`);
    assert(run.calls.length === 2, `success called ${run.calls.length} times`);
    const echoed = run.calls[0].result && run.calls[0].result.params;
    assert(echoed && typeof echoed === "object", `no params in ${JSON.stringify(run.calls[0].result)}`);
    for (const [key, value] of Object.entries(params)) {
        assert(isDeepStrictEqual(echoed[key], value), `params.${key} echoed as ${JSON.stringify(echoed[key])}`);
    }
    assert(run.calls[0].self, "success was not called with the LongPolling as this");
    assert(run.resolvedAt !== null && run.starts.length >= 2 && run.starts[1] >= run.resolvedAt,
        `the second round started at ${run.starts[1]} before the promise resolved at ${run.resolvedAt}`);
    assert(run.running === false, "still running after stop_longpolling()");

    const missing = `/no_such_route_${RUN_ID}`;
    const stopped = await page.evaluate((missing) => new Promise((resolve) => {
        const lp = new longpolling.LongPolling({error_delay: 100});
        const errors = [];
        let successes = 0;
        lp.start_longpolling({session_id: null}, missing, {}, () => { successes += 1; },
            (error, kind) => errors.push({status: error.status, kind}));
        setTimeout(() => {
            const rounds = performance.getEntriesByType("resource").filter((e) => e.name.includes(missing)).length;
            resolve({errors, successes, rounds, running: lp.running});
        }, 1500);
    }), missing);
    assert(stopped.errors.length === 1 && stopped.errors[0].status === 404,
        `errors for a missing route: ${JSON.stringify(stopped.errors)}`);
    assert(stopped.rounds === 1 && !stopped.running && stopped.successes === 0,
        `after the 404: ${stopped.rounds} requests, running ${stopped.running}`);
    return `2 rounds, second ${Math.round(run.starts[1] - run.resolvedAt)} ms after the promise; 404 stopped it`;
});

testCase("f", "demo page: the countdown form runs rounds through LongPolling", async (page) => {
    await openDemo(page);
    await page.fill("#countdown-seconds", "1");
    const t0 = Date.now();
    await page.click("#countdown-start");
    await page.waitForFunction(() => document.getElementById("countdown-note").textContent.includes("Round 1"),
        null, {timeout: 10000});
    const elapsed = Date.now() - t0;
    await page.click("#countdown-stop");
    assert(elapsed >= 900, `the first round came back after ${elapsed} ms, expected about 1 s`);
    return `first round after ${elapsed} ms`;
});

testCase("g", "cross-origin server (url option): bus and PosBus PING/PONG through CORS", async (page) => {
    // localhost and 127.0.0.1 are different origins for the browser: the page comes from one,
    // the clients talk to the other, as a POS does with a separate sync server.
    const base = new URL(BASE);
    const other = new URL(BASE);
    other.hostname = base.hostname === "localhost" ? "127.0.0.1" : "localhost";
    const response = await page.goto(other.origin + STATIC_PATH + "/demo.html", {waitUntil: "load", timeout: 10000});
    assert(response && response.ok(), `GET ${other.origin}${STATIC_PATH}/demo.html answered ${response && response.status()}`);
    await page.waitForFunction(() => window.longpolling && window.longpolling.PosBus, null, {timeout: 5000});
    const channel = `browser-cors-${nonce()}`;
    await page.evaluate(({url, channel, db, posId}) => {
        window.__seen = [];
        window.__cors = new longpolling.Bus({url, error_delay: 60000});
        window.__cors.on("notification", (n) => window.__seen.push(...n));
        window.__cors.on("poll_error", (e) => { window.__corsError = e.message; });
        window.__cors.add_channel(channel).start_polling();
        window.__corsPos = new longpolling.PosBus({url, db, pos_id: posId, error_delay: 60000});
        window.__corsPos.start_polling();
    }, {url: BASE, channel, db: DB, posId: POS_ID});
    await page.waitForFunction(() => window.__cors.polling || window.__corsError, null, {timeout: 5000});
    await sleep(500);
    const error = await page.evaluate(() => window.__corsError);
    assert(!error, `the cross-origin poll failed: ${error}`);
    const message = {text: "across origins", nonce: nonce()};
    await publish(channel, message);
    await waitUntil("the cross-origin notification", () => seenWith(page, message).then((s) => s.length), 10000);
    await page.waitForFunction(() => window.__corsPos.status === "online", null, {timeout: 10000});
    await page.evaluate(() => {
        window.__cors.stop_polling();
        window.__corsPos.stop_polling();
    });
    return `page on ${other.origin}, server on ${base.origin}`;
});

testCase("h", "Chromium's own WebSocket: the example echo endpoint (handshake with permessage-deflate offered, text, 200 KB, close code)", async (page) => {
    await openDemo(page);
    const wsUrl = BASE.replace(/^http/, "ws") + "/openerplongpolling/ws/echo?greeting=hi";
    const result = await page.evaluate((url) => new Promise((resolve, reject) => {
        const socket = new WebSocket(url);
        const received = [];
        const large = "\u00e9".repeat(100000);
        socket.onerror = () => reject(new Error("WebSocket error"));
        socket.onmessage = (event) => {
            received.push(event.data);
            if (received.length === 1) {
                socket.send("hello \u20ac");
                socket.send(large);
            } else if (received.length === 3) {
                socket.close(4000, "done");
            }
        };
        socket.onclose = (event) => resolve({
            received: received.map((text) => text.length > 20 ? `${text.length} chars` : text),
            largeOk: received[2] === large,
            extensions: socket.extensions,
            protocol: socket.protocol,
            code: event.code,
            wasClean: event.wasClean,
        });
    }), wsUrl);
    assert(isDeepStrictEqual(result.received.slice(0, 2), ["hi", "hello \u20ac"]), `received ${JSON.stringify(result.received)}`);
    assert(result.largeOk, "the 200 KB message did not come back unchanged");
    assert(result.extensions === "" && result.protocol === "", `extensions '${result.extensions}', protocol '${result.protocol}'`);
    assert(result.code === 4000 && result.wasClean, `closed with ${result.code} (clean: ${result.wasClean}), expected a clean 4000`);
    return `echoed ${JSON.stringify(result.received)}, closed cleanly with ${result.code}`;
});

socketioCases(testCase, {assert, openDemo, sessionId: process.env.LP_BROWSER_SESSION_ID || ""});

// ---------------------------------------------------------------- runner

runCases(cases, `browser tests: ${BASE} (odoo_version ${ODOO_VERSION}, publish via ${PUBLISH ? "command" : "/longpolling/send"})`)
    .then((status) => process.exit(status));
