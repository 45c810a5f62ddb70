// gateway.test.mjs - the web phone (web/dist, SIP.js, in Chromium) and a
// real SIP phone (baresip over UDP) call each other through rtcbridge's
// media gateway (issue #4). Started by tests/browser/run.sh after
// phone.test.mjs, inside the same loopback-only namespace, with the same
// environment plus:
//
//   RTCB_HTTPS_URL6         the web phone over IPv6 ([::1]), which these
//                           tests load: signalling over IPv6, the relay on
//                           IPv4, as a browser opening https://localhost
//                           often does
//   RTCB_TMP                the run's temporary directory (tone file, capture)
//   RTCB_CTL, RTCB_STATE    rtcbridge-ctl and the daemon's state directory
//                           (`rtcbridge-ctl calls` during a call)
//   RTCB_RELAY_PORTS        rtcbridge's [media] port_min-port_max
//   RTCB_BARESIP_EXT        baresip's extension (1007), registered over UDP
//   RTCB_BARESIP_SIP        its SIP address:port
//   RTCB_BARESIP_CTRL       its ctrl_tcp port on 127.0.0.1
//   RTCB_BARESIP_RTP_PORTS  its rtp_ports range
//   RTCB_BARESIP_TONE       the frequency it sends (ausine), Hz
//   RTCB_BARESIP_LOG        its output (with -s: every SIP message)
//   RTCB_BARESIP_REC        where its sndfile module records what it decodes
//   BROWSER_GATEWAY_BUDGET  seconds after which the remaining tests are not
//                           started (80)
//
// Audio is checked by frequency, both ways: Chromium's fake microphone plays
// a 440 Hz sine (a WAV written at start), baresip sends 1000 Hz. The page's
// WebAudio analyser on the remote stream must peak near 1000 Hz, loud enough;
// baresip's recording (the bytes it wrote while the page listened) must peak
// near 440 Hz. So audio that goes only one way, or comes back to where it
// came from, fails one of the two. Before that, each side's SDP must be
// rtcbridge's (relay ports; DTLS-SRTP and ICE-lite to the page, plain RTP to
// baresip), so a call that is not anchored fails saying so.
//
// Tests: the page calls baresip (it answers by itself); baresip calls the
// page (ctrl_tcp "dial", the page answers); hold and resume by the page's
// Hold button (baresip gets the re-INVITEs; on hold the relay sends baresip
// no tone, after resume the tones again both ways); an ICE restart by the
// page (a re-INVITE with new ICE credentials: rtcbridge answers with new ones
// too, the same fingerprint and port, keeps DTLS and SRTP; the tones go on
// both ways, no new DTLS handshake); a capture on lo (tshark)
// of a call: DTLS handshake and SRTP (the profile from the ServerHello;
// payloads longer than the phone leg's by its auth tag, and none of the
// phone leg's payloads in clear) between Chromium and the relay, plain G.711
// RTP carrying the two tones between the relay and baresip, nothing between
// baresip and anything but the relay.
//
// Tests are named "gateway: ..." (BROWSER_TESTS=gateway runs them alone).
// Output as phone.test.mjs: one line per test; failures save the page's
// events and SIP log and baresip's log into RTCB_OUT.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { g711Decode, noToneVerdict, toneVerdict, toneWindows, wavInfo, wavSamples, writeSineWav } from "./audio.mjs";

const env = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === "") {
    if (dflt !== undefined) return dflt;
    console.error(`gateway.test.mjs: ${name} is not set (run tests/browser/run.sh)`);
    process.exit(2);
  }
  return v;
};

const BASE = env("RTCB_HTTPS_URL6");
const USERS = JSON.parse(env("RTCB_USERS"));
const OUT = env("RTCB_OUT");
const WEB = env("RTCB_WEB");
const RESULTS = env("RTCB_RESULTS", "-");
const CHROMIUM = env("RTCB_CHROMIUM", "/usr/bin/chromium");
const TMP = env("RTCB_TMP");
const CTL = env("RTCB_CTL");
const STATE = env("RTCB_STATE");
const range = (s) => {
  const [lo, hi] = s.split("-").map(Number);
  return { lo, hi, has: (p) => p >= lo && p <= hi, text: s };
};
const RELAY = range(env("RTCB_RELAY_PORTS"));
const PHONE_EXT = env("RTCB_BARESIP_EXT");
const PHONE_SIP = env("RTCB_BARESIP_SIP");
const PHONE_CTRL = Number(env("RTCB_BARESIP_CTRL"));
const PHONE_RTP = range(env("RTCB_BARESIP_RTP_PORTS"));
const PHONE_HZ = Number(env("RTCB_BARESIP_TONE"));
const PHONE_LOG = env("RTCB_BARESIP_LOG");
const PHONE_REC = env("RTCB_BARESIP_REC");
const ONLY = (process.env.BROWSER_TESTS || "").split(/\s+/).filter(Boolean);
const BUDGET_S = Number(process.env.BROWSER_GATEWAY_BUDGET || 80);
const HOST = new URL(BASE).hostname;
const BROWSER_EXT = "1001";
const BROWSER_HZ = 440;
const MIN_RMS = 0.01; // a tone is louder: they arrive at RMS 0.05 (the browser's) to 0.3 (baresip's)
const PHONE_TOL_HZ = 15; // baresip's recording: 200 ms Goertzel windows, 5 Hz apart

const require = createRequire(path.join(WEB, "package.json"));
const { chromium } = require("playwright-core");

