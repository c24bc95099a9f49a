// The runner shared by the Chromium test scripts (run.mjs, websocket_rules.mjs,
// websocket_e2e.mjs): Debian's headless Chromium through playwright-core, one fresh page per
// case, a hard time limit per case, PASS/FAIL lines and "N passed, M failed".
import {chromium} from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const CHROMIUM = process.env.LP_BROWSER_CHROMIUM || "/usr/bin/chromium";
export const CASE_TIMEOUT_MS = Number(process.env.LP_BROWSER_CASE_TIMEOUT_MS || 30000);
export const ONLY = (process.env.LP_BROWSER_ONLY || "").split(",").map((s) => s.trim()).filter(Boolean);

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function assert(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}

export async function waitUntil(what, predicate, timeoutMs, interval = 50) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await predicate();
        if (value) {
            return value;
        }
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        }
        await sleep(interval);
    }
}

/** Exits with 2 when there is no browser. */
export function requireChromium(script) {
    if (!fs.existsSync(CHROMIUM)) {
        console.error(`${script}: no browser at ${CHROMIUM} (apt-get install chromium, or set LP_BROWSER_CHROMIUM)`);
        process.exit(2);
    }
}

/**
 * Runs `cases` ([{id, title, fn(page, context)}], filtered by LP_BROWSER_ONLY) each in a new
 * page of one browser context and prints the results; resolves with the exit status (0 all
 * passed, 1 a failure); exits with 2 when nothing is selected. `banner` is printed first.
 */
export async function runCases(cases, banner) {
    const selected = ONLY.length ? cases.filter((c) => ONLY.includes(c.id)) : cases;
    if (!selected.length) {
        console.error(`LP_BROWSER_ONLY=${ONLY.join(",")} selects no case`);
        process.exit(2);
    }
    // Whatever happens, never hang: cases + launch + margin.
    const guard = setTimeout(() => {
        console.log(`FAIL run: did not finish in time`);
        console.log(`0 passed, ${selected.length} failed`);
        process.exit(1);
    }, selected.length * (CASE_TIMEOUT_MS + 5000) + 60000);
    guard.unref();

    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "lp-browser-"));
    let context;
    let passed = 0;
    let failed = 0;
    try {
        console.log(banner);
        context = await chromium.launchPersistentContext(userDataDir, {
            executablePath: CHROMIUM,
            headless: true,
            timeout: 30000,
            args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        for (const c of selected) {
            const page = await context.newPage();
            const problems = [];
            const consoleLines = [];
            page.on("pageerror", (error) => problems.push(error.message));
            page.on("console", (msg) => consoleLines.push(`${msg.type()}: ${msg.text()}`));
            const started = Date.now();
            let timer;
            try {
                const detail = await Promise.race([
                    c.fn(page, context),
                    new Promise((_, reject) => {
                        timer = setTimeout(() => reject(new Error(`case timed out after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS);
                    }),
                ]);
                assert(problems.length === 0, `uncaught error in the page: ${problems[0]}`);
                passed += 1;
                console.log(`PASS ${c.id}: ${c.title} (${Date.now() - started} ms)${detail ? `: ${detail}` : ""}`);
            } catch (error) {
                failed += 1;
                console.log(`FAIL ${c.id}: ${c.title} (${Date.now() - started} ms): ${error.message}`);
                for (const line of consoleLines.slice(-15)) {
                    console.log(`    page console ${line}`);
                }
            } finally {
                clearTimeout(timer);
                await page.close().catch(() => {});
            }
        }
    } catch (error) {
        console.log(`FAIL run: ${error.message}`);
        failed += selected.length - passed - failed || 1;
    } finally {
        if (context) {
            await context.close().catch(() => {});
        }
        fs.rmSync(userDataDir, {recursive: true, force: true});
    }
    console.log(`${passed} passed, ${failed} failed`);
    return failed ? 1 : 0;
}

/**
 * Opens `pageUrl` (a page that loads bus.js and websocket.js) and starts a WebsocketBus with
 * `options` as window.__bus; window.__seen collects its notifications, window.__events its
 * connection events ("connect", "disconnect:1001", ...).
 */
export async function startWebsocketBus(page, pageUrl, options) {
    const response = await page.goto(pageUrl, {waitUntil: "load", timeout: 10000});
    assert(response && response.ok(), `GET ${pageUrl} answered ${response && response.status()}`);
    await page.evaluate((options) => {
        window.__seen = [];
        window.__events = [];
        const bus = longpolling.create_bus(Object.assign({transport: "websocket"}, options));
        bus.on("notification", (n) => window.__seen.push(...n));
        for (const name of ["connect", "reconnect", "disconnect", "reconnecting", "session_expired"]) {
            bus.on(name, (info) => window.__events.push(info && info.code ? `${name}:${info.code}` : name));
        }
        window.__bus = bus.start_polling();
    }, Object.assign({presence_interval: 0}, options));
}
