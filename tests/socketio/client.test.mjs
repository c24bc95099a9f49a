// The official socket.io-client (v4) against the server's Socket.IO (conformance namespaces):
// over long-polling only, WebSocket only, and polling upgraded to WebSocket.
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";

const base = process.env.LP_SOCKETIO_URL ?? "http://127.0.0.1:3000";

for (const [name, options] of [
  ["long-polling", { transports: ["polling"], upgrade: false }],
  ["WebSocket", { transports: ["websocket"] }],
  ["polling upgraded to WebSocket", { transports: ["polling", "websocket"] }],
]) {
  test(`socket.io-client over ${name}: connect with auth, emit, acks, binary, namespaces`, async () => {
    const socket = io(base, { ...options, auth: { token: "t1" }, reconnection: false, forceNew: true });
    try {
      const auth = await new Promise((resolve, reject) => {
        socket.once("auth", resolve);
        socket.once("connect_error", reject);
      });
      assert.deepEqual(auth, { token: "t1" });
      assert.ok(socket.connected);

      const back = new Promise((resolve) => socket.once("message-back", (...args) => resolve(args)));
      socket.emit("message", 1, "two", { three: [true] });
      assert.deepEqual(await back, [1, "two", { three: [true] }]);

      const acked = await socket.timeout(2000).emitWithAck("message-with-ack", "a", 2, { b: null });
      assert.deepEqual(acked, "a"); // emitWithAck resolves with the first argument
      const bytes = Buffer.from([0, 1, 2, 250]);
      const [echoed, label] = await new Promise((resolve) =>
        socket.emit("message-with-ack", bytes, "label", (...args) => resolve(args)));
      assert.deepEqual(Buffer.from(echoed), bytes);
      assert.equal(label, "label");

      if (name.startsWith("polling upgraded")) {
        if (socket.io.engine.transport.name !== "websocket")
          await new Promise((resolve) => socket.io.engine.once("upgrade", resolve));
        assert.equal(socket.io.engine.transport.name, "websocket");
        const again = await socket.timeout(2000).emitWithAck("message-with-ack", "after the upgrade");
        assert.equal(again, "after the upgrade");
      }
      else {
        assert.equal(socket.io.engine.transport.name, options.transports[0]);
      }

      // A second namespace on the same connection, and a refused one.
      const custom = socket.io.socket("/custom", { auth: { who: "custom" } });
      const customAuth = await new Promise((resolve) => custom.once("auth", resolve));
      assert.deepEqual(customAuth, { who: "custom" });
      const unknown = socket.io.socket("/nowhere");
      unknown.connect();
      const refused = await new Promise((resolve) => unknown.once("connect_error", resolve));
      assert.equal(refused.message, "Invalid namespace");
      custom.disconnect();
      assert.equal(await socket.timeout(2000).emitWithAck("message-with-ack", "main still"), "main still");
    } finally {
      socket.disconnect();
    }
  });
}

// socket.io 2.x clients (Engine.IO v3, Socket.IO v4 protocol): socketio_allow_eio3.
import ioV2 from "socket.io-client-v2";

for (const [name, transports] of [
  ["long-polling", ["polling"]],
  ["WebSocket", ["websocket"]],
  ["polling upgraded to WebSocket", ["polling", "websocket"]],
]) {
  test(`socket.io-client 2.x over ${name}: the main namespace at once, emit, acks, binary, namespaces`, async () => {
    const manager = new ioV2.Manager(base, { transports, reconnection: false, upgrade: transports.length > 1 });
    const socket = manager.socket("/");
    try {
      assert.deepEqual(await new Promise((resolve) => socket.once("auth", resolve)), {});
      const back = new Promise((resolve) => socket.once("message-back", (...args) => resolve(args)));
      socket.emit("message", 1, "two", { three: [true] });
      assert.deepEqual(await back, [1, "two", { three: [true] }]);
      const bytes = Buffer.from([0, 1, 2, 250]);
      const [echoed, label] = await new Promise((resolve) =>
        socket.emit("message-with-ack", bytes, "label", (...args) => resolve(args)));
      assert.deepEqual(Buffer.from(echoed), bytes);
      assert.equal(label, "label");
      if (transports.length > 1) {
        if (manager.engine.transport.name !== "websocket")
          await new Promise((resolve) => manager.engine.once("upgrade", resolve));
        const [after] = await new Promise((resolve) =>
          socket.emit("message-with-ack", "after the upgrade", (...args) => resolve(args)));
        assert.equal(after, "after the upgrade");
      }
      assert.equal(manager.engine.transport.name, transports.at(-1));
      const custom = manager.socket("/custom");
      assert.deepEqual(await new Promise((resolve) => custom.once("auth", resolve)), {});
      const unknown = manager.socket("/nowhere");
      assert.equal(await new Promise((resolve) => unknown.once("error", resolve)), "Invalid namespace");
    } finally {
      socket.close();
      manager.close?.();
    }
  });
}