mkdirSync(OUT, { recursive: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// baresip through ctrl_tcp: JSON commands in netstrings on one connection,
// which also brings its events (CALL_ESTABLISHED, CALL_CLOSED, ...).

class Baresip {
  constructor(port) {
    this.port = port;
    this.sock = null;
    this.buf = Buffer.alloc(0);
    this.events = [];
    this.pending = new Map(); // token -> resolve
    this.tokens = 0;
  }

  async connect(timeout = 10000) {
    const deadline = Date.now() + timeout;
    let err = null;
    while (!this.sock && Date.now() < deadline) {
      try {
        this.sock = await new Promise((resolve, reject) => {
          const s = net.connect(this.port, "127.0.0.1");
          s.once("connect", () => resolve(s));
          s.once("error", reject);
        });
      } catch (e) {
        err = e;
        await sleep(200);
      }
    }
    if (!this.sock) {
      throw new Error(`baresip's ctrl_tcp 127.0.0.1:${this.port} does not answer (${err && err.message}); ${phoneLogTail(8)}`);
    }
    this.sock.on("data", (d) => this.receive(d));
    this.sock.on("error", () => {});
    this.sock.on("close", () => {
      this.sock = null;
    });
  }

  receive(data) {
    this.buf = Buffer.concat([this.buf, data]);
    for (;;) {
      const colon = this.buf.indexOf(":");
      if (colon < 0) return;
      const len = Number(this.buf.toString("latin1", 0, colon));
      if (this.buf.length < colon + len + 2) return;
      const msg = JSON.parse(this.buf.toString("utf8", colon + 1, colon + 1 + len));
      this.buf = this.buf.subarray(colon + len + 2);
      if (msg.event) this.events.push(msg);
      if (msg.response && this.pending.has(msg.token)) this.pending.get(msg.token)(msg);
    }
  }

  // {ok, data} of one command, or an error after `timeout` ms.
  command(command, params = "", timeout = 5000) {
    if (!this.sock) return Promise.reject(new Error(`baresip's ctrl_tcp connection is closed; ${phoneLogTail(8)}`));
    const token = `t${++this.tokens}`;
    const msg = Buffer.from(JSON.stringify({ command, params, token }));
    this.sock.write(Buffer.concat([Buffer.from(`${msg.length}:`), msg, Buffer.from(",")]));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`baresip did not answer "${command}" within ${timeout} ms`));
      }, timeout);
      this.pending.set(token, (m) => {
        clearTimeout(timer);
        this.pending.delete(token);
        resolve(m);
      });
    });
  }

  // Where things stand now: events so far, log length, recordings present.
  mark() {
    return { event: this.events.length, log: fileSize(PHONE_LOG), recordings: new Set(recordings()) };
  }

  eventsSince(mark) {
    return this.events.slice(mark.event);
  }

  async waitEvent(type, mark, timeout) {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const e = this.eventsSince(mark).find((m) => m.type === type);
      if (e) return e;
      await sleep(50);
    }
    const seen = this.eventsSince(mark).map((m) => m.type);
    throw new Error(`baresip: no ${type} event within ${timeout} ms (events since: ${seen.join(", ") || "none"})`);
  }

  // The type of the last call state event since mark (CALL_RTCP and the
  // like are not states), or undefined.
  callState(mark) {
    const states = ["CALL_INCOMING", "CALL_OUTGOING", "CALL_RINGING", "CALL_PROGRESS", "CALL_ESTABLISHED", "CALL_CLOSED"];
    return this.eventsSince(mark).filter((m) => states.includes(m.type)).at(-1)?.type;
  }
}

const fileSize = (f) => (existsSync(f) ? statSync(f).size : 0);
const recordings = () => (existsSync(PHONE_REC) ? readdirSync(PHONE_REC).filter((f) => f.endsWith("-dec.wav")) : []);
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");

function phoneLogSince(offset) {
  const buf = readFileSync(PHONE_LOG);
  return stripAnsi(buf.subarray(Math.min(offset, buf.length)).toString("utf8"));
}

function phoneLogTail(lines) {
  if (!existsSync(PHONE_LOG)) return "baresip wrote no log (not started?)";
  const tail = phoneLogSince(0).split("\n").filter((l) => l.trim()).slice(-lines);
  return `baresip's log ends:\n  | ${tail.join("\n  | ")}`;
}

// SIP messages baresip received since a mark (its -s trace: a line
// "UDP src -> dst" then the message, up to the next such line).
function phoneReceived(mark) {
  const text = phoneLogSince(mark.log);
  const parts = text.split(/^(?:UDP|TCP|TLS) \S+ -> (\S+)\s*$/m);
  const msgs = [];
  for (let i = 1; i + 1 < parts.length; i += 2) {
    if (parts[i] === PHONE_SIP) msgs.push(parts[i + 1].trim());
  }
  return msgs;
}

// The first SIP message baresip received since mark that matches re, within
// timeout ms (its log may lag a little), else null.
async function phoneGot(mark, re, timeout = 3000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const msg = phoneReceived(mark).find((m) => re.test(m));
    if (msg || Date.now() > deadline) return msg || null;
    await sleep(100);
  }
}

// Where baresip's recording of what it decodes stands: the one begun since
// mark (with the call) and its size now.
async function recordingAt(mark, timeout = 5000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const fresh = recordings().filter((f) => !mark.recordings.has(f));
    if (fresh.length) {
      const file = path.join(PHONE_REC, fresh.sort().at(-1));
      try {
        wavInfo(file);
        return { file, size: fileSize(file) };
      } catch {
        /* header not written yet */
      }
    }
    await sleep(100);
  }
  throw new Error(`baresip began no recording of received audio within ${timeout} ms (${PHONE_REC}); ${phoneLogTail(6)}`);
}

// What baresip decoded between two positions of its recording.
function recordedWindows(a, b) {
  const info = wavInfo(b.file);
  const from = a.file === b.file ? a.size : info.dataOffset;
  return toneWindows(wavSamples(b.file, info, from, b.size), info.rate);
}

// ---------------------------------------------------------------------------
// Browser and page

