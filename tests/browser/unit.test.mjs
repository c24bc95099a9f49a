// Unit tests of client/bus.js and client/longpolling.js without a browser or a server: the
// scripts run in a vm context whose fetch is a fake the test controls.
//   node --test unit.test.mjs
import {test} from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import {fileURLToPath} from "node:url";

const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../client");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Loads the client scripts into a fresh context. `handler(request)` answers each fetch:
 * it returns {status, body} (body is JSON-encoded unless it is a string), "hang" (the
 * request only ends when aborted) or "fail" (a network error).
 */
function load(handler) {
    const requests = [];
    const errors = [];
    const fakeFetch = (url, init) => new Promise((resolve, reject) => {
        const request = {url, init, body: init.body ? JSON.parse(init.body) : null, aborted: false};
        requests.push(request);
        const signal = init.signal;
        const onAbort = () => {
            request.aborted = true;
            const error = new Error("The operation was aborted.");
            error.name = "AbortError";
            reject(error);
        };
        if (signal) {
            if (signal.aborted) {
                return onAbort();
            }
            signal.addEventListener("abort", onAbort);
        }
        Promise.resolve(handler(request)).then((answer) => {
            if (answer === "hang" || request.aborted) {
                return;
            }
            if (answer === "fail") {
                return reject(new TypeError("Failed to fetch"));
            }
            const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
            resolve(new Response(text, {status: answer.status || 200, headers: {"Content-Type": "application/json"}}));
        });
    });
    const context = vm.createContext({
        fetch: fakeFetch, AbortController, URLSearchParams, Response, setTimeout, clearTimeout,
        Promise, JSON, Date, Math, Map, Object, Array, Number, String, Error, TypeError,
        console: {error: (...args) => errors.push(args.join(" ")), log() {}},
    });
    for (const file of ["bus.js", "longpolling.js"]) {
        vm.runInContext(fs.readFileSync(path.join(CLIENT, file), "utf8"), context, {filename: file});
    }
    return {lp: context.longpolling, requests, errors};
}

const rpc = (request, result) => ({status: 200, body: {jsonrpc: "2.0", id: request.body.id, result}});

async function waitFor(what, predicate, ms = 2000) {
    const deadline = Date.now() + ms;
    while (!predicate()) {
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await sleep(5);
    }
}

test("Events: on/off with both argument orders, a throwing handler does not stop the others", () => {
    const {lp, errors} = load(() => "hang");
    const events = new lp.Events();
    const owner = {got: []};
    const seen = [];
    function handler(x) {
        this.got.push(x);
    }
    events.on("x", handler, owner);
    events.on("x", owner, function (x) {
        seen.push([this === owner, x]);
    });
    events.on("x", () => {
        throw new Error("boom");
    });
    events.trigger("x", 1);
    assert.deepEqual(owner.got, [1]);
    assert.deepEqual(seen, [[true, 1]]);
    assert.equal(errors.length, 1);
    events.off("x", handler, owner);
    events.trigger("x", 2);
    assert.deepEqual(owner.got, [1]);
    assert.deepEqual(seen, [[true, 1], [true, 2]]);
    events.off("x");
    events.trigger("x", 3);
    assert.deepEqual(seen, [[true, 1], [true, 2]]);
});

test("Bus: both row shapes, last from positive ids only, duplicates skipped, options sent", async () => {
    let round = 0;
    const {lp, requests} = load((request) => {
        round += 1;
        if (round === 1) {
            return rpc(request, [
                {id: 3, channel: "a", message: {x: 1}},                       // Odoo <= 14
                {id: 4, message: {type: "b", payload: "hi"}},                  // Odoo 15
                {id: -1, message: {type: "presence", payload: {im_status: "online"}}},
            ]);
        }
        if (round === 2) {
            return rpc(request, [{id: 4, channel: "a", message: "again"}, {id: 5, channel: "a", message: "new"}]);
        }
        return "hang";
    });
    const bus = new lp.Bus({url: "http://sync.example:8072/", options: {foo: 1}});
    const got = [];
    bus.on("notification", (n) => got.push(...n));
    bus.add_channel("a").add_channel("b").start_polling();
    await waitFor("three polls", () => requests.length === 3);
    assert.equal(requests[0].url, "http://sync.example:8072/longpolling/poll");
    assert.deepEqual(requests[0].body.params.channels, ["a", "b"]);
    assert.equal(requests[0].body.params.last, 0);
    assert.equal(requests[0].body.params.options.foo, 1);
    assert.equal(typeof requests[0].body.params.options.bus_inactivity, "number");
    assert.equal(requests[1].body.params.last, 4);
    assert.equal(requests[2].body.params.last, 5);
    assert.deepEqual(JSON.parse(JSON.stringify(got)),
        [["a", {x: 1}], ["b", "hi"], ["presence", {im_status: "online"}], ["a", "new"]]);
    bus.stop_polling();
    assert.ok(requests[2].aborted);
    assert.throws(() => bus.add_channel(["db", "x", 1]), /strings/);
});

