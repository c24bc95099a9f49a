/*
 * longpolling-server browser client: web_longpolling's LongPolling.
 *
 * Classic script, no dependency. Defines longpolling.LongPolling:
 *
 *   const lp = new longpolling.LongPolling();
 *   lp.start_longpolling({session_id: sid}, "/mainroute", {any: "params"},
 *       function (result) { ...; return optionalPromise; },
 *       function (error, kind) { ... });
 *   lp.stop_longpolling();
 *
 * Each round is GET <url><longpolling_path><path>?session_id=<sid>&data=<JSON params>.
 * When a round ends, the next one starts at once; if `success` returned a promise (any
 * thenable), only after it settled. A 404 (no such route) stops the loop. Other failures
 * call `error` and retry after `error_delay` ms, so a server that is down is not hammered.
 */
(function (global) {
    "use strict";

    const ns = (global.longpolling = global.longpolling || {});

    const DEFAULT_PATH = "/openerplongpolling";

    function reportCallbackError(where, error) {
        if (global.console && typeof global.console.error === "function") {
            global.console.error("longpolling: " + where + " failed:", error);
        }
    }

    function isThenable(value) {
        return value !== null && (typeof value === "object" || typeof value === "function") &&
            typeof value.then === "function";
    }

    /**
     * Options (all optional):
     *   url          server base, e.g. "http://127.0.0.1:8068" ("" = this page's origin)
     *   timeout      ms before one round is given up (65000, above the server's default
     *                longpolling_timeout of 60 s); 0 for none
     *   error_delay  ms to wait after a failed round (2000)
     *   credentials  fetch credentials ("same-origin")
     */
    class LongPolling {
        constructor(options) {
            const o = options || {};
            this.url = o.url ? String(o.url).replace(/\/+$/, "") : "";
            this.timeout = o.timeout !== undefined ? o.timeout : 65000;
            this.error_delay = o.error_delay !== undefined ? o.error_delay : 2000;
            this.credentials = o.credentials || "same-origin";
            this.running = false;
            this._run = null;  // state of the current loop: {controller, timer, stopped}
        }

        /**
         * session: {session_id, longpolling_path} (both optional; the path defaults to
         * "/openerplongpolling"). path: the route, e.g. "/countdown/5". params: merged into
         * the handler's kwargs. success(result) and error(err, kind) are called with `this`
         * being this LongPolling; kind is "error", "timeout" or "parsererror" and err carries
         * .status (HTTP status, 0 without one) and .body (the answer's text).
         */
        start_longpolling(session, path, params, success, error) {
            this.stop_longpolling();
            const run = {controller: null, timer: null, stopped: false};
            this._run = run;
            this.running = true;
            const url = this._buildUrl(session || {}, path || "/", params);
            this._round(run, url, success, error);
            return this;
        }

        /** Stops the loop and gives up the request in flight. */
        stop_longpolling() {
            const run = this._run;
            this._run = null;
            this.running = false;
            if (run) {
                run.stopped = true;
                clearTimeout(run.timer);
                if (run.controller) {
                    run.controller.abort();
                }
            }
            return this;
        }

        _buildUrl(session, path, params) {
            const prefix = (session.longpolling_path || DEFAULT_PATH).replace(/\/+$/, "");
            const route = path.charAt(0) === "/" ? path : "/" + path;
            const query = new URLSearchParams();
            if (session.session_id !== undefined && session.session_id !== null) {
                query.set("session_id", String(session.session_id));
            }
            query.set("data", JSON.stringify(params === undefined ? {} : params));
            return this.url + prefix + route + "?" + query.toString();
        }

        async _round(run, url, success, error) {
            if (run.stopped) {
                return;
            }
            const controller = new AbortController();
            run.controller = controller;
            let timedOut = false;
            let timeoutTimer = null;
            if (this.timeout > 0) {
                timeoutTimer = setTimeout(() => {
                    timedOut = true;
                    controller.abort();
                }, this.timeout);
            }
            let failure = null;   // {err, kind}
            let result;
            try {
                const response = await global.fetch(url, {
                    method: "GET",
                    headers: {"Accept": "application/json"},
                    credentials: this.credentials,
                    cache: "no-store",
                    signal: controller.signal,
                });
                const body = await response.text();
                if (!response.ok) {
                    const err = new Error("HTTP " + response.status + " " + response.statusText);
                    err.status = response.status;
                    err.body = body;
                    failure = {err: err, kind: "error"};
                } else {
                    try {
                        result = JSON.parse(body);
                    } catch (parseError) {
                        const err = new Error("the answer is not JSON");
                        err.status = response.status;
                        err.body = body;
                        failure = {err: err, kind: "parsererror"};
                    }
                }
            } catch (fetchError) {
                if (run.stopped) {
                    return;  // stop_longpolling() aborted it
                }
                const err = new Error(timedOut ? "timed out after " + this.timeout + " ms"
                                               : "network error: " + fetchError.message);
                err.status = 0;
                err.body = "";
                failure = {err: err, kind: timedOut ? "timeout" : "error"};
            } finally {
                clearTimeout(timeoutTimer);
                run.controller = null;
            }
            if (run.stopped) {
                return;
            }

            if (failure) {
                if (typeof error === "function") {
                    try {
                        error.call(this, failure.err, failure.kind);
                    } catch (callbackError) {
                        reportCallbackError("error callback", callbackError);
                    }
                }
                if (failure.err.status === 404) {
                    if (this._run === run) {
                        this.stop_longpolling();  // no such route: polling it again is pointless
                    }
                    return;
                }
                run.timer = setTimeout(() => this._round(run, url, success, error), this.error_delay);
                return;
            }

            let outcome;
            if (typeof success === "function") {
                try {
                    outcome = success.call(this, result);
                } catch (callbackError) {
                    reportCallbackError("success callback", callbackError);
                }
            }
            if (isThenable(outcome)) {
                try {
                    await outcome;
                } catch (callbackError) {
                    reportCallbackError("the promise of the success callback", callbackError);
                }
            }
            this._round(run, url, success, error);
        }
    }

    ns.LongPolling = LongPolling;
}(typeof window !== "undefined" ? window : globalThis));