// 10 s: 4400 whole periods, so the loop has no click. Chromium's audio
// processing (noise suppression) takes a steady tone down by ~16 dB within a
// second or two: at amplitude 0.8 it stays near RMS 0.06, well above MIN_RMS.
const TONE_FILE = path.join(TMP, `tone-${BROWSER_HZ}hz.wav`);
writeSineWav(TONE_FILE, BROWSER_HZ, 10, 48000, 0.8);

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: process.env.BROWSER_HEADED !== "1",
  args: [
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${TONE_FILE}`,
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
    "--ignore-certificate-errors",
    "--disable-gpu",
    "--disable-dev-shm-usage",
  ],
});

const pages = new Set();
const pageErrors = [];

async function phonePage(ext) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, permissions: ["microphone", "camera"] });
  const page = await ctx.newPage();
  page._label = ext;
  page._console = [];
  page.on("console", (m) => {
    page._console.push(`${m.type()}: ${m.text()}`);
    if (page._console.length > 300) page._console.shift();
  });
  page.on("pageerror", (e) => pageErrors.push(`${ext}: ${e.message}`));
  page.on("close", () => pages.delete(page));
  pages.add(page);
  await page.goto(BASE, { waitUntil: "load", timeout: 15000 });
  await page.waitForFunction(() => window.phone && window.phone.ready, null, { timeout: 10000, polling: 100 });
  await page.fill("#login-ext", ext);
  await page.fill("#login-pass", USERS[ext]);
  await page.click("#login-btn");
  await page
    .waitForFunction(() => ["registered", "failed"].includes(window.phone.registration), null, { timeout: 10000, polling: 100 })
    .catch(() => {});
  const reg = await page.evaluate(() => window.phone.registration);
  if (reg !== "registered") throw new Error(`${ext} did not register: ${reg}`);
  return page;
}

async function waitState(page, key, value, timeout = 10000) {
  try {
    await page.waitForFunction(([k, v]) => window.phone[k] === v, [key, value], { timeout, polling: 100 });
  } catch {
    const now = await page.evaluate((k) => window.phone[k], key).catch(() => "(page gone)");
    const err = await page.evaluate(() => window.phone.lastEndReason || window.phone.lastError).catch(() => null);
    throw new Error(
      `${page._label}: phone.${key} is ${JSON.stringify(now)}, not ${JSON.stringify(value)} after ${timeout} ms` +
        (err ? ` (last error/end reason: ${JSON.stringify(err)})` : ""),
    );
  }
}

// The page's remote audio: every 100 ms over `ms`, the peak of an 8192-point
// spectrum (50-4000 Hz) and the RMS level. Chromium feeds a remote WebRTC
// stream into WebAudio only while a media element plays it: the phone's
// <audio> does.
async function pageWindows(page, ms) {
  const r = await page.evaluate(async (ms) => {
    const stream = window.phone.remoteStream;
    if (!stream || stream.getAudioTracks().length === 0) return { error: "the page has no remote audio track" };
    const ctx = new AudioContext();
    await ctx.resume();
    const src = ctx.createMediaStreamSource(stream);
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    an.smoothingTimeConstant = 0;
    src.connect(an);
    const spectrum = new Float32Array(an.frequencyBinCount);
    const wave = new Float32Array(an.fftSize);
    const binHz = ctx.sampleRate / an.fftSize;
    const lo = Math.ceil(50 / binHz);
    const hi = Math.floor(4000 / binHz);
    await new Promise((r) => setTimeout(r, (1000 * an.fftSize) / ctx.sampleRate)); // fill the analyser
    const windows = [];
    const end = performance.now() + ms;
    while (performance.now() < end) {
      an.getFloatFrequencyData(spectrum);
      an.getFloatTimeDomainData(wave);
      let peak = lo;
      for (let i = lo; i <= hi; i++) if (spectrum[i] > spectrum[peak]) peak = i;
      let sum = 0;
      for (const v of wave) sum += v * v;
      windows.push({ hz: peak * binHz, rms: Math.sqrt(sum / wave.length) });
      await new Promise((r) => setTimeout(r, 100));
    }
    src.disconnect();
    await ctx.close();
    return { binHz, windows };
  }, ms);
  if (r.error) throw new Error(`${page._label}: ${r.error}`);
  return r;
}

// Does the page hear baresip's tone? One 1.5 s listen.
async function pageHears(page) {
  const heard = await pageWindows(page, 1500);
  return toneVerdict(heard.windows, PHONE_HZ, Math.max(3 * heard.binHz, 15), MIN_RMS);
}

// Both directions at once: the page listens for 1.5 s while baresip records;
// again until both carry their tone or `timeout` ms have gone (media needs a
// moment after the answer: ICE, DTLS). Fails naming each direction's result.
async function expectTones(page, mark, what, timeout = 9000) {
  const deadline = Date.now() + timeout;
  let toPage;
  let toPhone;
  do {
    const from = await recordingAt(mark);
    toPage = await pageHears(page);
    const to = await recordingAt(mark);
    toPhone = toneVerdict(recordedWindows(from, to), BROWSER_HZ, PHONE_TOL_HZ, MIN_RMS);
    if (toPage.ok && toPhone.ok) {
      console.log(`      ${what}: the page hears ${toPage.text}`);
      console.log(`      ${what}: baresip hears ${toPhone.text}`);
      return;
    }
  } while (Date.now() < deadline);
  const lines = [`${what}: audio does not flow both ways after ${timeout} ms:`];
  lines.push(`${toPage.ok ? "ok  " : "FAIL"} phone -> browser: the page hears ${toPage.text}`);
  lines.push(`${toPhone.ok ? "ok  " : "FAIL"} browser -> phone: baresip hears ${toPhone.text}`);
  throw new Error(lines.join("\n"));
}

// Wait until the page's call is connected; a call that ends instead fails
// at once, with the page's reason and its last console error (SIP.js says
// there why it refused an SDP).
async function waitConnected(page, timeout = 10000) {
  await page
    .waitForFunction(() => ["connected", "ended"].includes(window.phone.callState), null, { timeout, polling: 100 })
    .catch(() => {});
  const st = await page.evaluate(() => ({ call: window.phone.callState, end: window.phone.lastEndReason, err: window.phone.lastError }));
  if (st.call === "connected") return;
  const consoleError = page._console.filter((l) => l.startsWith("error:")).at(-1);
  throw new Error(
    `${page._label}: the call is ${st.call}, not connected` +
      (st.call === "ended" ? "" : ` after ${timeout} ms`) +
      (st.end || st.err ? `: ${JSON.stringify(st.end || st.err)}` : "") +
      (consoleError ? `\npage console: ${consoleError}` : ""),
  );
}

async function dial(page, number) {
  await page.fill("#number", number);
  await page.click("#call-btn");
}

// The SDP each side got must point at rtcbridge's relay: the page a
// DTLS-SRTP, ICE-lite offer or answer, baresip a plain RTP one. Without
// anchoring each would get the other's own SDP.
async function expectAnchoredSdp(page, mark, what) {
  const remote = await page.evaluate(() => {
    const pc = window.phone.peerConnection;
    return pc && pc.remoteDescription ? pc.remoteDescription.sdp : null;
  });
  assert.ok(remote, `${what}: the page has no remote SDP`);
  const m = /^m=audio (\d+) (\S+)/m.exec(remote);
  const browserLeg = {
    port: m && Number(m[1]),
    proto: m && m[2],
    iceLite: /^a=ice-lite/m.test(remote),
    fingerprint: /^a=fingerprint:/m.test(remote),
  };
  const sdp = await phoneGot(mark, /^m=audio /m);
  assert.ok(sdp, `${what}: baresip received no SIP message with SDP (its log from the call on has none)`);
  const pm = /^m=audio (\d+) (\S+)/m.exec(sdp);
  const phoneLeg = { port: Number(pm[1]), proto: pm[2], fingerprint: /^a=fingerprint:/m.test(sdp), ice: /^a=ice-/m.test(sdp) };
  console.log(`      ${what}: the page got ${JSON.stringify(browserLeg)}; baresip got ${JSON.stringify(phoneLeg)}`);
  assert.ok(
    RELAY.has(browserLeg.port) && browserLeg.proto === "UDP/TLS/RTP/SAVPF" && browserLeg.iceLite && browserLeg.fingerprint,
    `${what}: the page's remote SDP is not rtcbridge's (relay port ${RELAY.text}, UDP/TLS/RTP/SAVPF, ice-lite, fingerprint): ${JSON.stringify(browserLeg)}`,
  );
  assert.ok(
    RELAY.has(phoneLeg.port) && phoneLeg.proto === "RTP/AVP" && !phoneLeg.fingerprint && !phoneLeg.ice,
    `${what}: baresip's SDP is not rtcbridge's plain RTP (relay port ${RELAY.text}, RTP/AVP, no ICE, no DTLS): ${JSON.stringify(phoneLeg)}`,
  );
}

// The page (1001) calls baresip, which answers by itself.
async function browserCallsPhone(page, mark, what) {
  await dial(page, PHONE_EXT);
  await waitConnected(page);
  await phone.waitEvent("CALL_ESTABLISHED", mark, 5000);
  await expectAnchoredSdp(page, mark, what);
}

async function pageHangsUp(page, mark) {
  await page.click("#hangup-btn");
  await waitState(page, "callState", "ended", 6000);
  await phone.waitEvent("CALL_CLOSED", mark, 6000);
}

// ---------------------------------------------------------------------------
// Capture (tshark on lo, the relay's and baresip's RTP ports)

async function startCapture(file) {
  const probe = spawnSync("tshark", ["--version"], { encoding: "utf8" });
  if (probe.error) throw new Error("tshark is not installed (scripts/install-deps.sh)");
  const filter = `udp and (portrange ${RELAY.text} or portrange ${PHONE_RTP.text})`;
  const proc = spawn("tshark", ["-i", "lo", "-n", "-q", "-f", filter, "-w", file], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  const started = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 8000);
    const check = () => {
      if (/Capturing on/.test(stderr)) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    proc.stderr.on("data", check);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!started) {
    proc.kill("SIGKILL");
    throw new Error(`tshark did not start capturing on lo within 8 s: ${stderr.trim()}`);
  }
  return {
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
        proc.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        proc.kill("SIGINT");
      }),
  };
}

// Every UDP packet of the capture: time (ms, as Date.now()), ports, payload,
// and what tshark's dissectors make of DTLS (handshake types, the SRTP
// protection profile).
function readCapture(file) {
  const fields = ["frame.time_epoch", "udp.srcport", "udp.dstport", "udp.payload", "dtls.handshake.type", "dtls.use_srtp.protection_profile"];
  const r = spawnSync("tshark", ["-r", file, "-n", "-T", "fields", "-E", "separator=/t", ...fields.flatMap((f) => ["-e", f])], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
    timeout: 20000,
  });
  if (r.status !== 0) throw new Error(`tshark -r ${file} failed: ${r.stderr || r.error}`);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [time, src, dst, hex, hs, profile] = line.split("\t");
      return {
        time: 1000 * Number(time),
        src: Number(src),
        dst: Number(dst),
        payload: Buffer.from(hex || "", "hex"),
        handshake: hs ? hs.split(",").map(Number) : [],
        profiles: profile ? profile.split(",").map((p) => Number(p)) : [],
      };
    });
}

// RFC 7983 demultiplexing by the first byte; RTP (not RTCP) header parsed.
function rtpOf(payload) {
  if (payload.length < 12 || payload[0] >> 6 !== 2) return null;
  const pt = payload[1] & 0x7f;
  if (pt >= 64 && pt <= 95) return null; // RTCP
  let len = 12 + 4 * (payload[0] & 0x0f);
  if (payload[0] & 0x10) {
    if (payload.length < len + 4) return null;
    len += 4 + 4 * payload.readUInt16BE(len + 2);
  }
  return payload.length < len ? null : { pt, body: payload.subarray(len) };
}

// What the relay sent to baresip's RTP ports between two times, decoded
// (G.711) into windows; none when it sent no RTP then.
function relayToPhone(packets, from, to) {
  const rtp = packets
    .filter((p) => p.time >= from && p.time <= to && RELAY.has(p.src) && PHONE_RTP.has(p.dst))
    .map((p) => rtpOf(p.payload))
    .filter((r) => r && [0, 8].includes(r.pt));
  return rtp.length ? toneWindows(g711Decode(rtp.map((r) => r.body), rtp[0].pt), 8000) : [];
}

// The length seen most often.
function modal(lengths) {
  const counts = new Map();
  for (const l of lengths) counts.set(l, (counts.get(l) || 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

// SRTP auth tag length per DTLS-SRTP protection profile (RFC 5764, 7714).
const TAG_LENGTH = { 1: 10, 2: 4, 7: 16, 8: 16 };

// ---------------------------------------------------------------------------
// Tests

const tests = [];
const test = (name, fn, timeout = 30000) => tests.push({ name, fn, timeout });
const phone = new Baresip(PHONE_CTRL);

async function needPhone() {
  if (!phone.sock) await phone.connect();
}

test(`gateway: baresip registers as ${PHONE_EXT} over UDP`, async () => {
  await needPhone();
  const deadline = Date.now() + 10000;
  let info = "";
  while (Date.now() < deadline) {
    info = stripAnsi((await phone.command("reginfo")).data || "");
    if (info.includes(`sip:${PHONE_EXT}@`) && /\bOK\b/.test(info)) return;
    await sleep(300);
  }
  throw new Error(`baresip not registered after 10 s: ${info.trim()}\n${phoneLogTail(10)}`);
});

// `rtcbridge-ctl calls` during the call: one call, relayed, G.711, the
// browser's leg with SRTP up, packets flowing both ways on both legs.
function expectLiveCall(what) {
  const r = spawnSync(CTL, ["--state-dir", STATE, "calls"], { encoding: "utf8", timeout: 5000 });
  assert.equal(r.status, 0, `${what}: rtcbridge-ctl calls failed: ${r.stderr}`);
  console.log(r.stdout.trimEnd().replace(/^/gm, "      "));
  const out = r.stdout;
  assert.match(out, /^1 call\n/, `${what}: not exactly one live call:\n${out}`);
  assert.match(out, /media relayed, codec (PCMU|PCMA)\/8000/, `${what}: not relayed with G.711:\n${out}`);
  const legs = [...out.matchAll(/ (caller|callee) relay port \d+ <-> \S+  in (\d+) pkts  out (\d+) pkts.*MOS ([\d.]+)(  SRTP)?/g)];
  assert.equal(legs.length, 2, `${what}: two legs expected:\n${out}`);
  for (const [, leg, pin, pout, mos] of legs)
    assert.ok(Number(pin) > 50 && Number(pout) > 50 && Number(mos) >= 4,
      `${what}: the ${leg} leg is not flowing both ways with a good MOS:\n${out}`);
  const caller = legs.find((l) => l[1] === "caller");
  const callee = legs.find((l) => l[1] === "callee");
  assert.ok(caller[5] && !callee[5], `${what}: SRTP expected on the browser's (caller's) leg only:\n${out}`);
}

test("gateway: the web phone calls baresip; 440 Hz and 1000 Hz both ways", async () => {
  await needPhone();
  const page = await phonePage(BROWSER_EXT);
  const mark = phone.mark();
  await browserCallsPhone(page, mark, "browser calls phone");
  await expectTones(page, mark, "browser calls phone");
  expectLiveCall("browser calls phone");
  await pageHangsUp(page, mark);
});

test("gateway: baresip calls the web phone; 440 Hz and 1000 Hz both ways", async () => {
  await needPhone();
  const page = await phonePage(BROWSER_EXT);
  const mark = phone.mark();
  const r = await phone.command("dial", `sip:${BROWSER_EXT}@${HOST}`);
  assert.ok(r.ok, `baresip refused to dial: ${r.data}`);
  await waitState(page, "callState", "incoming", 8000);
  await page.click("#answer-btn");
  await waitConnected(page);
  await phone.waitEvent("CALL_ESTABLISHED", mark, 5000);
  await expectAnchoredSdp(page, mark, "phone calls browser");
  await expectTones(page, mark, "phone calls browser");
  const h = await phone.command("hangup");
  assert.ok(h.ok, `baresip refused to hang up: ${h.data}`);
  await phone.waitEvent("CALL_CLOSED", mark, 6000);
  await waitState(page, "callState", "ended", 6000);
});

// baresip 1.0 stops decoding after any re-INVITE (its recording stops
// growing; so it does between two baresips, without rtcbridge's relay): from
// the hold on, what the relay sends to baresip is read from a capture of the
// phone leg instead, decoded as G.711.
test("gateway: hold and resume from the web phone; silence on hold, tones after", async () => {
  await needPhone();
  const page = await phonePage(BROWSER_EXT);
  const file = path.join(TMP, "hold.pcap");
  const capture = await startCapture(file);
  const times = {};
  try {
    const mark = phone.mark();
    await browserCallsPhone(page, mark, "before hold");
    await expectTones(page, mark, "before hold");

    const holdMark = phone.mark();
    await page.click("#hold-btn");
    await waitState(page, "held", true, 6000);
    const holdInvite = await phoneGot(holdMark, /^INVITE /);
    assert.ok(holdInvite, "baresip received no re-INVITE for the hold");
    assert.match(holdInvite, /^a=(sendonly|inactive)\s*$/m, "the hold re-INVITE baresip got is sendonly or inactive");
    times.holdFrom = Date.now() + 500; // packets in flight
    await sleep(2500);
    times.holdTo = Date.now();
    assert.equal(await page.evaluate(() => window.phone.callState), "connected", "the page's call survives the hold");
    assert.equal(phone.callState(mark), "CALL_ESTABLISHED", "baresip's call survives the hold");

    const resumeMark = phone.mark();
    await page.click("#hold-btn");
    await waitState(page, "held", false, 6000);
    const resumeInvite = await phoneGot(resumeMark, /^INVITE /);
    assert.ok(resumeInvite, "baresip received no re-INVITE for the resume");
    assert.doesNotMatch(resumeInvite, /^a=(sendonly|inactive|recvonly)\s*$/m, "the resume re-INVITE baresip got is sendrecv");
    const deadline = Date.now() + 9000;
    let toPage;
    do toPage = await pageHears(page);
    while (!toPage.ok && Date.now() < deadline);
    console.log(`      after resume: the page hears ${toPage.text}`);
    assert.ok(toPage.ok, `after resume, the page does not hear baresip: ${toPage.text}`);
    times.resumedFrom = Date.now();
    await sleep(2000);
    times.resumedTo = Date.now();
    await pageHangsUp(page, mark);
  } finally {
    await capture.stop();
  }
  const packets = readCapture(file);
  const onHold = noToneVerdict(relayToPhone(packets, times.holdFrom, times.holdTo), BROWSER_HZ, PHONE_TOL_HZ, MIN_RMS);
  console.log(`      on hold: the relay sends baresip ${onHold.text}`);
  const resumed = toneVerdict(relayToPhone(packets, times.resumedFrom, times.resumedTo), BROWSER_HZ, PHONE_TOL_HZ, MIN_RMS);
  console.log(`      after resume: the relay sends baresip ${resumed.text}`);
  assert.ok(onHold.ok, `on hold, the relay still sends baresip the browser's tone: ${onHold.text}`);
  assert.ok(resumed.ok, `after resume, the relay does not send baresip the browser's tone: ${resumed.text}`);
}, 40000);

