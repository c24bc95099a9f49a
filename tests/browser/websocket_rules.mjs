#!/usr/bin/env node
// client/websocket.js's reconnect rules in headless Chromium, against a scripted /websocket
// (scripted_ws_server.mjs) that closes with the codes Odoo's server uses, when the test says:
// the browser's own WebSocket, timers and close events, with Odoo's default delays.
//
//   cd tests/browser && npm ci && node websocket_rules.mjs
//
// Environment: LP_BROWSER_CHROMIUM, LP_BROWSER_CASE_TIMEOUT_MS, LP_BROWSER_ONLY (see
// chromium_cases.mjs). No server, no database.
import path from "node:path";
import {fileURLToPath} from "node:url";
import {isDeepStrictEqual} from "node:util";
import {assert, requireChromium, runCases, sleep, startWebsocketBus, waitUntil} from "./chromium_cases.mjs";
import {startScriptedServer} from "./scripted_ws_server.mjs";

requireChromium("websocket_rules.mjs");
const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../client");
const server = await startScriptedServer(CLIENT);
const row = (id, type, payload) => ({id, message: {type, payload}});

/** Opens the demo page and starts a WebsocketBus on `channels`, recording what it delivers. */
async function startBus(page, options) {
    const before = server.connections.length;
    await startWebsocketBus(page, server.base + "/demo.html", Object.assign({url: server.base}, options));
    return waitForConnection(before);
}

/** The first connection after the first `count`, once it has subscribed. */
async function waitForConnection(count, timeoutMs = 5000) {
    return waitUntil(`connection #${count + 1} to subscribe`, () =>
        server.connections.length > count && server.connections[count].subscribes().length > 0
            && server.connections[count], timeoutMs, 20);
}

const state = (page) => page.evaluate(() => window.__bus.state);
const seen = (page) => page.evaluate(() => window.__seen);

const cases = [];
const testCase = (id, title, fn) => cases.push({id, title, fn});

testCase("a", "subscribe with channels and last on open; ids delivered once; a restart reconnects after 1 s, then x1.5 + jitter, and re-subscribes with the highest id", async (page) => {
    const first = await startBus(page, {channels: ["a"], last: 5});
    assert(isDeepStrictEqual(first.subscribes()[0], {channels: ["a"], last: 5}),
        `first subscribe ${JSON.stringify(first.subscribes()[0])}`);
    assert(first.url === "/websocket", `connected to ${first.url}`);
    await page.evaluate(() => window.__bus.add_channel("b"));
    await waitUntil("the second subscribe", () => first.subscribes().length === 2, 3000);
    assert(isDeepStrictEqual(first.subscribes()[1], {channels: ["a", "b"], last: 5}),
        `second subscribe ${JSON.stringify(first.subscribes()[1])}`);

    first.sendJson([row(6, "a", {n: 6}), row(8, "b", {n: 8})]);
    first.sendJson([row(7, "a", {n: 7}), row(8, "b", {n: 8})]);   // 7 committed late; 8 again
    await waitUntil("three notifications", async () => (await seen(page)).length >= 3, 3000);
    await sleep(200);
    const got = await seen(page);
    assert(isDeepStrictEqual(got, [["a", {n: 6}], ["b", {n: 8}], ["a", {n: 7}]]), `delivered ${JSON.stringify(got)}`);

    // Restart: the server says 1001 and refuses connections for two attempts.
    server.state.refuse = true;
    const attemptsBefore = server.attempts.length;
    const closedAt = Date.now();
    first.close(1001, "server shutdown");
    await waitUntil("two refused attempts", () => server.attempts.length >= attemptsBefore + 2, 8000, 10);
    server.state.refuse = false;
    const connectionsBefore = server.connections.length;
    const back = await waitForConnection(connectionsBefore, 8000);
    const [t1, t2, t3] = server.attempts.slice(attemptsBefore, attemptsBefore + 3);
    const delays = [t1 - closedAt, t2 - t1, t3 - t2];
    // Odoo's schedule: 1 s; then 1.5 s + [0, 1 s); then 1.5 x that + [0, 1 s). The upper
    // bounds leave half a second for a loaded machine.
    assert(delays[0] >= 950 && delays[0] < 1500, `first retry after ${delays[0]} ms, expected 1 s`);
    assert(delays[1] >= 1450 && delays[1] < 3000, `second retry after ${delays[1]} ms, expected 1.5 to 2.5 s`);
    assert(delays[2] >= 2200 && delays[2] < 5250, `third retry after ${delays[2]} ms, expected 2.25 to 4.75 s`);
    assert(delays[2] >= delays[1] * 1.5 - 100, `third retry after ${delays[2]} ms, less than 1.5 x the second`);
    assert(isDeepStrictEqual(back.subscribes()[0], {channels: ["a", "b"], last: 8}),
        `re-subscribed with ${JSON.stringify(back.subscribes()[0])}`);
    back.sendJson([row(9, "a", "after the restart")]);
    await waitUntil("the notification after the restart", async () => (await seen(page)).length === 4, 3000);
    const events = await page.evaluate(() => window.__events);
    assert(events[0] === "connect" && events.includes("reconnecting:1001") && events.at(-1) === "reconnect",
        `events ${events.join(", ")}`);
    await page.evaluate(() => window.__bus.stop_polling());
    return `retries after ${delays.join(", ")} ms; re-subscribed with last 8`;
});

