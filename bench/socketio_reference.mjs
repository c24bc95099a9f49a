// The reference server for lp-sio-bench: socket.io 4.8.1 (bench/package.json, locked; npm ci by scripts/bench,
// not committed), serving what /examples serves for the benchmark: a "broadcast" event
// re-emitted to every other socket of the namespace. Prints "listening on PORT".
//   node socketio_reference.mjs [PORT]   (0 or none: a free port)
import { createServer } from "node:http";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http, { path: "/socket.io/", pingInterval: 25000, pingTimeout: 20000 });
io.of("/examples").on("connection", (socket) => {
  socket.on("broadcast", (...args) => socket.broadcast.emit("broadcast", ...args));
});
http.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => console.log(`listening on ${http.address().port}`));