// An ICE restart (RFC 8445 9) from the web phone mid-call: SIP.js's
// session.invite() with offerOptions.iceRestart sends a re-INVITE whose offer
// has new ice-ufrag/ice-pwd. rtcbridge's answer must bring new credentials of
// its own (RFC 8445 9: the answerer changes them too) but the same
// fingerprint and relay port, and rtcbridge must keep its DTLS association
// and SRTP keys, as Chromium does (same fingerprints: no new handshake). So
// the page's ICE comes back to connected with its DTLS transport connected
// throughout, and the tones go on both ways within seconds: the page's
// analyser for baresip's tone; for the browser's, a capture of the phone leg
// (baresip 1.0 stops recording after a re-INVITE, see the hold test), which
// also shows any new DTLS handshake (a ClientHello) on the browser leg.
const sdpValue = (sdp, attr) => (new RegExp(`^a=${attr}:(.+?)\\s*$`, "m").exec(sdp || "") || [])[1];
const sdpPort = (sdp) => Number((/^m=audio (\d+) /m.exec(sdp || "") || [])[1]);
const iceOf = (sdp) => ({ ufrag: sdpValue(sdp, "ice-ufrag"), pwd: sdpValue(sdp, "ice-pwd"), fingerprint: sdpValue(sdp, "fingerprint"), port: sdpPort(sdp) });

