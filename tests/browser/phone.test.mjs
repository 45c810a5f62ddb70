// phone.test.mjs - the web phone (web/dist, SIP.js) in Chromium against a
// running rtcbridge. Started by tests/browser/run.sh inside a loopback-only
// network namespace, which also starts the daemon and hands over, by
// environment:
//
//   RTCB_HTTPS_URL  https://127.0.0.1:PORT/   the phone (self-signed certificate)
//   RTCB_HTTP_URL   http://127.0.0.1:PORT/    the same over plain HTTP (optional)
//   RTCB_USERS      {"1001":"password", ...}  extensions that exist
//   RTCB_OUT        directory for screenshots and failure logs
//   RTCB_WEB        the web/ directory (node_modules: playwright-core, jssip, esbuild)
//   RTCB_RESULTS    file to write "PASSED FAILED" into
//   RTCB_CHROMIUM   the browser (/usr/bin/chromium)
//   BROWSER_TESTS   run only the tests whose names contain one of these words
//   BROWSER_BUDGET  seconds after which the remaining tests are not started (130)
//
// Plain node, no test framework: each test is a bounded async function; one
// line per test, "ok" or "FAIL" with the reason; failures save the pages'
// events and SIP logs into RTCB_OUT.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const env = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === "") {
    if (dflt !== undefined) return dflt;
    console.error(`phone.test.mjs: ${name} is not set (run tests/browser/run.sh)`);
    process.exit(2);
  }
  return v;
};

const BASE = env("RTCB_HTTPS_URL");
const HTTP_BASE = env("RTCB_HTTP_URL", "-");
const USERS = JSON.parse(env("RTCB_USERS"));
const OUT = env("RTCB_OUT");
const WEB = env("RTCB_WEB");
const RESULTS = env("RTCB_RESULTS", "-");
const CHROMIUM = env("RTCB_CHROMIUM", "/usr/bin/chromium");
const ONLY = (process.env.BROWSER_TESTS || "").split(/\s+/).filter(Boolean);
// Tests still waiting when this many seconds have gone count as failed without
// running, so that the run ends (and reports) before run.sh's time limit.
const BUDGET_S = Number(process.env.BROWSER_BUDGET || 130);
const HOST = new URL(BASE).hostname;

const require = createRequire(path.join(WEB, "package.json"));
const { chromium } = require("playwright-core");
const esbuild = require("esbuild");

mkdirSync(OUT, { recursive: true });

// ---------------------------------------------------------------------------
// Browser and pages

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: process.env.BROWSER_HEADED !== "1",
  args: [
    "--no-sandbox", // root in CI; the namespace is the sandbox that matters here
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
    "--ignore-certificate-errors",
    "--disable-gpu",
    "--disable-dev-shm-usage",
  ],
});

const pages = new Set(); // open phone pages, for failure logs
const pageErrors = []; // uncaught exceptions in any page

// Every context a test opens is closed by the runner after the test (after
// saving the pages' logs when it failed), unless marked _keep for the next
// tests.
const contexts = new Set();

async function newContext(options = {}) {
  const ctx = await browser.newContext({
    ignoreHTTPSErrors: true,
    permissions: ["microphone", "camera"],
    viewport: { width: 1100, height: 900 },
    ...options,
  });
  contexts.add(ctx);
  ctx.on("close", () => contexts.delete(ctx));
  return ctx;
}

async function closeUnkeptContexts() {
  for (const ctx of [...contexts]) if (!ctx._keep) await ctx.close().catch(() => {});
}