test("Bus: channel changes in one turn abort the parked poll once and re-poll at once", async () => {
    const {lp, requests} = load(() => "hang");
    const bus = new lp.Bus();
    bus.add_channel("a").start_polling();
    await waitFor("the first poll", () => requests.length === 1);
    bus.add_channel("b");
    bus.add_channel("c");
    bus.delete_channel("a");
    await waitFor("the second poll", () => requests.length === 2);
    await sleep(30);
    assert.equal(requests.length, 2);
    assert.ok(requests[0].aborted);
    assert.deepEqual(requests[1].body.params.channels, ["b", "c"]);
    bus.stop_polling();
});

test("Bus: errors back off by error_delay + jitter; JSON-RPC errors and bad answers count as errors", async () => {
    let round = 0;
    const {lp, requests} = load((request) => {
        round += 1;
        if (round === 1) {
            return "fail";
        }
        if (round === 2) {
            return {status: 500, body: {jsonrpc: "2.0", id: request.body.id, error: {code: 200, message: "Odoo Server Error"}}};
        }
        if (round === 3) {
            return {status: 502, body: "<html>bad gateway</html>"};
        }
        return "hang";
    });
    const bus = new lp.Bus({error_delay: 40, error_jitter: 0});
    const failures = [];
    bus.on("poll_error", (error, delay) => failures.push({status: error.status, delay, at: Date.now()}));
    const start = Date.now();
    bus.start_polling();
    await waitFor("the fourth poll", () => requests.length === 4);
    bus.stop_polling();
    assert.deepEqual(failures.map((f) => [f.status, f.delay]), [[0, 40], [500, 40], [502, 40]]);
    assert.ok(Date.now() - start >= 110, "the retries did not wait");

    const odoo = new lp.Bus();
    for (let i = 0; i < 200; i += 1) {
        const delay = odoo.next_error_delay();
        assert.ok(delay >= 11000 && delay <= 30000 && delay % 1000 === 0, `delay ${delay}`);
    }
    assert.equal(new lp.Bus({error_delay: () => 7}).next_error_delay(), 7);
});

test("Bus: a poll that outlives poll_timeout is given up and retried after the back-off", async () => {
    const {lp, requests} = load(() => "hang");
    const bus = new lp.Bus({poll_timeout: 30, error_delay: 20, error_jitter: 0});
    const failures = [];
    bus.on("poll_error", (error) => failures.push(error));
    bus.start_polling();
    await waitFor("the retry", () => requests.length === 2, 1000);
    bus.stop_polling();
    assert.ok(requests[0].aborted);
    assert.equal(failures.length, 1);
    assert.equal(failures[0].timeout, true);
});