// A STUN message (RFC 5389) in a UDP payload: type, transaction id, USERNAME,
// and whether its MESSAGE-INTEGRITY holds under `key` (short-term: the
// ice-pwd); null when the payload is no STUN.
function stunOf(payload, key) {
  if (payload.length < 20 || payload[0] > 3 || payload.readUInt32BE(4) !== 0x2112a442) return null;
  const msg = { type: payload.readUInt16BE(0), tid: payload.subarray(8, 20).toString("hex"), username: null, integrity: false };
  const end = Math.min(payload.length, 20 + payload.readUInt16BE(2));
  for (let at = 20; at + 4 <= end; ) {
    const type = payload.readUInt16BE(at);
    const len = payload.readUInt16BE(at + 2);
    if (at + 4 + len > end) break;
    if (type === 0x0006) msg.username = payload.toString("utf8", at + 4, at + 4 + len);
    if (type === 0x0008 && len === 20 && key) {
      const head = Buffer.from(payload.subarray(0, at)); // the length counts up to the end of MESSAGE-INTEGRITY
      head.writeUInt16BE(at + 24 - 20, 2);
      msg.integrity = createHmac("sha1", key).update(head).digest().equals(payload.subarray(at + 4, at + 24));
    }
    at += 4 + ((len + 3) & ~3);
  }
  return msg;
}

