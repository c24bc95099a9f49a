// Socket.IO in Chromium: client/socketio.js on the official socket.io-client the server serves
// (static/socket.io-client/), over long-polling, WebSocket and the upgrade, against the
// /examples namespace (echo, whoami) and web_longpolling's /namespace (longpolling_socket).
//
// `sessionId`: an Odoo session of uid 2 on the served database (LP_BROWSER_SESSION_ID), sent in
// the CONNECT auth payload; without it whoami must answer false.

const ECHOED = [1, "two", {three: [null]}, "\u00e9\u4e2d"];

/**
 * In the page: connects `new SocketIO("/examples", options)`, waits for the upgrade when asked,
 * emits echo and whoami with acks, disconnects; resolves with what it saw.
 */
function exchange(page, options, waitUpgrade) {
    return page.evaluate(([options, echoed, waitUpgrade]) => new Promise((resolve, reject) => {
        const socket = new SocketIO("/examples", {...options, forceNew: true});
        const manager = socket.socket.io;
        const seen = {};
        const upgraded = new Promise((done) => manager.on("open", () => {
            seen.opened = manager.engine.transport.name;
            manager.engine.on("upgrade", (transport) => {
                seen.upgradedTo = transport.name;
                done();
            });
        }));
        socket.socket.on("connect_error", (error) => reject(new Error("connect_error: " + error.message)));
        socket.on("connect", async () => {
            if (waitUpgrade) {
                await upgraded;
            }
            socket.emit("echo", ...echoed, (...ack) => {
                seen.echo = ack;
                socket.emit("whoami", (uid) => {
                    seen.whoami = uid;
                    seen.finally = manager.engine.transport.name;
                    socket.disconnect();
                    seen.connectedAfter = socket.connected;
                    resolve(seen);
                });
            });
        });
    }), [options, ECHOED, waitUpgrade]);
}

export function socketioCases(testCase, {assert, openDemo, sessionId}) {
    const expectedUid = sessionId ? 2 : false;
    const auth = sessionId ? {session_id: sessionId} : {};
    const check = (seen, transports) => {
        assert(JSON.stringify(seen.echo) === JSON.stringify(ECHOED),
            `echo acked ${JSON.stringify(seen.echo)}, expected ${JSON.stringify(ECHOED)}`);
        assert(seen.whoami === expectedUid, `whoami acked ${JSON.stringify(seen.whoami)}, expected ${expectedUid}`);
        const path = [seen.opened, seen.upgradedTo, seen.finally].filter(Boolean);
        assert(JSON.stringify(path) === JSON.stringify(transports),
            `transports ${JSON.stringify(path)}, expected ${JSON.stringify(transports)}`);
        assert(seen.connectedAfter === false, "still connected after disconnect()");
        return `echo and whoami (${seen.whoami}) over ${path.join(" -> ")}`;
    };

    testCase("sio-polling", "socketio.js + socket.io-client over long-polling only: echo ack, whoami", async (page) => {
        await openDemo(page);
        const seen = await exchange(page, {...auth, transports: ["polling"]}, false);
        return check(seen, ["polling", "polling"]);
    });

    testCase("sio-websocket", "socketio.js + socket.io-client over WebSocket only: echo ack, whoami", async (page) => {
        await openDemo(page);
        const seen = await exchange(page, {...auth, transports: ["websocket"]}, false);
        return check(seen, ["websocket", "websocket"]);
    });

    testCase("sio-upgrade", "socketio.js + socket.io-client: polling upgraded to WebSocket, then echo ack, whoami", async (page) => {
        await openDemo(page);
        const seen = await exchange(page, auth, true);
        return check(seen, ["polling", "websocket", "websocket"]);
    });

    testCase("sio-shared", "longpolling.longpolling_socket: /namespace's connect event greets the shared socket", async (page) => {
        await openDemo(page);
        const result = await page.evaluate((auth) => new Promise((resolve, reject) => {
            longpolling.longpolling_socket_options = auth;
            const shared = longpolling.longpolling_socket;
            shared.socket.on("connect_error", (error) => reject(new Error("connect_error: " + error.message)));
            shared.on("welcome", (uid) => resolve({uid, same: shared === longpolling.longpolling_socket,
                namespace: shared.namespace}));
        }), auth);
        assert(result.same, "longpolling_socket is not one shared socket");
        assert(result.namespace === "/namespace", `namespace ${result.namespace}`);
        assert(result.uid === expectedUid, `welcome carried ${JSON.stringify(result.uid)}, expected ${expectedUid}`);
        return `welcome ${result.uid} on ${result.namespace}`;
    });

    testCase("sio-demo", "demo page: the Socket.IO section connects, echoes and asks whoami", async (page) => {
        await openDemo(page);
        await page.selectOption("#sio-transports", "polling,websocket");
        await page.click("#sio-connect");
        await page.waitForFunction(() => !document.getElementById("sio-echo").disabled, null, {timeout: 10000});
        await page.fill("#sio-text", "from the demo");
        await page.click("#sio-echo");
        await page.waitForFunction(() => document.getElementById("sio-log").textContent.includes('echo ack: ["from the demo"]'),
            null, {timeout: 10000});
        await page.click("#sio-whoami");
        await page.waitForFunction(() => document.getElementById("sio-log").textContent.includes("whoami ack: false"),
            null, {timeout: 10000});
        return "echo and whoami acks shown in the log";
    });
}
