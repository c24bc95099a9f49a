// Unit tests of client/websocket.js without a browser or a server: the scripts run in a vm
// context whose WebSocket is a fake the test drives (open, server frames, close codes).
//   node --test websocket.unit.test.mjs
import {test} from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import {fileURLToPath} from "node:url";

const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../client");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A WebSocket the test controls; every instance is recorded in `sockets`. */
function fakeWebSocketClass(sockets) {
    return class FakeWebSocket {
        constructor(url) {
            this.url = url;
            this.readyState = 0;
            this.sent = [];
            this.closedWith = null;
            sockets.push(this);
        }

        send(text) {
            assert.equal(this.readyState, 1, "send on a socket that is not open");
            this.sent.push(JSON.parse(text));
        }

        close(code) {
            this.closedWith = code;
            this.readyState = 2;
        }

        // ---- what the server does
        open() {
            this.readyState = 1;
            this.onopen && this.onopen({});
        }

        receive(value) {
            this.onmessage && this.onmessage({data: typeof value === "string" ? value : JSON.stringify(value)});
        }

        serverClose(code, reason = "") {
            this.readyState = 3;
            this.onclose && this.onclose({code, reason, wasClean: code !== 1006});
        }
    };
}

function load() {
    const sockets = [];
    const context = vm.createContext({
        setTimeout, clearTimeout, setInterval, clearInterval, Promise, JSON, Date, Math, Map, Set,
        Object, Array, Number, String, Error, TypeError, AbortController, URLSearchParams,
        encodeURIComponent, console: {error() {}, log() {}},
        location: {protocol: "https:", host: "erp.example.com"},
    });
    context.WebSocket = fakeWebSocketClass(sockets);
    for (const file of ["bus.js", "websocket.js"]) {
        vm.runInContext(fs.readFileSync(path.join(CLIENT, file), "utf8"), context, {filename: file});
    }
    return {lp: context.longpolling, sockets};
}

async function waitFor(what, predicate, ms = 2000) {
    const deadline = Date.now() + ms;
    while (!predicate()) {
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await sleep(2);
    }
}

const plain = (value) => JSON.parse(JSON.stringify(value));
const row = (id, type, payload) => ({id, message: {type, payload}});

test("closeAction: 1000 stops, 4002 reconnects at once, 4001 waits for a session, the rest back off", () => {
    const {lp} = load();
    assert.equal(lp.closeAction(1000), "stop");
    assert.equal(lp.closeAction(4002), "now");
    assert.equal(lp.closeAction(4001), "wait_session");
    for (const code of [1001, 1006, 1011, 1012, 1013, 1014, 4003]) {
        assert.equal(lp.closeAction(code), "backoff", `code ${code}`);
    }
});

test("Backoff: 1 s, then x1.5 plus up to 1 s of jitter, capped at 60 s plus jitter; reset and immediate", () => {
    const {lp} = load();
    const noJitter = new lp.Backoff({random: () => 0});
    const delays = Array.from({length: 14}, () => noJitter.next());
    assert.deepEqual(delays.slice(0, 5), [1000, 1500, 2250, 3375, 5062.5]);
    assert.equal(delays[13], 60000, "the cap");
    assert.ok(delays.every((d, i) => i === 0 || d >= delays[i - 1]));

    const fullJitter = new lp.Backoff({random: () => 1});
    assert.deepEqual([fullJitter.next(), fullJitter.next(), fullJitter.next()], [1000, 2500, 4750]);
    for (let i = 0; i < 30; i += 1) {
        fullJitter.next();
    }
    assert.equal(fullJitter.next(), 61000, "60 s plus the whole jitter");
    fullJitter.reset();
    assert.equal(fullJitter.next(), 1000);

    const random = new lp.Backoff();
    random.next();
    const second = random.next();
    assert.ok(second >= 1500 && second < 2500, `second delay ${second}`);

    const keepAlive = new lp.Backoff({random: () => 0.5});
    keepAlive.next();
    keepAlive.immediate();
    assert.equal(keepAlive.next(), 0);
    assert.equal(keepAlive.next(), 500, "after an immediate attempt: min(0 * 1.5, max) + jitter");
});