testCase("b", "4002 (keep-alive timeout): reconnects at once and re-subscribes", async (page) => {
    const first = await startBus(page, {channels: ["k"]});
    first.sendJson([row(20, "k", 1)]);
    await waitUntil("the notification", async () => (await seen(page)).length === 1, 3000);
    const count = server.connections.length;
    const closedAt = Date.now();
    first.close(4002, "keep alive timeout");
    const next = await waitForConnection(count, 3000);
    const after = next.openedAt - closedAt;
    assert(after < 500, `reconnected after ${after} ms, expected at once`);
    assert(isDeepStrictEqual(next.subscribes()[0], {channels: ["k"], last: 20}), `subscribe ${JSON.stringify(next.subscribes()[0])}`);
    await page.evaluate(() => window.__bus.stop_polling());
    return `reconnected after ${after} ms`;
});

testCase("c", "1000 from the server: never reconnects; stop_polling() closes with 1000", async (page) => {
    const first = await startBus(page, {channels: ["c"]});
    const attempts = server.attempts.length;
    first.close(1000, "OUTDATED_VERSION");
    await sleep(3000);   // three times the first back-off delay
    assert(server.attempts.length === attempts, `${server.attempts.length - attempts} reconnect attempt(s) after 1000`);
    assert(await state(page) === "closed", `state ${await state(page)}`);

    const count = server.connections.length;
    await page.evaluate(() => window.__bus.start_polling());
    const second = await waitForConnection(count);
    await page.evaluate(() => window.__bus.stop_polling());
    await waitUntil("the client's close frame", () => second.clientCloseCode !== null, 3000);
    assert(second.clientCloseCode === 1000, `the client closed with ${second.clientCloseCode}`);
    const attempts2 = server.attempts.length;
    await sleep(1500);
    assert(server.attempts.length === attempts2, "reconnected after stop_polling()");
    return "no attempt in 3 s after 1000; stop_polling() sent 1000";
});

testCase("d", "4001 (session expired): no reconnect until new_session(), then at once with last", async (page) => {
    const first = await startBus(page, {channels: ["s"], last: 30});
    const attempts = server.attempts.length;
    first.close(4001, "session expired");
    await waitUntil("session_expired", async () => (await state(page)) === "session_expired", 3000);
    await sleep(3000);
    assert(server.attempts.length === attempts, `${server.attempts.length - attempts} attempt(s) without a new session`);
    const count = server.connections.length;
    const t0 = Date.now();
    await page.evaluate(() => window.__bus.new_session());
    const next = await waitForConnection(count, 3000);
    const after = next.openedAt - t0;
    assert(after < 500, `connected ${after} ms after new_session()`);
    assert(isDeepStrictEqual(next.subscribes()[0], {channels: ["s"], last: 30}), `subscribe ${JSON.stringify(next.subscribes()[0])}`);
    const events = await page.evaluate(() => window.__events);
    assert(events.includes("session_expired:4001") && !events.includes("reconnecting:4001"), `events ${events.join(", ")}`);
    await page.evaluate(() => window.__bus.stop_polling());
    return `silent for 3 s, reconnected ${after} ms after new_session()`;
});

testCase("e", "demo page: the WebSocket transport chosen in the UI subscribes and lists notifications", async (page) => {
    const response = await page.goto(server.base + "/demo.html", {waitUntil: "load", timeout: 10000});
    assert(response && response.ok(), "no demo page");
    // The demo talks to its own origin, which is this scripted server.
    const count = server.connections.length;
    await page.selectOption("#transport", "websocket");
    await page.fill("#channel", "demo-ws");
    await page.click("#subscribe");
    const connection = await waitForConnection(count);
    assert(isDeepStrictEqual(connection.subscribes().at(-1).channels, ["demo-ws"]),
        `subscribed to ${JSON.stringify(connection.subscribes().at(-1))}`);
    assert(await page.evaluate(() => window.demo.bus.transport) === "websocket", "the demo's bus is not the WebSocket one");
    connection.sendJson([row(41, "demo-ws", {text: "over the WebSocket"})]);
    await page.waitForFunction(() => document.getElementById("notifications").textContent.includes("over the WebSocket"),
        null, {timeout: 5000});
    // Back to long-polling: the WebSocket is closed with 1000 and the bus keeps channel and last.
    await page.selectOption("#transport", "longpolling");
    await waitUntil("the client's close", () => connection.clientCloseCode === 1000, 3000);
    const lpState = await page.evaluate(() => ({transport: window.demo.bus.transport,
        channels: Array.from(window.demo.bus.channels), last: window.demo.bus.last}));
    assert(isDeepStrictEqual(lpState, {transport: "longpolling", channels: ["demo-ws"], last: 41}),
        `after switching back: ${JSON.stringify(lpState)}`);
    await page.evaluate(() => window.demo.bus.stop_polling());
    return "subscribed, listed, switched back with last 41";
});

const status = await runCases(cases, `WebSocket client rules: scripted /websocket at ${server.base}`);
await server.stop();
process.exit(status);
