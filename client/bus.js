/*
 * longpolling-server browser client: the Odoo-style notification bus.
 *
 * Classic script, no dependency, no build step. It defines:
 *
 *   longpolling.Events   a tiny event emitter (on / off / trigger)
 *   longpolling.Bus      a long-polling client for POST <url>/longpolling/poll
 *   longpolling.bus      a default Bus on the page's own origin
 *   longpolling.PosBus   a Bus with pos_longpolling's per-POS channels and PING/PONG status
 *
 * Usage (the bus module's API):
 *
 *   longpolling.bus.on("notification", function (notifications) {
 *       for (const [channel, message] of notifications) { ... }
 *   }, this);
 *   longpolling.bus.add_channel("my_channel");
 *   longpolling.bus.start_polling();
 *
 * A notification is [channel, message] when the server answers Odoo 8-14 rows
 * ({id, channel, message}) and [message.type, message.payload] for Odoo 15 rows
 * ({id, message: {type, payload}}); the shape of each row decides, not a setting.
 */
(function (global) {
    "use strict";

    const ns = (global.longpolling = global.longpolling || {});

    const DEFAULT_ERROR_DELAY = 10000;   // Odoo's ERROR_DELAY
    const DEFAULT_ERROR_JITTER = 20000;  // plus 1..20 whole seconds
    const DEFAULT_POLL_TIMEOUT = 60000;  // Odoo's poll RPC timeout (the server parks 50 s)

    // ------------------------------------------------------------------ helpers

    /** "http://host:8068/" -> "http://host:8068"; "" or undefined -> "" (same origin). */
    function normalizeBase(url) {
        if (url === undefined || url === null) {
            return "";
        }
        return String(url).replace(/\/+$/, "");
    }

    /** Reports an exception thrown by user code without stopping the caller. */
    function reportCallbackError(where, error) {
        if (global.console && typeof global.console.error === "function") {
            global.console.error("longpolling: " + where + " failed:", error);
        }
    }

    /** An Error describing a failed RPC: status is the HTTP status, 0 when there was none. */
    function rpcError(message, fields) {
        const error = new Error(message);
        error.name = "LongpollingRpcError";
        Object.assign(error, fields);
        return error;
    }

    let rpcCounter = 0;

    /**
     * POSTs a JSON-RPC 2.0 "call" and resolves with its result.
     * Rejects with an Error carrying .status (HTTP status, 0 for a network failure),
     * .data (the JSON-RPC error object, if any) and .aborted (true when `signal` fired).
     */
    async function jsonRpc(url, params, init) {
        const settings = init || {};
        const id = ++rpcCounter;
        let response;
        try {
            response = await global.fetch(url, {
                method: "POST",
                headers: {"Content-Type": "application/json"},
                body: JSON.stringify({jsonrpc: "2.0", method: "call", params: params, id: id}),
                credentials: settings.credentials || "same-origin",
                cache: "no-store",
                signal: settings.signal,
            });
        } catch (error) {
            const aborted = Boolean(settings.signal && settings.signal.aborted);
            throw rpcError(aborted ? "request aborted" : "network error: " + error.message,
                           {status: 0, aborted: aborted, cause: error});
        }
        let body = null;
        try {
            body = await response.json();
        } catch (error) {
            const aborted = Boolean(settings.signal && settings.signal.aborted);
            if (aborted || response.ok) {
                throw rpcError(aborted ? "request aborted" : "the answer is not JSON",
                               {status: aborted ? 0 : response.status, aborted: aborted, cause: error});
            }
            // A non-JSON error page: report the HTTP status below.
        }
        if (body && typeof body === "object" && body.error) {
            const message = body.error.data && body.error.data.message
                ? body.error.data.message : body.error.message || "JSON-RPC error";
            throw rpcError(message, {status: response.status, data: body.error, aborted: false});
        }
        if (!response.ok) {
            throw rpcError("HTTP " + response.status + " " + response.statusText,
                           {status: response.status, aborted: false});
        }
        if (!body || typeof body !== "object" || !("result" in body)) {
            throw rpcError("the answer is not a JSON-RPC result", {status: response.status, aborted: false});
        }
        return body.result;
    }

    // ------------------------------------------------------------------ presence

    /**
     * Time of the user's last activity on this document (focus, pointer, keys, wheel,
     * touch), for the poll's `bus_inactivity` option. One set of listeners per page.
     */
    const presence = {
        last: Date.now(),
        touch() {
            presence.last = Date.now();
        },
        inactivity() {
            return Math.max(0, Date.now() - presence.last);
        },
    };
    if (typeof global.addEventListener === "function") {
        const listen = {passive: true, capture: true};
        for (const type of ["focus", "pointerdown", "pointermove", "keydown", "wheel", "touchstart"]) {
            global.addEventListener(type, presence.touch, listen);
        }
    }
    ns.presence = presence;

    // ------------------------------------------------------------------ Events

    class Events {
        constructor() {
            this._handlers = new Map();
        }

        /**
         * on(event, callback[, thisArg]) or Odoo 8/9's on(event, thisArg, callback).
         * Returns this.
         */
        on(event, a, b) {
            const [callback, thisArg] = typeof a === "function" ? [a, b] : [b, a];
            if (typeof callback !== "function") {
                throw new TypeError("on(" + event + "): the callback is not a function");
            }
            if (!this._handlers.has(event)) {
                this._handlers.set(event, []);
            }
            this._handlers.get(event).push({callback: callback, thisArg: thisArg});
            return this;
        }

        /**
         * off() removes every handler, off(event) those of one event, off(event, callback
         * [, thisArg]) (either argument order) one registration. Returns this.
         */
        off(event, a, b) {
            if (event === undefined) {
                this._handlers.clear();
                return this;
            }
            if (a === undefined && b === undefined) {
                this._handlers.delete(event);
                return this;
            }
            const [callback, thisArg] = typeof a === "function" ? [a, b] : [b, a];
            const list = this._handlers.get(event);
            if (list) {
                const kept = list.filter((h) => !(h.callback === callback &&
                    (thisArg === undefined || h.thisArg === thisArg)));
                if (kept.length) {
                    this._handlers.set(event, kept);
                } else {
                    this._handlers.delete(event);
                }
            }
            return this;
        }

        /** Calls every handler of `event`; one that throws is reported and the rest still run. */
        trigger(event, ...args) {
            const list = this._handlers.get(event);
            if (!list) {
                return this;
            }
            for (const handler of list.slice()) {
                try {
                    handler.callback.apply(handler.thisArg, args);
                } catch (error) {
                    reportCallbackError('"' + event + '" handler', error);
                }
            }
            return this;
        }
    }

    // ------------------------------------------------------------------ Bus

    /**
     * Options (all optional):
     *   url            server base, e.g. "https://sync.example.com" ("" = this page's origin)
     *   poll_path      "/longpolling/poll"
     *   channels       initial channel names (strings)
     *   last           id of the last notification already seen (default 0)
     *   options        extra `options` sent with each poll (bus_inactivity is added)
     *   poll_timeout   ms before the client gives a poll up (60000)
     *   error_delay    ms to wait after a failed poll before the next one (10000), or a
     *                  function returning the whole delay
     *   error_jitter   up to this many ms (whole seconds, at least 1 s) are added (20000);
     *                  0 for none
     *   credentials    fetch credentials ("same-origin"; "include" needs a server that
     *                  echoes the origin instead of "*")
     *
     * Events: "notification" ([[channel, message], ...]), "poll_start" ({channels, last}),
     * "poll_success" (rows), "poll_error" (error, delay_ms).
     */
    class Bus extends Events {
        constructor(options) {
            super();
            const o = options || {};
            this.transport = "longpolling";
            this.url = normalizeBase(o.url);
            this.poll_path = o.poll_path || "/longpolling/poll";
            this.options = Object.assign({}, o.options || {});
            this.poll_timeout = o.poll_timeout !== undefined ? o.poll_timeout : DEFAULT_POLL_TIMEOUT;
            this.error_delay = o.error_delay !== undefined ? o.error_delay : DEFAULT_ERROR_DELAY;
            this.error_jitter = o.error_jitter !== undefined ? o.error_jitter : DEFAULT_ERROR_JITTER;
            this.credentials = o.credentials || "same-origin";
            this.last = Number.isInteger(o.last) ? o.last : 0;
            this.channels = [];
            this.active = false;
            this._poll = null;          // {controller, reason} of the poll in flight
            this._retryTimer = null;
            this._restartQueued = false;
            for (const channel of o.channels || []) {
                this.add_channel(channel);
            }
        }

        /** Subscribes to a channel; a poll in flight is restarted to carry it. */
        add_channel(channel) {
            if (typeof channel !== "string") {
                throw new TypeError("bus channels are strings (JSON.stringify a tuple first)");
            }
            if (!this.channels.includes(channel)) {
                this.channels.push(channel);
                this._channelsChanged();
            }
            return this;
        }

        /** Unsubscribes from a channel; a poll in flight is restarted without it. */
        delete_channel(channel) {
            const index = this.channels.indexOf(channel);
            if (index !== -1) {
                this.channels.splice(index, 1);
                this._channelsChanged();
            }
            return this;
        }

        /** Starts polling (no-op when already polling). */
        start_polling() {
            if (!this.active) {
                this.active = true;
                this._pollNow();
            }
            return this;
        }

        /** Stops polling and gives up the poll in flight. */
        stop_polling() {
            this.active = false;
            clearTimeout(this._retryTimer);
            this._retryTimer = null;
            this._abort("stop");
            return this;
        }

        /** True while a poll request is in flight. */
        get polling() {
            return this._poll !== null;
        }

        /** Milliseconds since the user last did something on this page. */
        get_bus_inactivity() {
            return presence.inactivity();
        }

        /** The delay before the poll that follows a failed one. */
        next_error_delay() {
            if (typeof this.error_delay === "function") {
                return this.error_delay();
            }
            const jitterSteps = Math.floor(this.error_jitter / 1000);
            const jitter = jitterSteps > 0 ? (Math.floor(Math.random() * jitterSteps) + 1) * 1000 : 0;
            return this.error_delay + jitter;
        }

        // -------------------------------------------------------------- internals

        _channelsChanged() {
            // Several add/delete calls in one turn cost one restart.
            if (!this.active || this._restartQueued) {
                return;
            }
            this._restartQueued = true;
            Promise.resolve().then(() => {
                this._restartQueued = false;
                if (this.active) {
                    this._abort("restart");
                    this._pollNow();
                }
            });
        }

        _abort(reason) {
            const poll = this._poll;
            if (poll) {
                this._poll = null;
                poll.reason = reason;
                poll.controller.abort();
                clearTimeout(poll.timer);
            }
        }

        _pollNow() {
            clearTimeout(this._retryTimer);
            this._retryTimer = null;
            if (!this.active || this._poll) {
                return;
            }
            const poll = {controller: new AbortController(), reason: null, timer: null};
            this._poll = poll;
            if (this.poll_timeout > 0) {
                poll.timer = setTimeout(() => {
                    poll.reason = "timeout";
                    poll.controller.abort();
                }, this.poll_timeout);
            }
            const params = {
                channels: this.channels.slice(),
                last: this.last,
                options: Object.assign({}, this.options, {bus_inactivity: presence.inactivity()}),
            };
            this.trigger("poll_start", {channels: params.channels, last: params.last});
            jsonRpc(this.url + this.poll_path, params, {signal: poll.controller.signal, credentials: this.credentials})
                .then((rows) => this._pollDone(poll, null, rows),
                      (error) => this._pollDone(poll, error, null));
        }

        _pollDone(poll, error, rows) {
            clearTimeout(poll.timer);
            const superseded = poll.reason === "stop" || poll.reason === "restart";
            if (this._poll === poll) {
                this._poll = null;
            }
            if (!error && !Array.isArray(rows)) {
                error = rpcError("the poll result is not a list", {status: 200, aborted: false});
            }
            if (error) {
                if (superseded) {
                    return; // whoever aborted it decides what follows
                }
                if (poll.reason === "timeout") {
                    error = rpcError("poll timed out after " + this.poll_timeout + " ms",
                                     {status: 0, aborted: true, timeout: true});
                }
                const delay = this.next_error_delay();
                this._onPollError(error, delay);
                if (this.active && !this._poll) {
                    this._retryTimer = setTimeout(() => this._pollNow(), delay);
                }
                return;
            }
            // Rows that arrived just before an abort are still used (and deduplicated by id).
            this._onPollSuccess(rows);
            if (this.active && !superseded) {
                this._pollNow();
            }
        }

        /**
         * Handles a poll's rows: skips rows already seen (0 < id <= last), advances `last`
         * to the highest positive id, triggers "notification".
         */
        _onPollSuccess(rows) {
            const notifications = [];
            const seen = this.last;
            for (const row of rows) {
                if (!row || typeof row !== "object") {
                    continue;
                }
                if (typeof row.id === "number" && row.id > 0) {
                    if (row.id <= seen) {
                        continue; // a restarted poll answered it too
                    }
                    this.last = Math.max(this.last, row.id);
                }
                notifications.push(Bus.notification_of(row));
            }
            this.trigger("poll_success", rows);
            if (notifications.length) {
                this.on_notification(notifications);
            }
        }

        /** Called with [[channel, message], ...]; triggers "notification". Subclasses extend it. */
        on_notification(notifications) {
            this.trigger("notification", notifications);
        }

        _onPollError(error, delay) {
            this.trigger("poll_error", error, delay);
        }

        /** A row of either server generation as [channel, message]. */
        static notification_of(row) {
            if ("channel" in row) {
                return [row.channel, row.message];
            }
            const message = row.message;
            if (message && typeof message === "object" && "type" in message) {
                return [message.type, message.payload];
            }
            return [null, message];
        }
    }

    // ------------------------------------------------------------------ PosBus

    /**
     * pos_longpolling's bus: channels per POS and database, callbacks per channel name, and a
     * connection status checked with PING/PONG.
     *
     * Extra options:
     *   db                    database name (required)
     *   pos_id                pos.config id (required)
     *   update_path           "/pos_longpolling/update"
     *   pong_timeout          ms to wait for PONG after a PING before "offline" (10000)
     *   max_silence_timeout   ms without a pos.longpolling message before a PING (60000)
     *   ping_timeout          ms for the PING request itself (30000)
     *   ping_on_start         send a PING when polling starts (true)
     *
     * status: "inactive" (not polling), "waiting" (PING sent, no PONG yet), "online"
     * (PONG received), "offline" (poll failed, PING failed or PONG late). Event "status"
     * (status, previous) on every change.
     */
    class PosBus extends Bus {
        constructor(options) {
            const o = options || {};
            if (typeof o.db !== "string" || !o.db) {
                throw new TypeError("PosBus needs options.db (the database name)");
            }
            if (o.pos_id === undefined || o.pos_id === null || o.pos_id === "") {
                throw new TypeError("PosBus needs options.pos_id (the pos.config id)");
            }
            super(Object.assign({}, o, {channels: []}));
            this.db = o.db;
            this.pos_id = o.pos_id;
            this.update_path = o.update_path || "/pos_longpolling/update";
            this.pong_timeout = o.pong_timeout !== undefined ? o.pong_timeout : 10000;
            this.max_silence_timeout = o.max_silence_timeout !== undefined ? o.max_silence_timeout : 60000;
            this.ping_timeout = o.ping_timeout !== undefined ? o.ping_timeout : 30000;
            this.ping_on_start = o.ping_on_start !== undefined ? Boolean(o.ping_on_start) : true;
            this.status = "inactive";
            this.channel_callbacks = new Map();
            this._pongTimer = null;
            this._silenceTimer = null;
            this._awaitingPong = false;
            this.add_channel_callback("pos.longpolling", this.network_is_on, this);
            for (const channel of o.channels || []) {
                this.add_channel(channel);
            }
        }

        /** JSON.stringify([db, name, String(pos_id)]), byte-identical to the Python side's. */
        get_full_channel_name(channel_name) {
            return JSON.stringify([this.db, channel_name, String(this.pos_id)]);
        }

        /** Routes messages of this POS's channel `channel_name` to callback.call(thisArg, message). */
        add_channel_callback(channel_name, callback, thisArg) {
            if (typeof callback !== "function") {
                throw new TypeError("add_channel_callback: the callback is not a function");
            }
            this.channel_callbacks.set(channel_name, {callback: callback, thisArg: thisArg});
            this.add_channel(this.get_full_channel_name(channel_name));
            return this;
        }

        /** Forgets a channel callback and unsubscribes from that channel. */
        remove_channel_callback(channel_name) {
            this.channel_callbacks.delete(channel_name);
            this.delete_channel(this.get_full_channel_name(channel_name));
            return this;
        }

        start_polling() {
            const wasActive = this.active;
            super.start_polling();
            if (!wasActive) {
                this._restartSilenceTimer();
                if (this.ping_on_start) {
                    this.send_ping().catch(() => {});
                }
            }
            return this;
        }

        stop_polling() {
            super.stop_polling();
            clearTimeout(this._pongTimer);
            clearTimeout(this._silenceTimer);
            this._pongTimer = this._silenceTimer = null;
            this._awaitingPong = false;
            this._setStatus("inactive");
            return this;
        }

        /**
         * POSTs {message: "PING", pos_id, db_name} to /pos_longpolling/update; the server
         * answers PONG through the bus. Resolves with the RPC's result, rejects if it failed
         * (the status is then "offline").
         */
        send_ping() {
            this._awaitingPong = true;
            if (this.active) {
                this._setStatus("waiting");
            }
            clearTimeout(this._pongTimer);
            this._pongTimer = setTimeout(() => {
                this._pongTimer = null;
                if (this._awaitingPong) {
                    this.network_is_off();
                }
            }, this.pong_timeout);
            const controller = new AbortController();
            const timer = setTimeout(() => controller.abort(), this.ping_timeout);
            const params = {message: "PING", pos_id: this.pos_id, db_name: this.db};
            return jsonRpc(this.url + this.update_path, params,
                           {signal: controller.signal, credentials: this.credentials})
                .then((result) => {
                    clearTimeout(timer);
                    return result;
                }, (error) => {
                    clearTimeout(timer);
                    if (this.active) {
                        this.network_is_off();
                    }
                    throw error;
                });
        }

        /** A message arrived on pos.longpolling (a PONG): the connection works. */
        network_is_on() {
            this._awaitingPong = false;
            clearTimeout(this._pongTimer);
            this._pongTimer = null;
            if (this.active) {
                this._setStatus("online");
                this._restartSilenceTimer();
            }
        }

        /** A poll or PING failed, or the PONG is late. */
        network_is_off() {
            this._awaitingPong = false;
            clearTimeout(this._pongTimer);
            this._pongTimer = null;
            if (this.active) {
                this._setStatus("offline");
            }
        }

        on_notification(notifications) {
            super.on_notification(notifications);
            for (const [channel, message] of notifications) {
                let parsed = channel;
                if (typeof channel === "string") {
                    try {
                        parsed = JSON.parse(channel);
                    } catch (error) {
                        continue; // not a POS channel
                    }
                }
                if (!Array.isArray(parsed) || parsed.length < 2) {
                    continue;
                }
                const entry = this.channel_callbacks.get(parsed[1]);
                if (entry) {
                    try {
                        entry.callback.call(entry.thisArg, message);
                    } catch (error) {
                        reportCallbackError('channel "' + parsed[1] + '" callback', error);
                    }
                }
            }
        }

        _onPollSuccess(rows) {
            super._onPollSuccess(rows);
            // Polls work again after a failure: ask for a PONG rather than wait for silence.
            if (this.active && this.status === "offline" && !this._awaitingPong) {
                this.send_ping().catch(() => {});
            }
        }

        _onPollError(error, delay) {
            super._onPollError(error, delay);
            this.network_is_off();
        }

        _restartSilenceTimer() {
            clearTimeout(this._silenceTimer);
            this._silenceTimer = null;
            if (this.active && this.max_silence_timeout > 0) {
                this._silenceTimer = setTimeout(() => {
                    this._silenceTimer = null;
                    if (this.active) {
                        this.send_ping().catch(() => {});
                        this._restartSilenceTimer();
                    }
                }, this.max_silence_timeout);
            }
        }

        _setStatus(status) {
            if (status !== this.status) {
                const previous = this.status;
                this.status = status;
                this.trigger("status", status, previous);
            }
        }
    }

    ns.Events = Events;
    ns.Bus = Bus;
    ns.PosBus = PosBus;
    ns.jsonRpc = jsonRpc;
    ns.bus = ns.bus || new Bus();

    /**
     * A bus for `options.transport`: "websocket" gives a WebsocketBus (Odoo 16-18's /websocket,
     * needs websocket.js), anything else a long-polling Bus. Both take the same channel, `last`
     * and `url` options and have the same add_channel / start_polling / on("notification") API.
     */
    ns.create_bus = function (options) {
        if (options && options.transport === "websocket") {
            if (!ns.WebsocketBus) {
                throw new Error('transport "websocket" needs websocket.js (load it after bus.js)');
            }
            return new ns.WebsocketBus(options);
        }
        return new Bus(options);
    };
}(typeof window !== "undefined" ? window : globalThis));