test("NotificationTracker: last is the highest id, a repeated id is dropped, an older unseen id is kept", () => {
    const {lp} = load();
    const tracker = new lp.NotificationTracker(10);
    assert.deepEqual(plain(tracker.accept([row(11, "a", 1), row(13, "b", 2)])), [["a", 1], ["b", 2]]);
    assert.equal(tracker.last, 13);
    // 12 committed after 13 (out of order): new, delivered; 13 again: dropped.
    assert.deepEqual(plain(tracker.accept([row(12, "c", 3), row(13, "b", 2)])), [["c", 3]]);
    assert.equal(tracker.last, 13);
    // Negative or missing ids (server-made notifications) are never dropped nor tracked.
    assert.deepEqual(plain(tracker.accept([row(-1, "p", 0), row(-1, "p", 0), {message: {type: "x", payload: 1}}, null, 7])),
        [["p", 0], ["p", 0], ["x", 1]]);
    assert.equal(tracker.last, 13);

    const small = new lp.NotificationTracker(0, 3);
    small.accept([row(1, "a"), row(2, "a"), row(3, "a"), row(4, "a")]);
    assert.equal(small.accept([row(1, "a")]).length, 1, "forgotten beyond the window");
    assert.equal(small.accept([row(4, "a")]).length, 0);
    assert.equal(new lp.NotificationTracker(-5).last, 0);
});

test("WebsocketBus: URL, subscribe with last on open, one subscribe per turn of channel changes, notifications", async () => {
    const {lp, sockets} = load();
    const bus = new lp.WebsocketBus({channels: ["a"], last: 41, presence_interval: 0, version: "17.0-1"});
    const got = [];
    const events = [];
    bus.on("notification", (n) => got.push(...n));
    for (const name of ["connect", "reconnect", "subscribe", "error"]) {
        bus.on(name, () => events.push(name));
    }
    bus.start_polling();
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0].url, "wss://erp.example.com/websocket?version=17.0-1");
    assert.equal(bus.state, "connecting");
    bus.add_channel("b");   // before open: carried by the subscribe on open
    sockets[0].open();
    assert.equal(bus.state, "open");
    assert.deepEqual(plain(sockets[0].sent[0]), {event_name: "subscribe", data: {channels: ["a", "b"], last: 41}});
    assert.equal(sockets[0].sent[1].event_name, "update_presence");
    assert.equal(typeof sockets[0].sent[1].data.inactivity_period, "number");
    assert.deepEqual(plain(sockets[0].sent[1].data.im_status_ids_by_model), {});
    await sleep(5);
    assert.equal(sockets[0].sent.length, 2, "the add_channel before open cost no extra subscribe");

    bus.add_channel("c");
    bus.delete_channel("a");
    bus.add_channel("c");
    await sleep(5);
    assert.equal(sockets[0].sent.length, 3);
    assert.deepEqual(plain(sockets[0].sent[2]), {event_name: "subscribe", data: {channels: ["b", "c"], last: 41}});

    sockets[0].receive([row(42, "b", {x: 1}), row(43, "c", "hi")]);
    sockets[0].receive([row(43, "c", "hi")]);
    sockets[0].receive({not: "a list"});
    sockets[0].receive("not json");
    assert.deepEqual(plain(got), [["b", {x: 1}], ["c", "hi"]]);
    assert.equal(bus.last, 43);
    assert.deepEqual(events, ["subscribe", "connect", "subscribe", "error", "error"]);
    assert.throws(() => bus.add_channel(["db", "x", 1]), /strings/);

    bus.stop_polling();
    assert.equal(sockets[0].closedWith, 1000);
    assert.equal(bus.state, "stopped");

    assert.equal(new lp.WebsocketBus({url: "http://127.0.0.1:8072/"}).websocket_url, "ws://127.0.0.1:8072/websocket");
    assert.equal(new lp.WebsocketBus({url: "https://h", websocket_path: "/x?a=1", version: "v 1"}).websocket_url,
        "wss://h/x?a=1&version=v%201");
});

test("WebsocketBus: reconnects after 1 s (scaled), re-subscribes with the new last, resets the delay after an open", async () => {
    const {lp, sockets} = load();
    const bus = new lp.WebsocketBus({channels: ["a"], reconnect_delay: 40, reconnect_jitter: 0, presence_interval: 0});
    const log = [];
    bus.on("reconnecting", (r) => log.push(["reconnecting", r.code, r.delay]));
    bus.on("reconnect", () => log.push(["reconnect"]));
    bus.on("disconnect", (d) => log.push(["disconnect", d.code, d.action]));
    bus.start_polling();
    sockets[0].open();
    sockets[0].receive([row(7, "a", 1)]);
    const closedAt = Date.now();
    sockets[0].serverClose(1001);        // server restart
    assert.equal(bus.state, "retrying");
    await waitFor("a second socket", () => sockets.length === 2);
    assert.ok(Date.now() - closedAt >= 35, "reconnected before the delay");
    // The server is still down: the attempts back off 40, 60, 90 ms.
    sockets[1].serverClose(1006);
    await waitFor("a third socket", () => sockets.length === 3);
    sockets[2].serverClose(1006);
    await waitFor("a fourth socket", () => sockets.length === 4);
    sockets[3].open();
    assert.deepEqual(plain(sockets[3].sent[0]), {event_name: "subscribe", data: {channels: ["a"], last: 7}});
    sockets[3].serverClose(1013);        // rate limited: back off again from the first delay
    await waitFor("a fifth socket", () => sockets.length === 5);
    bus.stop_polling();
    assert.deepEqual(log, [
        ["disconnect", 1001, "backoff"], ["reconnecting", 1001, 40],
        ["disconnect", 1006, "backoff"], ["reconnecting", 1006, 60],
        ["disconnect", 1006, "backoff"], ["reconnecting", 1006, 90],
        ["reconnect"],
        ["disconnect", 1013, "backoff"], ["reconnecting", 1013, 40],
    ]);
});