// The page's RTCPeerConnection: descriptions, states, its transport stats.
async function pcView(page) {
  return page.evaluate(async () => {
    const pc = window.phone.peerConnection;
    if (!pc) return null;
    const transports = [];
    (await pc.getStats()).forEach((r) => {
      if (r.type === "transport") {
        transports.push({ id: r.id, dtlsState: r.dtlsState, iceState: r.iceState, dtlsRole: r.dtlsRole, srtpCipher: r.srtpCipher, localCertificateId: r.localCertificateId, remoteCertificateId: r.remoteCertificateId, selectedCandidatePairChanges: r.selectedCandidatePairChanges });
      }
    });
    return {
      local: pc.localDescription && pc.localDescription.sdp,
      remote: pc.remoteDescription && pc.remoteDescription.sdp,
      ice: pc.iceConnectionState,
      connection: pc.connectionState,
      transports,
    };
  });
}

test("gateway: ICE restart from the web phone mid-call; new ICE credentials, same DTLS, tones after", async () => {
  await needPhone();
  const page = await phonePage(BROWSER_EXT);
  const file = path.join(TMP, "ice-restart.pcap");
  const capture = await startCapture(file);
  const times = {};
  const checks = []; // { ok, text }: all printed, the failed ones fail the test
  const check = (ok, text) => {
    checks.push({ ok: !!ok, text });
    console.log(`      ${ok ? "ok  " : "FAIL"} ${text}`);
  };
  let mark;
  let offer; // the re-INVITE's ICE credentials
  let answer; // rtcbridge's new ones
  try {
    mark = phone.mark();
    await browserCallsPhone(page, mark, "before the ICE restart");
    await expectTones(page, mark, "before the ICE restart");
    const before = await pcView(page);
    assert.ok(before && before.remote, "the page has no RTCPeerConnection with a remote description");
    await page.evaluate(() => {
      const pc = window.phone.peerConnection;
      const sender = pc.getSenders().find((s) => s.transport);
      window.__iceRestart = { dtls: [], ice: [], hasDtlsTransport: !!(sender && sender.transport) };
      if (sender) sender.transport.addEventListener("statechange", () => window.__iceRestart.dtls.push(sender.transport.state));
      pc.addEventListener("iceconnectionstatechange", () => window.__iceRestart.ice.push(pc.iceConnectionState));
    });
    const sipFrom = await page.evaluate(() => window.phone.sipMessages.length);
    const recBefore = await recordingAt(mark);
    const reMark = phone.mark();

    // the re-INVITE with an ICE restart, as the Hold button does its own
    times.restart = Date.now();
    const r = await page.evaluate(async () => {
      const s = window.phone.session;
      if (!s) return { error: "window.phone.session is null" };
      const saved = s.sessionDescriptionHandlerOptionsReInvite; // invite() keeps the options for later re-INVITEs
      try {
        return await new Promise((resolve) => {
          const timer = setTimeout(() => resolve({ error: "no final response to the re-INVITE within 6 s" }), 6000);
          const done = (v) => {
            clearTimeout(timer);
            resolve(v);
          };
          s.invite({
            sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false }, offerOptions: { iceRestart: true } },
            requestDelegate: {
              onAccept: (res) => done({ code: res.message.statusCode }),
              onReject: (res) => done({ error: `re-INVITE refused: ${res.message.statusCode} ${res.message.reasonPhrase}` }),
            },
          }).catch((e) => done({ error: `invite() failed: ${e.message}` }));
        });
      } finally {
        s.sessionDescriptionHandlerOptionsReInvite = saved;
      }
    });
    times.accepted = Date.now();
    assert.ok(!r.error, `ICE restart: ${r.error}`);
    console.log(`      ICE restart: re-INVITE answered ${r.code} in ${times.accepted - times.restart} ms`);

    // 1. the offer: new ICE credentials, in the SIP log as in localDescription
    const sip = await page.evaluate(() => window.phone.sipMessages.map((m) => ({ dir: m.dir, text: m.text })));
    const invites = (list) => list.filter((m) => m.dir === "out" && /^INVITE /.test(m.text) && /^a=ice-ufrag:/m.test(m.text));
    const firstOffer = invites(sip.slice(0, sipFrom))[0];
    const reOffer = invites(sip.slice(sipFrom)).at(-1);
    assert.ok(firstOffer && reOffer, `the page's SIP log lacks the first INVITE or the re-INVITE with SDP (${invites(sip).length} INVITEs with ICE)`);
    const after = await pcView(page);
    const o1 = iceOf(firstOffer.text);
    const o2 = (offer = iceOf(reOffer.text));
    const l2 = iceOf(after.local);
    console.log(`      offers: first ufrag ${o1.ufrag}, re-INVITE ufrag ${o2.ufrag} (localDescription ${l2.ufrag})`);
    check(o2.ufrag && o2.pwd && o2.ufrag !== o1.ufrag && o2.pwd !== o1.pwd, `the re-INVITE's offer has new ice-ufrag/ice-pwd (${o1.ufrag} -> ${o2.ufrag}; pwd ${o1.pwd === o2.pwd ? "same" : "new"})`);
    check(l2.ufrag === o2.ufrag && l2.pwd === o2.pwd, "the page's localDescription carries the re-INVITE's credentials");

    // 2. rtcbridge's answer: new ICE credentials, same fingerprint and port
    const a1 = iceOf(before.remote);
    const a2 = (answer = iceOf(after.remote));
    console.log(`      answers: ufrag ${a1.ufrag} -> ${a2.ufrag}, port ${a1.port} -> ${a2.port}, fingerprint ${a1.fingerprint === a2.fingerprint ? "same" : `${a1.fingerprint} -> ${a2.fingerprint}`}`);
    check(a2.ufrag && a2.ufrag !== a1.ufrag, `rtcbridge's answer has a new a=ice-ufrag (${a1.ufrag} -> ${a2.ufrag})`);
    check(a2.pwd && a2.pwd !== a1.pwd, `rtcbridge's answer has a new a=ice-pwd (${a1.pwd === a2.pwd ? "same" : "new"})`);
    check(a2.fingerprint && a2.fingerprint === a1.fingerprint, `rtcbridge's answer has the same a=fingerprint (${a1.fingerprint === a2.fingerprint ? "same" : "changed"})`);
    check(a2.port === a1.port && RELAY.has(a2.port), `rtcbridge's answer has the same relay port (${a1.port} -> ${a2.port})`);

    // 4. ICE back to connected, DTLS transport connected all along
    await page
      .waitForFunction(() => ["connected", "completed"].includes(window.phone.peerConnection?.iceConnectionState), null, { timeout: 5000, polling: 100 })
      .catch(() => {});
    times.iceBack = Date.now();
    const seen = await page.evaluate(() => window.__iceRestart);
    const now = await pcView(page);
    const t1 = before.transports[0] || {};
    const t2 = now.transports[0] || {};
    console.log(`      page: iceConnectionState ${now.ice} (changes ${seen.ice.join(" -> ") || "none"}), DTLS transport changes: ${seen.dtls.join(" -> ") || "none"}`);
    console.log(`      transport stats before: ${JSON.stringify(t1)}`);
    console.log(`      transport stats after:  ${JSON.stringify(t2)}`);
    check(["connected", "completed"].includes(now.ice), `the page's iceConnectionState is back to connected/completed (${now.ice}, ${times.iceBack - times.accepted} ms after the answer)`);
    check(seen.dtls.every((s) => s === "connected"), `the page's DTLS transport stays connected (state changes: ${seen.dtls.join(", ") || "none"})`);
    check(t2.dtlsState === "connected" && t1.localCertificateId === t2.localCertificateId && t1.remoteCertificateId === t2.remoteCertificateId, `getStats: transport dtlsState ${t2.dtlsState}, certificates ${t1.remoteCertificateId === t2.remoteCertificateId ? "unchanged" : "changed"}`);

    // 3. the tones: baresip's on the page now, the browser's to baresip in the capture below
    const deadline = times.accepted + 6000;
    let toPage;
    do toPage = await pageHears(page);
    while (!toPage.ok && Date.now() < deadline);
    times.heard = Date.now();
    check(toPage.ok, `after the restart the page hears ${toPage.text}`);
    times.toPhoneFrom = Date.now();
    await sleep(2000);
    times.toPhoneTo = Date.now();
    const recAfter = await recordingAt(mark);
    const grew = recAfter.file === recBefore.file ? recAfter.size - recBefore.size : null;
    const reInvite = await phoneGot(reMark, /^INVITE /, 500);
    console.log(`      baresip: ${reInvite ? "got a re-INVITE" : "got no re-INVITE"}; its recording grew ${grew} bytes since before the restart`);

    check(await page.evaluate(() => window.phone.callState === "connected"), "the page's call survives the restart");
    check(phone.callState(mark) === "CALL_ESTABLISHED", "baresip's call survives the restart");
    await pageHangsUp(page, mark);
    await sleep(300);
  } finally {
    await capture.stop();
  }

  const packets = readCapture(file);
  const toPhone = toneVerdict(relayToPhone(packets, times.toPhoneFrom, times.toPhoneTo), BROWSER_HZ, PHONE_TOL_HZ, MIN_RMS);
  check(toPhone.ok, `after the restart the relay sends baresip ${toPhone.text}`);
  const browserLeg = packets.filter((p) => (RELAY.has(p.src) || RELAY.has(p.dst)) && !PHONE_RTP.has(p.src) && !PHONE_RTP.has(p.dst));
  const hellos = (from, to) => browserLeg.filter((p) => p.time >= from && p.time < to && p.handshake.includes(1)).length;
  const hellosBefore = hellos(0, times.restart);
  const hellosAfter = hellos(times.restart, Infinity);
  // the longest pause in the relay's RTP-headed packets to the page around the
  // restart (information only: whether they decrypt shows in what the page hears)
  const toPageTimes = browserLeg.filter((p) => RELAY.has(p.src) && p.time >= times.restart - 1000 && p.time <= times.toPhoneTo && rtpOf(p.payload)).map((p) => p.time);
  let gap = 0;
  for (let i = 1; i < toPageTimes.length; i++) gap = Math.max(gap, toPageTimes[i] - toPageTimes[i - 1]);
  console.log(`      capture ${file}: ${packets.length} packets; relay -> page RTP/SRTP packets: longest pause ${Math.round(gap)} ms around the restart`);
  // the page's connectivity checks under the new credentials, and rtcbridge's
  // answers to them signed with its new ice-pwd
  const newUser = `${answer.ufrag}:${offer.ufrag}`;
  const requests = new Map();
  let answered = 0;
  let signed = 0;
  for (const p of browserLeg.filter((q) => q.time >= times.restart)) {
    const m = stunOf(p.payload, answer.pwd);
    if (m && m.type === 0x0001 && RELAY.has(p.dst) && m.username === newUser) requests.set(m.tid, m);
    else if (m && m.type === 0x0101 && RELAY.has(p.src) && requests.has(m.tid)) {
      answered += 1;
      if (m.integrity) signed += 1;
    }
  }
  check(
    requests.size > 0 && answered > 0 && signed === answered,
    `browser leg: ${requests.size} binding requests as ${newUser} after the restart, ${answered} success responses from the relay, ${signed} with MESSAGE-INTEGRITY under the new ice-pwd`,
  );
  check(hellosBefore >= 1 && hellosAfter === 0, `browser leg: DTLS ClientHello ${hellosBefore} before the restart, ${hellosAfter} after (no new handshake)`);

  const failedChecks = checks.filter((c) => !c.ok);
  assert.equal(failedChecks.length, 0, `ICE restart: ${failedChecks.length} of ${checks.length} checks failed:\n${failedChecks.map((c) => c.text).join("\n")}`);
}, 40000);

