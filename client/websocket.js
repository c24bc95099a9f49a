/*
 * longpolling-server browser client: Odoo 16-18's WebSocket bus (GET /websocket).
 *
 * Classic script, no dependency, no build step; load it after bus.js. It defines:
 *
 *   longpolling.WebsocketBus   the bus over one WebSocket, with Bus's API (add_channel,
 *                              delete_channel, start_polling, stop_polling, on("notification"),
 *                              last, channels)
 *   longpolling.Backoff        the reconnect delays: 1 s, then x1.5 up to 60 s, plus jitter
 *   longpolling.closeAction    what a close code means for reconnecting
 *   longpolling.NotificationTracker   `last` and the de-duplication of ids
 *
 * longpolling.create_bus({transport: "websocket", ...}) (bus.js) picks this class; any other
 * transport gives the long-polling Bus, so an application switches with one option.
 *
 * Wire protocol (Odoo's): the client sends one JSON object per text frame,
 *   {"event_name": "subscribe", "data": {"channels": [...], "last": N}}
 *   {"event_name": "update_presence", "data": {"inactivity_period": ms, "im_status_ids_by_model": {}}}
 * and the server sends text frames holding [{"id": N, "message": {"type": T, "payload": P}}, ...].
 *
 * Reconnect rules (Odoo's): after a close the next attempt waits 1 s, each failed attempt
 * multiplies the wait by 1.5 up to 60 s and adds up to 1 s of jitter, an opened socket resets
 * it; 4002 (keep-alive timeout) reconnects at once; 1000 (clean, also the server's
 * "OUTDATED_VERSION") never reconnects; 4001 (session expired) waits until the application
 * reports a new session with new_session(). Every open re-subscribes with `last`.
 */