test("WebsocketBus: 4002 reconnects at once, 1000 never, 4001 only after new_session()", async () => {
    const {lp, sockets} = load();
    const bus = new lp.WebsocketBus({reconnect_delay: 5000, presence_interval: 0});
    const states = [];
    bus.on("state", (s) => states.push(s));
    let expired = 0;
    bus.on("session_expired", () => { expired += 1; });
    bus.start_polling();
    sockets[0].open();
    sockets[0].serverClose(4002);
    await waitFor("an immediate reconnect", () => sockets.length === 2, 200);

    sockets[1].open();
    sockets[1].serverClose(4001);
    assert.equal(bus.state, "session_expired");
    assert.equal(expired, 1);
    await sleep(50);
    assert.equal(sockets.length, 2, "reconnected after 4001 without a new session");
    bus.new_session();
    assert.equal(sockets.length, 3, "new_session() did not reconnect");
    bus.new_session();   // already connecting: nothing more
    assert.equal(sockets.length, 3);

    sockets[2].open();
    sockets[2].serverClose(1000, "OUTDATED_VERSION");
    assert.equal(bus.state, "closed");
    assert.equal(bus.active, false);
    bus.new_session();
    await sleep(50);
    assert.equal(sockets.length, 3, "reconnected after 1000");
    assert.deepEqual(states, ["connecting", "open", "retrying", "connecting", "open", "session_expired",
        "connecting", "open", "closed"]);

    // start_polling() after a 1000 starts over.
    bus.start_polling();
    assert.equal(sockets.length, 4);
    bus.stop_polling();
    assert.equal(sockets[3].closedWith, 1000);
});

test("WebsocketBus: stop_polling during a retry or while connecting leaves no timer and no socket behind", async () => {
    const {lp, sockets} = load();
    const bus = new lp.WebsocketBus({reconnect_delay: 20, reconnect_jitter: 0, presence_interval: 0});
    bus.start_polling();
    sockets[0].serverClose(1006);        // never opened
    bus.stop_polling();
    await sleep(60);
    assert.equal(sockets.length, 1);
    bus.start_polling();
    assert.equal(sockets.length, 2);
    bus.stop_polling();
    assert.equal(sockets[1].closedWith, 1000);
    sockets[1].serverClose(1000);        // a late close of a detached socket changes nothing
    assert.equal(bus.state, "stopped");
    sockets[1].open();
    assert.equal(sockets[1].sent.length, 0);
});

test("WebsocketBus: update_presence every presence_interval while open, with im_status_ids_by_model", async () => {
    const {lp, sockets} = load();
    const bus = new lp.WebsocketBus({presence_interval: 20, im_status_ids_by_model: () => ({"res.partner": [3]})});
    bus.start_polling();
    sockets[0].open();
    await waitFor("three presence updates", () => sockets[0].sent.filter((m) => m.event_name === "update_presence").length >= 3);
    const presence = sockets[0].sent.find((m) => m.event_name === "update_presence");
    assert.deepEqual(plain(presence.data.im_status_ids_by_model), {"res.partner": [3]});
    sockets[0].serverClose(4001);
    const count = sockets[0].sent.length;
    await sleep(60);
    assert.equal(sockets[0].sent.length, count, "presence sent on a closed socket");
    assert.equal(bus.send("x", 1), false);
    bus.stop_polling();
});

test("create_bus: one option switches the transport", () => {
    const {lp} = load();
    const ws = lp.create_bus({transport: "websocket", channels: ["a"], last: 5});
    assert.ok(ws instanceof lp.WebsocketBus);
    assert.equal(ws.transport, "websocket");
    assert.deepEqual(Array.from(ws.channels), ["a"]);
    assert.equal(ws.last, 5);
    const poll = lp.create_bus({channels: ["a"], last: 5});
    assert.ok(poll instanceof lp.Bus);
    assert.equal(poll.transport, "longpolling");
    assert.equal(poll.last, 5);
    for (const method of ["add_channel", "delete_channel", "start_polling", "stop_polling", "on", "off"]) {
        assert.equal(typeof ws[method], "function", method);
        assert.equal(typeof poll[method], "function", method);
    }
});