test("PosBus: channels, routing, PING body, PONG -> online, late PONG -> offline, silence -> PING", async () => {
    let pong = true;
    let pending = null;
    let nextId = 100;
    const {lp, requests} = load((request) => {
        if (request.url.endsWith("/pos_longpolling/update")) {
            if (pong && pending) {
                const poll = pending;
                pending = null;
                poll.answer(rpc(poll.request, [{id: nextId++, message: {type: '["db1","pos.longpolling","5"]', payload: "PONG"}}]));
            }
            return rpc(request, 1);
        }
        return new Promise((resolve) => {
            pending = {request, answer: resolve};
        });
    });
    const pos = new lp.PosBus({db: "db1", pos_id: 5, pong_timeout: 50, max_silence_timeout: 150, ping_on_start: false});
    const statuses = [];
    const routed = [];
    pos.on("status", (s) => statuses.push(s));
    const owner = {};
    pos.add_channel_callback("pos.multi_session", function (message) {
        routed.push([this === owner, message]);
    }, owner);
    assert.deepEqual(Array.from(pos.channels),
        ['["db1","pos.longpolling","5"]', '["db1","pos.multi_session","5"]']);
    pos.start_polling();
    await waitFor("a poll", () => pending !== null);
    assert.equal(await pos.send_ping(), 1);
    const ping = requests.find((r) => r.url.endsWith("/pos_longpolling/update"));
    assert.deepEqual(JSON.parse(JSON.stringify(ping.body.params)), {message: "PING", pos_id: 5, db_name: "db1"});
    await waitFor("online", () => pos.status === "online");

    // Routed by the channel name, for both row shapes.
    await waitFor("a poll", () => pending !== null);
    let poll = pending;
    pending = null;
    poll.answer(rpc(poll.request, [
        {id: nextId++, channel: '["db1","pos.multi_session","5"]', message: {data: 1}},
        {id: nextId++, message: {type: '["db1","pos.multi_session","5"]', payload: {data: 2}}},
        {id: nextId++, channel: '["db1","other","5"]', message: "ignored"},
    ]));
    await waitFor("routing", () => routed.length === 2);
    assert.deepEqual(JSON.parse(JSON.stringify(routed)), [[true, {data: 1}], [true, {data: 2}]]);

    // No PONG: waiting, then offline after pong_timeout.
    pong = false;
    await pos.send_ping();
    assert.equal(pos.status, "waiting");
    await waitFor("offline", () => pos.status === "offline", 500);

    // Silence: a PING goes out by itself after max_silence_timeout.
    pong = true;
    const pings = () => requests.filter((r) => r.url.endsWith("/pos_longpolling/update")).length;
    const before = pings();
    await waitFor("a silence ping", () => pings() > before, 1000);
    await waitFor("online again", () => pos.status === "online", 1000);
    pos.stop_polling();
    assert.equal(pos.status, "inactive");
    assert.deepEqual(statuses.slice(0, 5), ["waiting", "online", "waiting", "offline", "waiting"]);
    assert.throws(() => new lp.PosBus({pos_id: 1}), /db/);
});

test("PosBus: a failing poll makes the status offline", async () => {
    const {lp} = load((request) => (request.url.endsWith("/longpolling/poll") ? "fail" : rpc(request, 1)));
    const pos = new lp.PosBus({db: "d", pos_id: 1, error_delay: 10000, ping_on_start: false});
    pos.start_polling();
    await waitFor("offline", () => pos.status === "offline");
    pos.stop_polling();
});

test("LongPolling: URL, re-poll after completion, waits for a thenable, retries errors, stops on 404", async () => {
    let round = 0;
    const {lp, requests} = load((request) => {
        round += 1;
        if (request.url.includes("/missing")) {
            return {status: 404, body: "not found"};
        }
        if (round === 3) {
            return {status: 500, body: "oops"};
        }
        return {status: 200, body: {round}};
    });
    const poller = new lp.LongPolling({error_delay: 20});
    const results = [];
    const errors = [];
    let release;
    poller.start_longpolling({session_id: "abc", longpolling_path: "/lp/"}, "/mainroute", {a: [1, "x y"]},
        (result) => {
            results.push(result.round);
            if (results.length === 1) {
                return {then: (resolve) => { release = resolve; }};  // any thenable
            }
            if (results.length === 3) {
                poller.stop_longpolling();
            }
            return undefined;
        },
        (error, kind) => errors.push([error.status, kind]));
    await waitFor("the first answer", () => results.length === 1);
    await sleep(30);
    assert.equal(requests.length, 1, "re-polled before the promise resolved");
    release();
    await waitFor("three answers", () => results.length === 3);
    assert.equal(poller.running, false);
    assert.deepEqual(errors, [[500, "error"]]);
    const url = new URL(requests[0].url, "http://x");
    assert.equal(url.pathname, "/lp/mainroute");
    assert.equal(url.searchParams.get("session_id"), "abc");
    assert.deepEqual(JSON.parse(url.searchParams.get("data")), {a: [1, "x y"]});
    assert.equal(requests[0].init.method, "GET");

    const before = requests.length;
    const missing = new lp.LongPolling({error_delay: 5});
    const missingErrors = [];
    missing.start_longpolling({}, "/missing", {}, () => {}, (error) => missingErrors.push(error.status));
    await sleep(60);
    assert.deepEqual(missingErrors, [404]);
    assert.equal(requests.length, before + 1);
    assert.equal(missing.running, false);
    assert.ok(!requests[before].url.includes("session_id="), "a missing session_id is sent");
});
