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
