/*
 * longpolling-server browser client: web_socketio's SocketIO and web_longpolling's shared
 * socket, on the official socket.io-client (its global `io`), which the server serves from
 * npm's install (scripts/setup) at <longpolling_path>/static/socket.io-client/:
 *
 *   <script src="/openerplongpolling/static/socket.io-client/socket.io.min.js"></script>
 *   <script src="/openerplongpolling/static/socketio.js"></script>
 *
 *   const socket = new SocketIO("/MyNameSpace");           // also longpolling.SocketIO
 *   socket.on("other signal", (messages) => { ... });
 *   socket.emit("signal", user_id);
 *   socket.emit("echo", 1, "two", (...ack) => { ... });     // a last function: the server's ack
 *   socket.disconnect();
 *
 *   // web_longpolling: one socket to "/namespace" per page, made on first use, disconnected
 *   // when the page goes away (the server runs its disconnect events at once).
 *   longpolling.longpolling_socket.on("other signal", (messages) => console.log(messages));
 *   longpolling.longpolling_socket.emit("my_messages");
 *
 * Options of SocketIO (all optional; longpolling.longpolling_socket_options for the shared one):
 *   url         the server, e.g. "http://127.0.0.1:8068" ("" = this page's origin)
 *   session_id  the Odoo session, sent in the CONNECT auth payload (without it the server uses
 *               the session_id cookie, which a page of the same origin sends anyway)
 *   path        the server's socketio_path ("/socket.io/")
 *   any other   passed to socket.io-client's io(), e.g. transports: ["websocket"]
 * Sockets to the same server share one connection (socket.io-client multiplexes namespaces).
 */
(function (global) {
    "use strict";

    const ns = (global.longpolling = global.longpolling || {});

    /** A socket to `namespace` ("/" by default) of the server. */
    function SocketIO(namespace, options) {
        if (!(this instanceof SocketIO)) {
            return new SocketIO(namespace, options);
        }
        if (typeof global.io !== "function") {
            throw new Error("socketio.js: load socket.io-client first (static/socket.io-client/socket.io.min.js)");
        }
        const {url = "", session_id: sessionId, ...settings} = options || {};
        settings.path = settings.path || "/socket.io/";
        if (sessionId) {
            settings.auth = {...settings.auth, session_id: sessionId};
        }
        this.namespace = namespace || "/";
        /** socket.io-client's Socket, for what this wrapper does not show. */
        this.socket = global.io(url + this.namespace, settings);
    }

    /** Calls `callback(...args)` for each `event` the server emits; returns this socket. */
    SocketIO.prototype.on = function (event, callback) {
        this.socket.on(event, callback);
        return this;
    };

    /** Emits `event` with `args`; a last function argument receives the server's ack. */
    SocketIO.prototype.emit = function (event, ...args) {
        this.socket.emit(event, ...args);
        return this;
    };

    /** Leaves the namespace (the server runs its disconnect handlers). */
    SocketIO.prototype.disconnect = function () {
        this.socket.disconnect();
        return this;
    };

    Object.defineProperty(SocketIO.prototype, "connected", {
        get() {
            return this.socket.connected;
        },
    });

    ns.SocketIO = SocketIO;
    if (!global.SocketIO) {
        global.SocketIO = SocketIO;
    }

    let shared = null;
    Object.defineProperty(ns, "longpolling_socket", {
        configurable: true,
        enumerable: true,
        get() {
            if (!shared) {
                shared = new SocketIO("/namespace", ns.longpolling_socket_options);
                global.addEventListener("pagehide", () => shared.disconnect());
            }
            return shared;
        },
    });
}(typeof window !== "undefined" ? window : globalThis));