function watch(page, label) {
  page._label = label;
  page._console = [];
  page.on("console", (m) => {
    page._console.push(`${m.type()}: ${m.text()}`);
    if (page._console.length > 300) page._console.shift();
  });
  page.on("pageerror", (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on("close", () => pages.delete(page));
  pages.add(page);
}

async function openPhone(context, label, base = BASE) {
  const page = await context.newPage();
  watch(page, label);
  await page.goto(base, { waitUntil: "load", timeout: 15000 });
  await page.waitForFunction(() => window.phone && window.phone.ready, null, { timeout: 10000, polling: 100 });
  return page;
}

async function login(page, ext, password = USERS[ext]) {
  await page.fill("#login-ext", ext);
  await page.fill("#login-pass", password);
  await page.click("#login-btn");
}

async function loggedInPhone(context, ext, base = BASE) {
  const page = await openPhone(context, ext, base);
  await login(page, ext);
  await waitRegistered(page, ext);
  await expectText(page, "#reg-status", `Registered as ${ext}`);
  assert.equal(await page.isVisible("#phone-card"), true, "phone card visible after log in");
  return page;
}

// registered, or failed (then at once, with the phone's own words)
async function waitRegistered(page, ext) {
  await page
    .waitForFunction(() => ["registered", "failed"].includes(window.phone.registration), null, { timeout: 10000, polling: 100 })
    .catch(() => {});
  const st = await page.evaluate(() => ({ reg: window.phone.registration, err: window.phone.lastError }));
  if (st.reg !== "registered") {
    throw new Error(`${ext} did not register: ${st.reg}${st.err ? ` (${st.err.code}: ${st.err.message})` : ""}`);
  }
}

// Wait until window.phone[key] === value.
async function waitState(page, key, value, timeout = 10000) {
  try {
    await page.waitForFunction(([k, v]) => window.phone[k] === v, [key, value], { timeout, polling: 100 });
  } catch (e) {
    const now = await page.evaluate((k) => window.phone[k], key).catch(() => "(page gone)");
    throw new Error(`${page._label}: phone.${key} is ${JSON.stringify(now)}, not ${JSON.stringify(value)} after ${timeout} ms`);
  }
}

// Wait until the element is visible and its text matches (string: contains).
async function expectText(page, selector, expected, timeout = 5000) {
  const deadline = Date.now() + timeout;
  let text = null;
  let visible = false;
  while (Date.now() < deadline) {
    visible = await page.isVisible(selector);
    text = visible ? (await page.textContent(selector)).trim() : null;
    if (visible && (expected instanceof RegExp ? expected.test(text) : text.includes(expected))) return text;
    await sleep(100);
  }
  throw new Error(
    `${page._label}: ${selector} ${visible ? `shows ${JSON.stringify(text)}` : "is not visible"}, expected ${expected}`,
  );
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Highest RMS level of the remote audio over `ms` (WebAudio analyser on the
// phone's remote MediaStream; Chromium feeds a remote WebRTC stream into
// WebAudio only while a media element plays it: the phone's <audio> does).
async function remoteLevel(page, getStream = "window.phone.remoteStream", ms = 1000) {
  return page.evaluate(
    async ([expr, ms]) => {
      const stream = eval(expr);
      if (!stream || stream.getAudioTracks().length === 0) return -1;
      const ctx = new AudioContext();
      await ctx.resume();
      const src = ctx.createMediaStreamSource(stream);
      const an = ctx.createAnalyser();
      an.fftSize = 2048;
      src.connect(an);
      const buf = new Float32Array(an.fftSize);
      let max = 0;
      const end = performance.now() + ms;
      while (performance.now() < end) {
        an.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        max = Math.max(max, Math.sqrt(sum / buf.length));
        await new Promise((r) => setTimeout(r, 40));
      }
      src.disconnect();
      await ctx.close();
      return max;
    },
    [getStream, ms],
  );
}

const SILENCE = 0.005; // RMS; Chromium's fake microphone beeps well above 0.05

async function expectAudio(page, getStream, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let level = -1;
  while (Date.now() < deadline) {
    level = await remoteLevel(page, getStream);
    if (level > SILENCE) return level;
  }
  throw new Error(`${page._label}: remote audio stays silent (max RMS ${level.toFixed(4)}) for ${timeout} ms`);
}

async function expectSilence(page, timeout = 6000) {
  const deadline = Date.now() + timeout;
  let level = 1;
  while (Date.now() < deadline) {
    level = await remoteLevel(page, undefined, 700);
    if (level >= 0 && level < SILENCE / 2) return level;
  }
  throw new Error(`${page._label}: remote audio not silent (RMS ${level.toFixed(4)}) for ${timeout} ms`);
}

async function dial(page, number) {
  // by the dial pad, as a person would
  await page.fill("#number", "");
  for (const key of number) await page.click(`#dialpad button[data-key="${key}"]`);
  assert.equal(await page.inputValue("#number"), number, "dial pad wrote the number");
  await page.click("#call-btn");
}

// caller dials callee, callee answers; both connected (state and text)
async function connectCall(caller, callee, calleeExt, callerExt) {
  await dial(caller, calleeExt);
  await waitState(callee, "callState", "incoming", 8000);
  await expectText(callee, "#call-status", `Incoming call from ${callerExt}`);
  await expectText(caller, "#call-status", new RegExp(`^(Calling|Ringing) ${calleeExt}…$`));
  await callee.click("#answer-btn");
  await waitState(callee, "callState", "connected", 10000);
  await waitState(caller, "callState", "connected", 10000);
  for (const [page, peer] of [
    [caller, calleeExt],
    [callee, callerExt],
  ]) {
    await expectText(page, "#call-status", "Connected");
    await expectText(page, "#call-peer", peer);
    await expectText(page, "#hangup-btn", "Hang up");
  }
}

async function hangUpAndCheck(who, other) {
  await who.click("#hangup-btn");
  for (const page of [who, other]) {
    await waitState(page, "callState", "ended", 6000);
    await expectText(page, "#call-status", "Call ended");
    assert.equal(await page.isVisible("#call-btn"), true, `${page._label}: Call button back after hang-up`);
  }
}

// Fresh phones, each in its own browser context (own storage, own WebSocket),
// logged in. The runner closes them after the test (a closed page's
// WebSocket closes, and rtcbridge drops its registration).
async function phones(...exts) {
  const list = [];
  for (const ext of exts) list.push(await loggedInPhone(await newContext(), ext));
  return list;
}

// ---------------------------------------------------------------------------
// Tests

const tests = [];
const test = (name, fn, timeout = 30000) => tests.push({ name, fn, timeout });
const shared = {}; // the pair of phones that several tests use in turn

test("the phone page loads over HTTPS and SIP.js starts", async () => {
  const ctx = await newContext();
  const page = await openPhone(ctx, "load");
  assert.equal(await page.title(), "rtcbridge phone");
  await expectText(page, "#reg-status", "Not registered");
  assert.equal(await page.isVisible("#login-card"), true, "log-in form shown");
  const server = await page.textContent("#server-url");
  assert.match(server, new RegExp(`^wss://${HOST.replace(/\./g, "\\.")}:\\d+/ws `), `WebSocket URL from the page's host: ${server}`);
  const ver = await page.evaluate(async () => (await import("./vendor/sip.js")).version);
  assert.match(ver, /^0\.21\./, "SIP.js 0.21 loaded");
});

test("a wrong password shows the error", async () => {
  const ctx = await newContext();
  const page = await openPhone(ctx, "1001-wrong");
  await login(page, "1001", "not-the-password");
  await waitState(page, "registration", "failed", 10000);
  await expectText(page, "#error", "Wrong extension or password.");
  await expectText(page, "#reg-status", "Registration failed");
  assert.equal(await page.isVisible("#login-card"), true, "still on the log-in form");
  assert.equal(await page.isVisible("#phone-card"), false, "no phone without registration");
  const code = await page.evaluate(() => window.phone.lastError.code);
  assert.ok([401, 403, 407].includes(code), `REGISTER refused with ${code}`);
});

test("two phones register and call; both connected; audio both ways", async () => {
  const [a, b] = await phones("1001", "1002");
  shared.a = a;
  shared.b = b;
  a.context()._keep = b.context()._keep = true; // for the next tests, in the same call
  await connectCall(a, b, "1002", "1001");
  shared.inCall = true;
  // the remote audio element plays the remote stream
  for (const page of [a, b]) {
    const playing = await page.evaluate(() => {
      const el = document.getElementById("remote-audio");
      return el.srcObject === window.phone.remoteStream && !el.paused;
    });
    assert.equal(playing, true, `${page._label}: <audio> plays the remote stream`);
  }
  const levelAtB = await expectAudio(b);
  const levelAtA = await expectAudio(a);
  console.log(`      remote audio RMS: at 1001 ${levelAtA.toFixed(3)}, at 1002 ${levelAtB.toFixed(3)}`);
  // the timer runs
  await expectText(a, "#call-timer", /^00:0[1-9]$|^00:[1-5]\d$/, 4000);
  const shot = path.join(OUT, "phone-in-call.png");
  await a.screenshot({ path: shot, fullPage: true });
  await a.setViewportSize({ width: 390, height: 844 });
  const shotMobile = path.join(OUT, "phone-in-call-mobile.png");
  await a.screenshot({ path: shotMobile, fullPage: true });
  await a.setViewportSize({ width: 1100, height: 900 });
  console.log(`      screenshots: ${shot} ${shotMobile}`);
});

function needCall() {
  if (!shared.inCall) throw new Error("needs the call of the previous test, which failed");
}

test("a call to a phone that is in a call gets busy", async () => {
  needCall();
  const [c] = await phones("1003");
  await dial(c, "1002");
  await waitState(c, "callState", "ended", 8000);
  await expectText(c, "#error", "1002 is busy.");
  assert.equal(await c.evaluate(() => window.phone.lastEndReason.code), 486);
  assert.equal(await shared.b.evaluate(() => window.phone.callState), "connected", "1002 still in its call");
  await expectText(shared.b, "#events", "Call from 1003 refused: busy on another call");
});

test("DTMF by SIP INFO reaches the other phone; RFC 4733 goes in band", async () => {
  needCall();
  const { a, b } = shared;
  await a.selectOption("#dtmf-mode", "info");
  await a.click('#dialpad button[data-key="5"]');
  await a.click('#dialpad button[data-key="#"]');
  await b.waitForFunction(() => window.phone.dtmfReceived.join("") === "5#", null, { timeout: 5000, polling: 100 });
  await expectText(b, "#events", "DTMF 5 received");
  const info = await a.evaluate(() =>
    window.phone.sipMessages.find((m) => m.dir === "out" && /^INFO /.test(m.text) && /application\/dtmf-relay/i.test(m.text)),
  );
  assert.ok(info && /Signal=5/.test(info.text), "INFO with application/dtmf-relay Signal=5 sent");
  assert.equal(await a.inputValue("#number"), "1002", "DTMF keys do not change the number field");
  await a.selectOption("#dtmf-mode", "auto");
  await a.click('#dialpad button[data-key="7"]');
  const sent = await a.evaluate(() => window.phone.dtmfSent.at(-1));
  assert.deepEqual(sent, { tone: "7", how: "RFC 4733" }, "RFC 4733 through RTCDTMFSender");
});

test("mute silences the microphone and unmute brings it back", async () => {
  needCall();
  const { a, b } = shared;
  await a.click("#mute-btn");
  assert.equal(await a.evaluate(() => window.phone.muted), true);
  await expectText(a, "#mute-btn", "Unmute");
  await expectSilence(b);
  await a.click("#mute-btn");
  await expectText(a, "#mute-btn", "Mute");
  await expectAudio(b);
});

test("hold and resume (re-INVITE sendonly through rtcbridge)", async () => {
  needCall();
  const { a, b } = shared;
  await a.click("#hold-btn");
  await waitState(a, "held", true, 6000);
  await expectText(a, "#call-status", "On hold");
  await expectText(a, "#hold-btn", "Resume");
  await waitState(b, "remoteHeld", true, 6000);
  await expectText(b, "#call-status", "Held by 1001");
  const reinvite = await a.evaluate(() =>
    window.phone.sipMessages.filter((m) => m.dir === "out" && /^INVITE /.test(m.text)).at(-1),
  );
  assert.match(reinvite.text, /a=sendonly/, "re-INVITE offers sendonly");
  await a.click("#hold-btn");
  await waitState(a, "held", false, 6000);
  await waitState(b, "remoteHeld", false, 6000);
  await expectText(a, "#call-status", "Connected");
  await expectText(b, "#call-status", "Connected");
  await expectAudio(b);
  await expectAudio(a);
});

test("video on during a call (re-INVITE adds the camera)", async () => {
  needCall();
  const { a, b } = shared;
  await a.click("#video-btn");
  await waitState(a, "videoOn", true, 8000);
  await expectText(a, "#video-btn", "Video off");
  await b.waitForFunction(
    () => {
      const s = window.phone.remoteStream;
      return s && s.getVideoTracks().some((t) => t.readyState === "live");
    },
    null,
    { timeout: 8000, polling: 100 },
  );
  assert.equal(await b.isVisible("#media"), true, "1002 shows the remote video");
  await b.waitForFunction(() => document.getElementById("remote-video").videoWidth > 0, null, { timeout: 8000, polling: 200 });
  await a.click("#video-btn"); // camera off: no renegotiation, the track is disabled
  await waitState(a, "videoOn", false, 3000);
  await expectText(a, "#video-btn", "Video on");
  assert.equal(await a.evaluate(() => window.phone.callState), "connected");
});

test("hanging up on one side ends the call on both", async () => {
  const { a, b } = shared;
  for (const p of [a, b]) if (p) p.context()._keep = false; // closed after this test
  needCall();
  shared.inCall = false;
  await hangUpAndCheck(b, a);
  const events = await a.evaluate(() => window.phone.events);
  assert.ok(events.some((e) => /^1002 hung up \(\d\d:\d\d\)$/.test(e)), "1001's events say 1002 hung up");
});

test("calling an unknown extension shows not found", async () => {
  const [a] = await phones("1001");
  await a.fill("#number", "1099");
  await a.click("#call-btn");
  await waitState(a, "callState", "ended", 8000);
  await expectText(a, "#error", "Extension 1099 not found.");
  await expectText(a, "#call-status", "Call failed");
  assert.equal(await a.evaluate(() => window.phone.lastEndReason.code), 404);
});

test("a rejected call shows busy to the caller; a cancelled one is missed", async () => {
  const [a, b] = await phones("1001", "1002");
  await dial(a, "1002");
  await waitState(b, "callState", "incoming", 8000);
  await b.click("#reject-btn");
  await waitState(b, "callState", "ended", 5000);
  await expectText(b, "#call-status", "Call rejected");
  await waitState(a, "callState", "ended", 5000);
  await expectText(a, "#error", "1002 is busy.");
  assert.equal(await a.evaluate(() => window.phone.lastEndReason.code), 486);

  await dial(a, "1002");
  await waitState(b, "callState", "incoming", 8000);
  await expectText(a, "#hangup-btn", "Cancel");
  await a.click("#hangup-btn");
  await waitState(a, "callState", "ended", 5000);
  await expectText(a, "#call-status", "Call cancelled");
  await waitState(b, "callState", "ended", 5000);
  await expectText(b, "#call-status", "Missed call");
});

test("blind transfer: 1002 transfers 1001 to 1003", async () => {
  const [a, b, c] = await phones("1001", "1002", "1003");
  await connectCall(a, b, "1002", "1001");
  await b.fill("#transfer-target", "1003");
  await b.click("#transfer-btn");
  // 1003 rings with a call from 1001 (the transferee calls the target)
  await waitState(c, "callState", "incoming", 10000);
  await expectText(c, "#call-status", "Incoming call from 1001");
  await waitState(b, "callState", "ended", 8000); // the transferor leaves
  await c.click("#answer-btn");
  await waitState(c, "callState", "connected", 10000);
  await waitState(a, "callState", "connected", 10000);
  await expectText(a, "#call-peer", "1003");
  await expectText(c, "#call-peer", "1001");
  await expectAudio(c);
  await expectAudio(a);
  await hangUpAndCheck(a, c);
}, 40000);

test("a video call: both phones see the other's camera", async () => {
  const [a, b] = await phones("1001", "1002");
  for (const p of [a, b]) await p.check("#video-toggle");
  await connectCall(a, b, "1002", "1001");
  for (const p of [a, b]) {
    await p.waitForFunction(() => document.getElementById("remote-video").videoWidth > 0, null, { timeout: 10000, polling: 200 });
    assert.equal(await p.isVisible("#media"), true, `${p._label}: video area shown`);
    assert.equal(await p.isVisible("#local-video"), true, `${p._label}: own camera preview shown`);
    await expectText(p, "#video-btn", "Video off");
  }
  await expectAudio(b);
  const shot = path.join(OUT, "phone-video-call.png");
  await b.screenshot({ path: shot, fullPage: true });
  console.log(`      screenshot: ${shot}`);
  await hangUpAndCheck(a, b);
  assert.equal(await a.isVisible("#media"), false, "video area hidden after the call");
});

test("closing a page unregisters it: a call to it fails at once with 480", async () => {
  const [a, c] = await phones("1001", "1004");
  await c.close();
  const t0 = Date.now();
  await a.fill("#number", "1004");
  await a.click("#call-btn");
  await waitState(a, "callState", "ended", 3000);
  const ms = Date.now() - t0;
  await expectText(a, "#error", "1004 is not available (not logged in).", 1000);
  assert.equal(await a.evaluate(() => window.phone.lastEndReason.code), 480);
  console.log(`      call to the closed phone failed after ${ms} ms`);
});

test("a JsSIP client registers and calls the SIP.js phone", async () => {
  const [a] = await phones("1001");
  await jssipCallsPhone(a);
});

async function jssipCallsPhone(a) {
  // JsSIP (npm, CommonJS) bundled for the browser by esbuild. The test page
  // is written into a document that rtcbridge served (a 404 page of its own
  // origin), so the WebSocket's Origin is the daemon's own and Chromium
  // treats the page as loopback (no Local Network Access block).
  const bundle = await esbuild.build({
    entryPoints: [require.resolve("jssip")],
    bundle: true,
    format: "iife",
    globalName: "JsSIP",
    platform: "browser",
    write: false,
    logLevel: "error",
  });
  const jssipJs = bundle.outputFiles[0].text;
  const wsUrl = `${BASE.replace(/^http/, "ws")}ws`;
  const html = `<!doctype html><meta charset="utf-8"><title>JsSIP test client</title>
<audio id="remote" autoplay></audio>`;
  const harness = `
window.jt = { reg: "init", call: "idle", cause: null, stream: null, log: [] };
window.jtStart = (ext, pw) => {
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(${JSON.stringify(wsUrl)})],
    uri: "sip:" + ext + "@" + ${JSON.stringify(HOST)},
    password: pw,
    register: true,
    session_timers: false,
    user_agent: "JsSIP-test",
  });
  ua.on("registered", () => { jt.reg = "registered"; });
  ua.on("registrationFailed", (e) => { jt.reg = "failed"; jt.cause = e.cause; });
  ua.start();
  jt.ua = ua;
};
window.jtCall = (target) => {
  jt.call = "calling";
  jt.session = jt.ua.call(target, {
    mediaConstraints: { audio: true, video: false },
    pcConfig: { iceServers: [] },
    eventHandlers: {
      peerconnection: (e) => e.peerconnection.addEventListener("track", (ev) => {
        jt.stream = ev.streams[0];
        document.getElementById("remote").srcObject = ev.streams[0];
      }),
      progress: () => { jt.call = "progress"; },
      confirmed: () => { jt.call = "confirmed"; },
      ended: (e) => { jt.call = "ended"; jt.cause = e.cause; },
      failed: (e) => { jt.call = "failed"; jt.cause = e.cause; },
    },
  });
};`;
  const ctx = await newContext();
  const j = await ctx.newPage();
  watch(j, "jssip-1005");
  await j.goto(`${BASE}__test__/jssip.html`, { timeout: 10000 }); // 404, fine
  await j.setContent(html);
  await j.addScriptTag({ content: jssipJs });
  await j.addScriptTag({ content: harness });
  await j.evaluate(([ext, pw]) => window.jtStart(ext, pw), ["1005", USERS["1005"]]);
  await j.waitForFunction(() => window.jt.reg !== "init", null, { timeout: 10000, polling: 100 });
  assert.equal(await j.evaluate(() => window.jt.reg), "registered", "JsSIP registered");
  await j.evaluate((t) => window.jtCall(t), `sip:1001@${HOST}`);
  await waitState(a, "callState", "incoming", 8000);
  await expectText(a, "#call-status", "Incoming call from 1005");
  await a.click("#answer-btn");
  await waitState(a, "callState", "connected", 10000);
  await j.waitForFunction(() => window.jt.call === "confirmed", null, { timeout: 10000, polling: 100 });
  await expectText(a, "#call-status", "Connected");
  await expectAudio(a);
  await expectAudio(j, "window.jt.stream");
  await j.evaluate(() => window.jt.session.terminate());
  await waitState(a, "callState", "ended", 6000);
  await expectText(a, "#call-status", "Call ended");
  await j.evaluate(() => window.jt.ua.stop());
}

test("no microphone permission shows the error (calling and answering)", async () => {
  // Chromium's fake UI grants every prompt, so this page's getUserMedia is
  // replaced by one that fails as a denied prompt does (NotAllowedError).
  const [a] = await phones("1001");
  const ctx = await newContext();
  await ctx.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
  });
  const page = await loggedInPhone(ctx, "1006");
  await page.fill("#number", "1001");
  await page.click("#call-btn");
  await waitState(page, "callState", "ended", 5000);
  await expectText(page, "#error", "No permission to use the microphone.");
  const invites = await page.evaluate(() => window.phone.sipMessages.filter((m) => m.dir === "out" && /^INVITE /.test(m.text)).length);
  assert.equal(invites, 0, "no INVITE without a microphone");
  // answering without a microphone: the callee explains, the caller's call fails
  await dial(a, "1006");
  await waitState(page, "callState", "incoming", 8000);
  await page.click("#answer-btn");
  await waitState(page, "callState", "ended", 5000);
  await expectText(page, "#error", "No permission to use the microphone.");
  await waitState(a, "callState", "ended", 5000);
  await expectText(a, "#call-status", "Call failed");
});

test("plain HTTP: ws:// transport, log in and log out", async () => {
  if (HTTP_BASE === "-") throw new Error("RTCB_HTTP_URL not set");
  const ctx = await newContext();
  const page = await loggedInPhone(ctx, "1006", HTTP_BASE);
  assert.match(await page.textContent("#server-url"), /^ws:\/\/.*\/ws /);
  await page.click("#logout-btn");
  await waitState(page, "registration", "unregistered", 5000);
  await expectText(page, "#reg-status", "Not registered");
  assert.equal(await page.isVisible("#login-card"), true, "log-in form again");
  const unreg = await page.evaluate(() =>
    window.phone.sipMessages.some((m) => m.dir === "in" && /^SIP\/2\.0 200/.test(m.text) && /CSeq:\s*\d+ REGISTER/i.test(m.text) && /expires=0|Expires:\s*0/i.test(m.text)) ||
    window.phone.sipMessages.some((m) => m.dir === "out" && /^REGISTER /.test(m.text) && /expires=0|Expires:\s*0/i.test(m.text)),
  );
  assert.ok(unreg, "an un-REGISTER went out");
});

test("a CRLF keep-alive on the WebSocket keeps the connection", async () => {
  const [p] = await phones("1003");
  // SIP.js sends "\r\n\r\n" every keepAliveInterval (25 s); send one now
  await p.evaluate(() => window.phone.userAgent.transport.send("\r\n\r\n"));
  await sleep(1500);
  const st = await p.evaluate(() => ({
    connected: window.phone.userAgent.isConnected(),
    registration: window.phone.registration,
    lost: window.phone.events.filter((e) => e.startsWith("Connection to the server lost")),
  }));
  assert.deepEqual(st, { connected: true, registration: "registered", lost: [] });
});

test("registration refreshes keep the phone registered", async () => {
  const ctx = await newContext();
  const page = await openPhone(ctx, "1003-refresh", `${BASE}?expires=2`);
  await login(page, "1003");
  await waitRegistered(page, "1003");
  // expires=2: SIP.js refreshes every 1.8 s
  await page.waitForFunction(() => window.phone.registrationCount >= 3, null, { timeout: 8000, polling: 200 });
  await expectText(page, "#reg-status", "Registered as 1003");
  assert.equal(await page.evaluate(() => window.phone.lastError), null, "no error");
});

test("no uncaught errors in the pages", async () => {
  assert.deepEqual(pageErrors, []);
});

// ---------------------------------------------------------------------------
// Runner

async function saveLogs(name) {
  const slug = name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").slice(0, 60);
  for (const page of pages) {
    try {
      const data = await page.evaluate(() =>
        window.phone
          ? {
              registration: window.phone.registration,
              callState: window.phone.callState,
              lastError: window.phone.lastError,
              events: window.phone.events,
              sip: window.phone.sipMessages.map((m) => `--- ${m.dir}\n${m.text}`),
            }
          : { jssip: window.jt && { reg: window.jt.reg, call: window.jt.call, cause: window.jt.cause } },
      );
      const file = path.join(OUT, `fail-${slug}-${page._label}.log`);
      const text = [
        JSON.stringify({ registration: data.registration, callState: data.callState, lastError: data.lastError, jssip: data.jssip }),
        "== events",
        ...(data.events || []),
        "== console",
        ...page._console,
        "== SIP",
        ...(data.sip || []),
      ].join("\n");
      writeFileSync(file, text);
      const summary = data.jssip || { reg: data.registration, call: data.callState, err: data.lastError && data.lastError.message };
      console.log(`      ${page._label}: ${JSON.stringify(summary)}`);
      for (const e of (data.events || []).slice(-6)) console.log(`        | ${e}`);
      console.log(`      log: ${file}`);
    } catch (e) {
      /* page gone */
    }
  }
}

let passed = 0;
let failed = 0;
const t00 = Date.now();
for (const t of tests) {
  if (ONLY.length && !ONLY.some((w) => t.name.includes(w))) continue;
  const t0 = Date.now();
  if ((t0 - t00) / 1000 > BUDGET_S) {
    failed += 1;
    console.log(`FAIL ${t.name} (not run: the ${BUDGET_S} s budget of the run is spent)`);
    continue;
  }
  let timer;
  try {
    await Promise.race([
      t.fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${t.timeout / 1000} s`)), t.timeout);
      }),
    ]);
    passed += 1;
    console.log(`ok   ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${t.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    for (const line of String(e && e.message ? e.message : e).split("\n").slice(0, 12)) console.log(`      ${line}`);
    await saveLogs(t.name);
  } finally {
    clearTimeout(timer);
    await closeUnkeptContexts();
  }
}

await browser.close().catch(() => {});
console.log(`browser tests: ${passed} passed, ${failed} failed in ${((Date.now() - t00) / 1000).toFixed(1)} s`);
if (RESULTS !== "-") writeFileSync(RESULTS, `${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