test("gateway: capture on lo: DTLS-SRTP on the browser leg, plain G.711 RTP on the phone leg", async () => {
  await needPhone();
  const file = path.join(TMP, "gateway.pcap");
  const capture = await startCapture(file);
  try {
    const page = await phonePage(BROWSER_EXT);
    const mark = phone.mark();
    await browserCallsPhone(page, mark, "captured call");
    await expectTones(page, mark, "captured call");
    await sleep(1500);
    await pageHangsUp(page, mark);
    await sleep(300);
  } finally {
    await capture.stop();
  }
  const packets = readCapture(file);

  const legs = { browser: [], phone: [], direct: [] };
  for (const p of packets) {
    const relaySide = RELAY.has(p.src) || RELAY.has(p.dst);
    const phoneSide = PHONE_RTP.has(p.src) || PHONE_RTP.has(p.dst);
    if (relaySide && phoneSide) legs.phone.push(p);
    else if (relaySide) legs.browser.push(p);
    else legs.direct.push(p);
  }
  console.log(`      capture ${file}: ${packets.length} packets, browser leg ${legs.browser.length}, phone leg ${legs.phone.length}, other ${legs.direct.length}`);
  assert.equal(legs.direct.length, 0, `packets between baresip's RTP ports and something other than the relay (${RELAY.text}): media bypasses rtcbridge`);

  // Phone leg: plain RTP, G.711, the two tones
  const phoneRtp = { toRelay: [], fromRelay: [] };
  for (const p of legs.phone) {
    const rtp = rtpOf(p.payload);
    if (rtp) (RELAY.has(p.dst) ? phoneRtp.toRelay : phoneRtp.fromRelay).push(rtp);
  }
  for (const [dir, list, hz] of [
    ["baresip -> relay", phoneRtp.toRelay, PHONE_HZ],
    ["relay -> baresip", phoneRtp.fromRelay, BROWSER_HZ],
  ]) {
    assert.ok(list.length >= 50, `phone leg ${dir}: ${list.length} RTP packets (want >= 50)`);
    const pts = [...new Set(list.map((r) => r.pt))];
    assert.ok(pts.length === 1 && [0, 8].includes(pts[0]), `phone leg ${dir}: payload types ${pts} (want PCMU 0 or PCMA 8 only)`);
    const verdict = toneVerdict(toneWindows(g711Decode(list.map((r) => r.body), pts[0]), 8000), hz, PHONE_TOL_HZ, MIN_RMS);
    console.log(`      phone leg ${dir}: ${list.length} RTP packets, PT ${pts[0]}, decoded: ${verdict.text}`);
    assert.ok(verdict.ok, `phone leg ${dir}: the G.711 payload does not carry ${hz} Hz: ${verdict.text}`);
  }

  // Browser leg: DTLS handshake, then SRTP
  const hello = legs.browser.find((p) => p.handshake.includes(2));
  const handshakes = new Set(legs.browser.flatMap((p) => p.handshake));
  assert.ok(handshakes.has(1) && hello, `browser leg: tshark sees no DTLS ClientHello and ServerHello (handshake types seen: ${[...handshakes]})`);
  const profile = hello.profiles[0];
  const tag = TAG_LENGTH[profile];
  assert.ok(tag, `browser leg: ServerHello selects SRTP profile ${profile}, unknown`);
  const stun = legs.browser.filter((p) => p.payload.length > 0 && p.payload[0] < 4).length;
  const browserRtp = { toRelay: [], fromRelay: [] };
  for (const p of legs.browser) {
    const rtp = rtpOf(p.payload);
    if (rtp) (RELAY.has(p.dst) ? browserRtp.toRelay : browserRtp.fromRelay).push(rtp);
  }
  const phonePayloads = [...new Set([...phoneRtp.toRelay, ...phoneRtp.fromRelay].map((r) => r.body.toString("hex")))];
  for (const [dir, list, plain] of [
    ["browser -> relay", browserRtp.toRelay, phoneRtp.fromRelay],
    ["relay -> browser", browserRtp.fromRelay, phoneRtp.toRelay],
  ]) {
    assert.ok(list.length >= 50, `browser leg ${dir}: ${list.length} RTP packets (want >= 50)`);
    const srtpLen = modal(list.map((r) => r.body.length));
    const rtpLen = modal(plain.map((r) => r.body.length));
    console.log(`      browser leg ${dir}: ${list.length} packets, payload + tag ${srtpLen} bytes vs ${rtpLen} on the phone leg (profile ${profile}: tag ${tag})`);
    assert.equal(srtpLen - rtpLen, tag, `browser leg ${dir}: payloads ${srtpLen} bytes, phone leg ${rtpLen}: not longer by the ${tag}-byte SRTP tag`);
  }
  const leaked = legs.browser.filter((p) => {
    const hex = p.payload.toString("hex");
    return phonePayloads.some((pl) => hex.includes(pl));
  });
  console.log(`      browser leg: ${stun} STUN, DTLS handshake types ${[...handshakes].sort((a, b) => a - b)}, ${phonePayloads.length} distinct phone-leg payloads, ${leaked.length} of them seen in clear`);
  assert.equal(leaked.length, 0, `browser leg: ${leaked.length} packets carry a phone-leg RTP payload in clear (plain RTP, not SRTP)`);
}, 40000);

