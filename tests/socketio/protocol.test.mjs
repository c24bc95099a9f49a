// The Engine.IO v4 and Socket.IO v5 protocol cases, on the wire (fetch and ws), against a
// server started with etc/socketio-conformance.conf: an echo Engine.IO server at /engine.io/,
// Socket.IO at /socket.io/ with "/" (echo, ack) and "/custom", pingInterval 300 ms,
// pingTimeout 200 ms. The same cases as the official suites, so that CI covers them.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";

const base = process.env.LP_SOCKETIO_URL ?? "http://127.0.0.1:3000";
const eio = `${base}/engine.io/`;
const wsBase = base.replace("http", "ws");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/// Messages of a WebSocket, in order, whatever TCP read they came in.
function inbox(ws) {
  const queue = [];
  const waiting = [];
  ws.on("message", (data, binary) => {
    const item = binary ? new Uint8Array(data) : data.toString();
    const next = waiting.shift();
    next ? next(item) : queue.push(item);
  });
  return { next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r))) };
}
function opened(url) {
  const ws = new WebSocket(url);
  ws.binaryType = "nodebuffer";
  const box = inbox(ws);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ ws, next: box.next }));
    ws.once("error", reject);
  });
}
const closed = (ws) => new Promise((resolve) => ws.once("close", (code) => resolve(code)));
/// The close code if `ws` closes within `ms` while it answers the server's pings, else "open"
/// (a close through the ping timeout would prove nothing).
function closedWithin(ws, ms) {
  ws.on("message", (m) => m.toString() === "2" && ws.send("3"));
  return Promise.race([closed(ws), sleep(ms).then(() => "open")]);
}
async function pollingSession(url = eio) {
  const response = await fetch(`${url}?EIO=4&transport=polling`);
  return JSON.parse((await response.text()).substring(1)).sid;
}
const get = (sid, url = eio) => fetch(`${url}?EIO=4&transport=polling&sid=${sid}`);
const post = (sid, body, url = eio) => fetch(`${url}?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body });
async function errorOf(response) {
  return { status: response.status, ...(await response.json()) };
}

describe("Engine.IO handshake", () => {
  test("polling: sid, upgrades, timings, maxPayload", async () => {
    const response = await fetch(`${eio}?EIO=4&transport=polling`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.equal(text[0], "0");
    const open = JSON.parse(text.substring(1));
    assert.deepEqual(Object.keys(open).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
    assert.deepEqual(open.upgrades, ["websocket"]);
    assert.equal(open.pingInterval, 300);
    assert.equal(open.pingTimeout, 200);
    assert.equal(open.maxPayload, 1000000);
    assert.match(open.sid, /^[A-Za-z0-9_-]{20}$/);
  });

  test("the protocol's error replies", async () => {
    const cases = [
      [`${eio}?transport=polling`, "GET", 5, "Unsupported protocol version"],
      [`${eio}?EIO=abc&transport=polling`, "GET", 5, "Unsupported protocol version"],
      [`${eio}?EIO=5&transport=polling`, "GET", 5, "Unsupported protocol version"],
      [`${eio}?EIO=4`, "GET", 0, "Transport unknown"],
      [`${eio}?EIO=4&transport=abc`, "GET", 0, "Transport unknown"],
      [`${eio}?EIO=4&transport=polling`, "POST", 2, "Bad handshake method"],
      [`${eio}?EIO=4&transport=polling`, "PUT", 2, "Bad handshake method"],
      [`${eio}?EIO=4&transport=polling&sid=nope`, "GET", 1, "Session ID unknown"],
      [`${eio}?EIO=4&transport=websocket`, "GET", 3, "Bad request"], // no Upgrade header
    ];
    for (const [url, method, code, message] of cases)
      assert.deepEqual(await errorOf(await fetch(url, { method })), { status: 400, code, message }, `${method} ${url}`);
  });

  test("CORS: any origin without credentials, and the preflight", async () => {
    const response = await fetch(`${eio}?EIO=4&transport=polling`, { headers: { Origin: "http://elsewhere.example" } });
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    const preflight = await fetch(`${eio}?EIO=4&transport=polling`, { method: "OPTIONS" });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get("access-control-allow-methods"), /POST/);
  });

  test("WebSocket: the open packet has no upgrades; bad queries are refused", async () => {
    const { ws, next } = await opened(`${wsBase}/engine.io/?EIO=4&transport=websocket`);
    const open = JSON.parse((await next()).substring(1));
    assert.deepEqual(open.upgrades, []);
    ws.close();
    for (const query of ["transport=websocket", "EIO=abc&transport=websocket", "EIO=4", "EIO=4&transport=websocket&sid=nope"])
      await assert.rejects(opened(`${wsBase}/engine.io/?${query}`), /400/, query);
  });
});

describe("Engine.IO messages", () => {
  test("polling: text and binary packets echoed in one payload", async () => {
    const sid = await pollingSession();
    const pushed = await post(sid, "4hello\x1e4test2\x1ebAQIDBA==");
    assert.equal(pushed.status, 200);
    assert.equal(await pushed.text(), "ok");
    assert.equal(await (await get(sid)).text(), "4hello\x1e4test2\x1ebAQIDBA==");
  });

  test("polling: a malformed payload closes the session", async () => {
    const sid = await pollingSession();
    assert.equal((await post(sid, "abc")).status, 400);
    assert.equal((await errorOf(await get(sid))).code, 1);
  });

  test("polling: a second poll while one waits ends the session", async () => {
    const sid = await pollingSession();
    const first = get(sid);
    await sleep(20);
    const second = await get(sid);
    assert.equal(second.status, 400);
    assert.equal(await (await first).text(), "1");
    assert.equal((await get(sid)).status, 400);
  });

  test("polling: a parked poll gets what is sent meanwhile", async () => {
    const sid = await pollingSession();
    const parked = get(sid);
    await sleep(20);
    await post(sid, "4later");
    assert.equal(await (await parked).text(), "4later");
  });

  test("polling: the client's close answers the waiting poll with 6", async () => {
    const sid = await pollingSession();
    const [poll] = await Promise.all([get(sid), sleep(20).then(() => post(sid, "1"))]);
    assert.equal(await poll.text(), "6");
    assert.equal((await get(sid)).status, 400);
  });

  test("WebSocket: text and binary echoed; a malformed packet closes", async () => {
    const { ws, next } = await opened(`${wsBase}/engine.io/?EIO=4&transport=websocket`);
    await next();
    ws.send("4hello");
    assert.equal(await next(), "4hello");
    ws.send(Uint8Array.from([1, 2, 3, 4]));
    assert.deepEqual(await next(), Uint8Array.from([1, 2, 3, 4]));
    const end = closedWithin(ws, 2000); // pings answered: not the ping timeout's close
    ws.send("abc");
    assert.notEqual(await end, "open");
  });
});

describe("Engine.IO limits", () => {
  test("WebSocket: a message larger than maxPayload closes with 1009", async () => {
    const { ws, next } = await opened(`${wsBase}/engine.io/?EIO=4&transport=websocket`);
    await next();
    const end = closed(ws);
    ws.send("4" + "a".repeat(1000000)); // 1,000,001 bytes: below websocket_max_message, above maxPayload
    assert.equal(await end, 1009);
  });

  test("polling: a client that never polls is closed past websocket_max_queued (4 MiB) waiting", async () => {
    const sid = await pollingSession();
    const big = "4" + "a".repeat(999990) + "\x1e3"; // a message to echo, and a pong for the heartbeat
    for (let i = 0; i < 4; i++) assert.equal((await post(sid, big)).status, 200);
    assert.ok((await (await get(sid)).text()).length > 3999000); // 4 MB waiting: kept
    for (let i = 0; i < 5; i++) assert.equal((await post(sid, big)).status, 200); // 5 MB: over
    assert.equal((await errorOf(await get(sid))).code, 1);
  });
});

describe("Engine.IO heartbeat and expiry", () => {
  test("polling: pings answered by pongs keep the session", async () => {
    const sid = await pollingSession();
    for (let i = 0; i < 3; i++) {
      assert.equal(await (await get(sid)).text(), "2");
      assert.equal((await post(sid, "3")).status, 200);
    }
  });

  test("polling: a silent client's session expires", async () => {
    const sid = await pollingSession();
    await sleep(300 + 200 + 50);
    assert.equal((await errorOf(await get(sid))).code, 1);
  });

  test("WebSocket: pings, then the close of a silent client", async () => {
    const { ws, next } = await opened(`${wsBase}/engine.io/?EIO=4&transport=websocket`);
    await next();
    assert.equal(await next(), "2");
    ws.send("3");
    assert.equal(await next(), "2");
    await closed(ws); // no pong this time
  });
});

describe("Engine.IO upgrade", () => {
  test("2probe, 3probe, the waiting poll hears 6, 5; then polling is refused", async () => {
    // The server pings every 300 ms on whichever transport is current: a slow machine may see
    // a ping anywhere below, which is answered and skipped (the ping timeout would close).
    const sid = await pollingSession();
    const polled = async (response) => {
      for (;;) {
        const packets = (await (await response).text()).split("\x1e");
        const others = packets.filter((p) => p !== "2");
        if (others.length < packets.length) await post(sid, "3");
        if (others.length) return others.join("\x1e");
        response = get(sid);
      }
    };
    const parked = get(sid);
    await sleep(20);
    const { ws, next } = await opened(`${wsBase}/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
    const nextNotPing = async () => {
      for (;;) {
        const m = await next();
        if (m !== "2") return m;
        ws.send("3");
      }
    };
    ws.send("2probe");
    assert.equal(await nextNotPing(), "3probe");
    assert.equal(await polled(parked), "6");
    assert.equal(await polled(get(sid)), "6"); // any poll until the upgrade
    ws.send("5");
    ws.send("4hello");
    assert.equal(await nextNotPing(), "4hello");
    assert.equal((await errorOf(await get(sid))).code, 3);
    // A second WebSocket for the same session is closed at once.
    const second = await opened(`${wsBase}/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
    await closed(second.ws);
    ws.send("4still");
    assert.equal(await nextNotPing(), "4still");
    ws.close();
  });
});

describe("Socket.IO", () => {
  const sio = `${wsBase}/socket.io/?EIO=4&transport=websocket`;
  async function connected(connect = "40") {
    const c = await opened(sio);
    await c.next(); // Engine.IO open
    c.ws.send(connect);
    return c;
  }
  const withoutPings = async (next) => {
    for (;;) {
      const m = await next();
      if (m !== "2") return m;
    }
  };
  /// Connected to "/", its answer and "auth" event read: `ws` closes within 2 s (code), or "open".
  async function closeOf(send) {
    const { ws, next } = await connected();
    await next();
    await withoutPings(next);
    const end = closedWithin(ws, 2000);
    send(ws);
    return end;
  }

  test("CONNECT to the main and a custom namespace, with and without auth", async () => {
    for (const [connect, prefix, auth] of [
      ["40", "40", "{}"],
      ['40{"token":"123"}', "40", '{"token":"123"}'],
      ["40/custom,", "40/custom,", "{}"],
      ['40/custom,{"token":"abc"}', "40/custom,", '{"token":"abc"}'],
    ]) {
      const { ws, next } = await connected(connect);
      const answer = await next();
      assert.ok(answer.startsWith(prefix), answer);
      assert.deepEqual(Object.keys(JSON.parse(answer.substring(prefix.length))), ["sid"]);
      const ns = prefix.substring(2);
      assert.equal(await withoutPings(next), `42${ns}["auth",${auth}]`);
      ws.close();
    }
  });

  test("CONNECT_ERROR for an unknown namespace; a malformed CONNECT closes", async () => {
    const { ws, next } = await connected("40/random");
    assert.equal(await next(), '44/random,{"message":"Invalid namespace"}');
    ws.close();
    const bad = await opened(sio);
    await bad.next(); // Engine.IO open
    const end = closedWithin(bad.ws, 2000);
    bad.ws.send("4abc");
    assert.notEqual(await end, "open");
  });

  test("no namespace joined within connectTimeout: closed", async () => {
    const c = await opened(sio);
    await c.next();
    // Pongs keep Engine.IO alive; Socket.IO's connectTimeout (1 s) still ends it.
    c.ws.on("message", (m) => m.toString() === "2" && c.ws.send("3"));
    const started = Date.now();
    await closed(c.ws);
    assert.ok(Date.now() - started >= 900, "closed too early for connectTimeout");
  });

  test("events, acks, binary attachments", async () => {
    const { ws, next } = await connected();
    await next();
    await withoutPings(next); // auth
    ws.send('42["message",1,"2",{"3":[true]}]');
    assert.equal(await withoutPings(next), '42["message-back",1,"2",{"3":[true]}]');
    ws.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal(await withoutPings(next), '43456[1,"2",{"3":[false]}]');
    ws.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    ws.send(Uint8Array.from([1, 2, 3]));
    ws.send(Uint8Array.from([4, 5, 6]));
    assert.equal(await withoutPings(next), '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.deepEqual(await next(), Uint8Array.from([1, 2, 3]));
    assert.deepEqual(await next(), Uint8Array.from([4, 5, 6]));
    ws.close();
  });

  test("DISCONNECT from one namespace leaves the others", async () => {
    const { ws, next } = await connected();
    await next();
    await withoutPings(next);
    ws.send("40/custom,");
    await withoutPings(next);
    await withoutPings(next);
    ws.send("41/custom,");
    ws.send('42["message","still here"]');
    assert.equal(await withoutPings(next), '42["message-back","still here"]');
    ws.send('42/custom,["message","gone"]'); // ignored: not in /custom any more
    ws.send('42["message","after"]');
    assert.equal(await withoutPings(next), '42["message-back","after"]');
    ws.close();
  });

  test("a packet whose attachments take it over maxPayload closes", async () => {
    const code = await closeOf((ws) => {
      ws.send('451-["message",{"_placeholder":true,"num":0}]');
      ws.send(new Uint8Array(999990)); // each message within maxPayload, the packet not
    });
    assert.equal(code, 1000);
  });

  test("JSON that takes many times its size once parsed closes", async () => {
    // 600 KB: about 5 MB of parsed values.
    assert.equal(await closeOf((ws) => ws.send('42["message"' + ",0".repeat(300000) + "]")), 1000);
  });

  test("packets faster than the rate limit (100 at once, then 100/s) close", async () => {
    const code = await closeOf((ws) => {
      for (let i = 0; i < 300; i++) ws.send('42["message",1]');
    });
    assert.equal(code, 1000);
  });

  test("malformed packets close the connection", async () => {
    for (const bad of ["4abc", "42{}", '42abc["message-with-ack",1]', "b", "44{}"])
      assert.equal(await closeOf((ws) => ws.send(bad)), 1000, bad);
  });
});
