// A scripted stand-in for Odoo's /websocket, for testing the browser client's reconnect rules
// in Chromium where the test must decide when the server closes, with which code, and what
// it sends. It serves client/ over HTTP and speaks just enough RFC 6455 (no dependency): the
// handshake, masked client text/close/ping frames, unmasked server text/close frames.
// The real server is tested end to end by websocket_e2e.mjs.
import {createHash} from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"};

function frame(opcode, payload) {
    const length = payload.length;
    const header = length < 126 ? Buffer.from([0x80 | opcode, length])
        : length < 65536 ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff])
            : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => {
                const b = Buffer.alloc(8);
                b.writeBigUInt64BE(BigInt(length));
                return b;
            })()]);
    return Buffer.concat([header, payload]);
}

/** One accepted WebSocket, from the server's side. */
class Connection {
    constructor(socket, request) {
        this.socket = socket;
        this.url = request.url;
        this.openedAt = Date.now();
        this.messages = [];       // parsed JSON of every text frame received
        this.closedAt = null;
        this.clientCloseCode = null;
        this._input = Buffer.alloc(0);
        socket.on("data", (chunk) => this._read(chunk));
        socket.on("close", () => {
            this.closedAt = this.closedAt || Date.now();
        });
        socket.on("error", () => {});
    }

    get open() {
        return this.closedAt === null;
    }

    subscribes() {
        return this.messages.filter((m) => m.event_name === "subscribe").map((m) => m.data);
    }

    sendJson(value) {
        if (this.open) {
            this.socket.write(frame(0x1, Buffer.from(JSON.stringify(value))));
        }
    }

    /** Sends a close frame with `code` and ends the TCP connection. */
    close(code, reason = "") {
        if (!this.open) {
            return;
        }
        const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
        payload.writeUInt16BE(code, 0);
        payload.write(reason, 2);
        this.socket.end(frame(0x8, payload));
        this.closedAt = Date.now();
    }

    _read(chunk) {
        this._input = Buffer.concat([this._input, chunk]);
        for (;;) {
            const b = this._input;
            if (b.length < 2) {
                return;
            }
            const opcode = b[0] & 0x0f;
            let length = b[1] & 0x7f;
            let offset = 2;
            if (length === 126) {
                if (b.length < 4) return;
                length = b.readUInt16BE(2);
                offset = 4;
            } else if (length === 127) {
                if (b.length < 10) return;
                length = Number(b.readBigUInt64BE(2));
                offset = 10;
            }
            if (b.length < offset + 4 + length) {
                return;
            }
            const mask = b.subarray(offset, offset + 4);
            const payload = Buffer.from(b.subarray(offset + 4, offset + 4 + length));
            for (let i = 0; i < payload.length; i += 1) {
                payload[i] ^= mask[i % 4];
            }
            this._input = b.subarray(offset + 4 + length);
            if (opcode === 0x1) {
                this.messages.push(JSON.parse(payload.toString("utf8")));
            } else if (opcode === 0x8) {
                this.clientCloseCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
                this.close(this.clientCloseCode);
            } else if (opcode === 0x9) {
                this.socket.write(frame(0xA, payload));
            }
        }
    }
}

/**
 * Starts the server on 127.0.0.1 (a free port). `refuse` set to true answers the next
 * upgrades with 503 (the browser sees a failed connection, close code 1006).
 */
export async function startScriptedServer(clientDir) {
    const connections = [];
    const attempts = [];          // time of every upgrade request, refused or not
    const state = {refuse: false};
    const server = http.createServer((request, response) => {
        const name = path.basename(new URL(request.url, "http://x").pathname);
        const file = path.join(clientDir, name);
        if (!name || !fs.existsSync(file)) {
            response.writeHead(404).end();
            return;
        }
        response.writeHead(200, {"Content-Type": TYPES[path.extname(file)] || "application/octet-stream"});
        response.end(fs.readFileSync(file));
    });
    server.on("upgrade", (request, socket) => {
        attempts.push(Date.now());
        const key = request.headers["sec-websocket-key"];
        if (state.refuse || !key || !request.url.startsWith("/websocket")) {
            socket.end("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return;
        }
        const accept = createHash("sha1").update(key + GUID).digest("base64");
        socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                     `Sec-WebSocket-Accept: ${accept}\r\n\r\n`);
        connections.push(new Connection(socket, request));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        base: `http://127.0.0.1:${server.address().port}`,
        connections,
        attempts,
        state,
        stop() {
            for (const c of connections) {
                c.socket.destroy();
            }
            return new Promise((resolve) => server.close(resolve));
        },
    };
}