test("gateway: no uncaught errors in the pages", async () => {
  assert.deepEqual(pageErrors, []);
});

// ---------------------------------------------------------------------------
// Runner

async function saveLogs(name, since) {
  const slug = name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").slice(0, 60);
  for (const page of pages) {
    try {
      const data = await page.evaluate(() => ({
        callState: window.phone.callState,
        lastError: window.phone.lastError,
        lastEndReason: window.phone.lastEndReason,
        events: window.phone.events,
        sip: window.phone.sipMessages.map((m) => `--- ${m.dir}\n${m.text}`),
      }));
      const file = path.join(OUT, `fail-${slug}-${page._label}.log`);
      writeFileSync(file, [JSON.stringify({ callState: data.callState, lastError: data.lastError, lastEndReason: data.lastEndReason }), "== events", ...data.events, "== console", ...page._console, "== SIP", ...data.sip].join("\n"));
      for (const e of data.events.slice(-6)) console.log(`        | ${e}`);
      console.log(`      page log: ${file}`);
    } catch {
      /* page gone */
    }
  }
  if (existsSync(PHONE_LOG)) {
    const file = path.join(OUT, `fail-${slug}-baresip.log`);
    writeFileSync(file, phoneLogSince(since));
    console.log(`      baresip log: ${file}`);
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
  const logFrom = fileSize(PHONE_LOG);
  const callMark = phone.mark();
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
    for (const line of String(e && e.message ? e.message : e).split("\n").slice(0, 14)) console.log(`      ${line}`);
    await saveLogs(t.name, logFrom);
  } finally {
    clearTimeout(timer);
    for (const ctx of browser.contexts()) await ctx.close().catch(() => {});
    // a call the test left (a failure midway) must not reach into the next test
    if (phone.sock && ![undefined, "CALL_CLOSED"].includes(phone.callState(callMark))) {
      await phone.command("hangup").catch(() => {});
      await phone.waitEvent("CALL_CLOSED", callMark, 5000).catch(() => {});
    }
  }
}

if (phone.sock) phone.sock.destroy();
await browser.close().catch(() => {});
console.log(`gateway tests: ${passed} passed, ${failed} failed in ${((Date.now() - t00) / 1000).toFixed(1)} s`);
if (RESULTS !== "-") writeFileSync(RESULTS, `${passed} ${failed}\n`);
process.exit(failed ? 1 : 0);