(function (global) {
    "use strict";

    const ns = (global.longpolling = global.longpolling || {});
    if (!ns.Events || !ns.Bus) {
        throw new Error("websocket.js needs bus.js: load bus.js first");
    }

    const CLOSE = Object.freeze({
        CLEAN: 1000,
        GOING_AWAY: 1001,
        ABNORMAL: 1006,
        TRY_LATER: 1013,
        SESSION_EXPIRED: 4001,
        KEEP_ALIVE_TIMEOUT: 4002,
    });

    // ------------------------------------------------------------------ pure rules

    /**
     * What to do after the socket closed with `code`:
     *   "stop"          1000: closed on purpose (by us or the server), do not reconnect
     *   "now"           4002: the server ended the connection's lifetime, reconnect at once
     *   "wait_session"  4001: the session is gone; reconnect after new_session()
     *   "backoff"       anything else (1001 restart, 1006 network, 1013 rate limit, ...)
     */
    function closeAction(code) {
        switch (code) {
        case CLOSE.CLEAN:
            return "stop";
        case CLOSE.KEEP_ALIVE_TIMEOUT:
            return "now";
        case CLOSE.SESSION_EXPIRED:
            return "wait_session";
        default:
            return "backoff";
        }
    }

    /**
     * Reconnect delays. next() returns the delay for this attempt and prepares the following
     * one: min(delay * factor, max) + jitter * random(). reset() after a socket opened;
     * immediate() makes the next attempt wait 0 (the one after still backs off).
     */
    class Backoff {
        constructor(options) {
            const o = options || {};
            this.initial = o.initial !== undefined ? o.initial : 1000;
            this.max = o.max !== undefined ? o.max : 60000;
            this.factor = o.factor !== undefined ? o.factor : 1.5;
            this.jitter = o.jitter !== undefined ? o.jitter : 1000;
            this.random = o.random || Math.random;
            this.delay = this.initial;
        }

        next() {
            const now = this.delay;
            this.delay = Math.min(now * this.factor, this.max) + this.jitter * this.random();
            return now;
        }

        reset() {
            this.delay = this.initial;
        }

        immediate() {
            this.delay = 0;
        }
    }

    /**
     * The highest notification id seen (`last`, sent with every subscribe) and the recent ids
     * already delivered. A server that reads ids committed out of order (Odoo's August 2024 fix)
     * may send an id below `last`: it is new unless it was delivered already, so duplicates are
     * found by id in a bounded window of recent ids, not by comparing with `last`.
     */
    class NotificationTracker {
        constructor(last, capacity) {
            this.last = Number.isInteger(last) && last > 0 ? last : 0;
            this.capacity = capacity || 2000;
            this._recent = new Set();
        }

        /** The rows not delivered yet, as [type, payload]; advances `last`. */
        accept(rows) {
            const fresh = [];
            for (const row of rows) {
                if (!row || typeof row !== "object") {
                    continue;
                }
                if (Number.isInteger(row.id) && row.id > 0) {
                    if (this._recent.has(row.id)) {
                        continue;
                    }
                    this._remember(row.id);
                    this.last = Math.max(this.last, row.id);
                }
                fresh.push(ns.Bus.notification_of(row));
            }
            return fresh;
        }

        _remember(id) {
            this._recent.add(id);
            if (this._recent.size > this.capacity) {
                // A Set iterates in insertion order: drop the oldest.
                this._recent.delete(this._recent.values().next().value);
            }
        }
    }

    /** "" -> ws(s)://<this page's host>; "https://h:8072/" -> "wss://h:8072". */
    function websocketBase(url) {
        const base = String(url || "").replace(/\/+$/, "");
        if (base) {
            return base.replace(/^http(s?):/i, "ws$1:");
        }
        const location = global.location;
        if (!location || !location.host) {
            throw new Error("WebsocketBus: no url option and no page location to derive it from");
        }
        return (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
    }

    // ------------------------------------------------------------------ WebsocketBus

    /**
     * Options (all optional):
     *   url                 server base, e.g. "https://chat.example.com" ("" = this page's origin;
     *                       http(s) becomes ws(s))
     *   websocket_path      "/websocket" (Odoo serves it at the root, whatever longpolling_path)
     *   version             sent as ?version=...; Odoo's newest servers close with 1000
     *                       "OUTDATED_VERSION" when it is not theirs (default: not sent)
     *   channels            initial channel names (strings)
     *   last                id of the last notification already seen (default 0)
     *   reconnect_delay     first delay in ms (1000); max_reconnect_delay (60000);
     *                       reconnect_jitter, up to this many ms added per step (1000)
     *   presence_interval   ms between update_presence messages while open (60000; 0: none);
     *                       one is also sent right after the subscribe of every open
     *   im_status_ids_by_model  object, or function returning one, sent with update_presence
     *   WebSocket           the WebSocket class (the global one)
     *   random              a Math.random replacement (tests)
     *
     * state: "stopped", "connecting", "open", "retrying" (a reconnect timer runs),
     * "session_expired" (4001: waiting for new_session()), "closed" (1000 from the server).
     *
     * Events:
     *   "notification" ([[type, payload], ...]): rows not delivered before, in server order
     *   "connect" / "reconnect" (): a socket opened (first time / after a close)
     *   "subscribe" ({channels, last}): a subscribe was sent
     *   "disconnect" ({code, reason, action}): the socket closed; action is closeAction(code)
     *   "reconnecting" ({code, delay}): a reconnect is scheduled in `delay` ms
     *   "session_expired" ({code, reason}): 4001; call new_session() after a login
     *   "state" (state, previous)
     *   "error" (Error): a server frame that is not a list of notifications (ignored)
     */
    class WebsocketBus extends ns.Events {
        constructor(options) {
            super();
            const o = options || {};
            this.transport = "websocket";
            this.url = o.url || "";
            this.websocket_path = o.websocket_path || "/websocket";
            this.version = o.version;
            this.presence_interval = o.presence_interval !== undefined ? o.presence_interval : 60000;
            this.im_status_ids_by_model = o.im_status_ids_by_model || {};
            this.WebSocket = o.WebSocket || global.WebSocket;
            this.backoff = new Backoff({
                initial: o.reconnect_delay, max: o.max_reconnect_delay,
                jitter: o.reconnect_jitter, random: o.random,
            });
            this.tracker = new NotificationTracker(o.last);
            this.channels = [];
            this.active = false;
            this.state = "stopped";
            this.socket = null;
            this._opened = false;          // a socket of this start_polling() has opened before
            this._retryTimer = null;
            this._presenceTimer = null;
            this._subscribeQueued = false;
            this._subscribed = null;       // JSON of the channels of this socket's last subscribe
            for (const channel of o.channels || []) {
                this.add_channel(channel);
            }
        }

        /** Id of the last notification seen; sent as `last` with every subscribe. */
        get last() {
            return this.tracker.last;
        }

        set last(value) {
            this.tracker.last = Number.isInteger(value) && value > 0 ? value : 0;
        }

        /** True while the socket is open. */
        get connected() {
            return this.state === "open";
        }

        /** The full ws(s):// URL this bus connects to. */
        get websocket_url() {
            let url = websocketBase(this.url) + this.websocket_path;
            if (this.version !== undefined && this.version !== null) {
                url += (url.includes("?") ? "&" : "?") + "version=" + encodeURIComponent(this.version);
            }
            return url;
        }

        /** Subscribes to a channel; an open socket re-subscribes (once per turn). */
        add_channel(channel) {
            if (typeof channel !== "string") {
                throw new TypeError("bus channels are strings (JSON.stringify a tuple first)");
            }
            if (!this.channels.includes(channel)) {
                this.channels.push(channel);
                this._queueSubscribe();
            }
            return this;
        }

        /** Unsubscribes from a channel (the server's subscription is replaced). */
        delete_channel(channel) {
            const index = this.channels.indexOf(channel);
            if (index !== -1) {
                this.channels.splice(index, 1);
                this._queueSubscribe();
            }
            return this;
        }

        /** Opens the WebSocket (no-op when already started). Named as Bus's, to switch freely. */
        start_polling() {
            if (!this.active) {
                this.active = true;
                this._opened = false;
                this.backoff.reset();
                this._connect();
            }
            return this;
        }

        /** Closes the WebSocket with 1000 and stops reconnecting. */
        stop_polling() {
            this.active = false;
            this._clearTimers();
            const socket = this.socket;
            this.socket = null;
            if (socket) {
                this._detach(socket);
                if (socket.readyState <= 1) {
                    socket.close(CLOSE.CLEAN);
                }
            }
            this._setState("stopped");
            return this;
        }

        /**
         * Tells the bus that a new session exists (the user logged in again). After a 4001 it
         * reconnects at once; otherwise nothing happens (the cookie is sent with the next
         * connection anyway).
         */
        new_session() {
            if (this.active && this.state === "session_expired") {
                this.backoff.reset();
                this._connect();
            }
            return this;
        }

        /** Sends {event_name, data} now if the socket is open; false if it was not sent. */
        send(event_name, data) {
            if (!this.socket || this.state !== "open") {
                return false;
            }
            this.socket.send(JSON.stringify({event_name: event_name, data: data}));
            return true;
        }

        /** Sends update_presence with the page's inactivity and im_status_ids_by_model. */
        update_presence() {
            const ids = typeof this.im_status_ids_by_model === "function"
                ? this.im_status_ids_by_model() : this.im_status_ids_by_model;
            return this.send("update_presence", {
                inactivity_period: ns.presence.inactivity(),
                im_status_ids_by_model: ids || {},
            });
        }

        /** Milliseconds since the user last did something on this page. */
        get_bus_inactivity() {
            return ns.presence.inactivity();
        }

        // -------------------------------------------------------------- internals

        _connect() {
            clearTimeout(this._retryTimer);
            this._retryTimer = null;
            if (!this.active || this.socket) {
                return;
            }
            let socket;
            try {
                socket = new this.WebSocket(this.websocket_url);
            } catch (error) {
                // A malformed URL: reconnecting cannot help.
                this.active = false;
                this._setState("stopped");
                this.trigger("error", error);
                return;
            }
            this.socket = socket;
            socket.onopen = () => this._onOpen(socket);
            socket.onmessage = (event) => this._onMessage(socket, event);
            socket.onclose = (event) => this._onClose(socket, event);
            this._setState("connecting");
        }

        _detach(socket) {
            socket.onopen = socket.onmessage = socket.onclose = null;
        }

        _onOpen(socket) {
            if (socket !== this.socket) {
                return;
            }
            this.backoff.reset();
            this._setState("open");
            this._subscribe();
            this.update_presence();
            this._startPresenceTimer();
            this.trigger(this._opened ? "reconnect" : "connect");
            this._opened = true;
        }

        _onMessage(socket, event) {
            if (socket !== this.socket) {
                return;
            }
            let rows;
            try {
                rows = JSON.parse(event.data);
            } catch (error) {
                this.trigger("error", new Error("the server sent a frame that is not JSON"));
                return;
            }
            if (!Array.isArray(rows)) {
                this.trigger("error", new Error("the server sent a frame that is not a list of notifications"));
                return;
            }
            const notifications = this.tracker.accept(rows);
            if (notifications.length) {
                this.on_notification(notifications);
            }
        }

        /** Called with [[type, payload], ...]; triggers "notification". Subclasses extend it. */
        on_notification(notifications) {
            this.trigger("notification", notifications);
        }

        _onClose(socket, event) {
            if (socket !== this.socket) {
                return;
            }
            this._detach(socket);
            this.socket = null;
            clearInterval(this._presenceTimer);
            this._presenceTimer = null;
            const code = event.code;
            const action = closeAction(code);
            this.trigger("disconnect", {code: code, reason: event.reason, action: action});
            if (!this.active) {
                return;
            }
            if (action === "stop") {
                this.active = false;
                this._setState("closed");
                return;
            }
            if (action === "wait_session") {
                this._setState("session_expired");
                this.trigger("session_expired", {code: code, reason: event.reason});
                return;
            }
            if (action === "now") {
                this.backoff.immediate();
            }
            const delay = this.backoff.next();
            this._setState("retrying");
            this.trigger("reconnecting", {code: code, delay: delay});
            this._retryTimer = setTimeout(() => this._connect(), delay);
        }

        _queueSubscribe() {
            // Several channel changes in one turn cost one subscribe.
            if (this._subscribeQueued) {
                return;
            }
            this._subscribeQueued = true;
            Promise.resolve().then(() => {
                this._subscribeQueued = false;
                if (this.state === "open" && JSON.stringify(this.channels) !== this._subscribed) {
                    this._subscribe();
                }
            });
        }

        _subscribe() {
            const data = {channels: this.channels.slice(), last: this.last};
            if (this.send("subscribe", data)) {
                this._subscribed = JSON.stringify(data.channels);
                this.trigger("subscribe", data);
            }
        }

        _startPresenceTimer() {
            clearInterval(this._presenceTimer);
            this._presenceTimer = null;
            if (this.presence_interval > 0) {
                this._presenceTimer = setInterval(() => this.update_presence(), this.presence_interval);
            }
        }

        _clearTimers() {
            clearTimeout(this._retryTimer);
            clearInterval(this._presenceTimer);
            this._retryTimer = this._presenceTimer = null;
        }

        _setState(state) {
            if (state !== this.state) {
                const previous = this.state;
                this.state = state;
                this.trigger("state", state, previous);
            }
        }
    }

    ns.CLOSE_CODES = CLOSE;
    ns.closeAction = closeAction;
    ns.Backoff = Backoff;
    ns.NotificationTracker = NotificationTracker;
    ns.WebsocketBus = WebsocketBus;
}(typeof window !== "undefined" ? window : globalThis));
