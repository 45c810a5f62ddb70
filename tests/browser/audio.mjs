// audio.mjs - tones for gateway.test.mjs, in plain node (no packages).
//
//   writeSineWav    a sine as a 16-bit mono WAV file: Chromium's fake
//                   microphone plays it (--use-file-for-fake-audio-capture)
//   wavInfo,        a WAV file that may still be being written (baresip's
//   wavSamples      sndfile recording grows while the call lasts: the data
//                   chunk's length field is not trusted, the file's size is)
//   g711Decode      RTP payloads from a capture (PCMU, PCMA) to samples
//   toneWindows     the dominant frequency and the RMS level of consecutive
//                   short windows (Goertzel filters every 5 Hz, 50-4000 Hz)
//   toneVerdict     "these windows carry a tone of F Hz": most windows loud
//                   enough and peaking within a tolerance of F; the text
//                   names the peaks found, for failure messages
//
// Samples are Float32Array in [-1, 1], one channel (the first).

import { closeSync, openSync, readSync, statSync, writeFileSync } from "node:fs";

export function writeSineWav(file, hz, seconds, rate = 48000, amplitude = 0.3) {
  const n = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write("RIFF", 0, "latin1");
  buf.writeUInt32LE(36 + 2 * n, 4);
  buf.write("WAVEfmt ", 8, "latin1");
  buf.writeUInt32LE(16, 16); // fmt chunk length
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(2 * rate, 28); // bytes per second
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write("data", 36, "latin1");
  buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) {
    buf.writeInt16LE(Math.round(32767 * amplitude * Math.sin((2 * Math.PI * hz * i) / rate)), 44 + 2 * i);
  }
  writeFileSync(file, buf);
}

function readAt(fd, offset, length) {
  const buf = Buffer.alloc(length);
  const got = readSync(fd, buf, 0, length, offset);
  return buf.subarray(0, got);
}

// {rate, channels, bits, float, blockAlign, dataOffset, size}: size is the
// file's length now, so (size - dataOffset) / blockAlign frames are there.
export function wavInfo(file) {
  const fd = openSync(file, "r");
  try {
    const size = statSync(file).size;
    const head = readAt(fd, 0, 12);
    if (head.length < 12 || head.toString("latin1", 0, 4) !== "RIFF" || head.toString("latin1", 8, 12) !== "WAVE") {
      throw new Error(`${file}: not a WAV file (yet)`);
    }
    let pos = 12;
    let fmt = null;
    while (pos + 8 <= size) {
      const chunk = readAt(fd, pos, 8);
      const id = chunk.toString("latin1", 0, 4);
      const len = chunk.readUInt32LE(4);
      if (id === "fmt ") {
        const f = readAt(fd, pos + 8, 16);
        const format = f.readUInt16LE(0);
        fmt = {
          float: format === 3,
          channels: f.readUInt16LE(2),
          rate: f.readUInt32LE(4),
          blockAlign: f.readUInt16LE(12),
          bits: f.readUInt16LE(14),
        };
      } else if (id === "data") {
        if (!fmt) throw new Error(`${file}: data chunk before fmt chunk`);
        return { ...fmt, dataOffset: pos + 8, size };
      }
      pos += 8 + len + (len & 1);
    }
    throw new Error(`${file}: no data chunk (yet)`);
  } finally {
    closeSync(fd);
  }
}

// The samples (first channel) between two byte positions of the file (file
// sizes taken at two moments); from defaults to the start of the data.
export function wavSamples(file, info, from = info.dataOffset, to = info.size) {
  const start = Math.max(from, info.dataOffset);
  const frames = Math.max(0, Math.floor((to - start) / info.blockAlign));
  const fd = openSync(file, "r");
  let raw;
  try {
    raw = readAt(fd, start, frames * info.blockAlign);
  } finally {
    closeSync(fd);
  }
  const out = new Float32Array(Math.floor(raw.length / info.blockAlign));
  for (let i = 0; i < out.length; i++) {
    const at = i * info.blockAlign;
    if (info.float) out[i] = raw.readFloatLE(at);
    else if (info.bits === 16) out[i] = raw.readInt16LE(at) / 32768;
    else throw new Error(`WAV with ${info.bits}-bit integer samples not supported`);
  }
  return out;
}

function ulaw(byte) {
  const u = ~byte & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return (u & 0x80 ? 0x84 - t : t - 0x84) / 32768;
}

function alaw(byte) {
  const a = byte ^ 0x55;
  const seg = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = seg === 0 ? t + 8 : seg === 1 ? t + 0x108 : (t + 0x108) << (seg - 1);
  return (a & 0x80 ? t : -t) / 32768;
}

// payloads: Buffers of one RTP stream in order; pt 0 (PCMU) or 8 (PCMA).
export function g711Decode(payloads, pt) {
  const decode = pt === 8 ? alaw : ulaw;
  const total = payloads.reduce((n, p) => n + p.length, 0);
  const out = new Float32Array(total);
  let i = 0;
  for (const p of payloads) for (const b of p) out[i++] = decode(b);
  return out;
}

function goertzelPower(w, hz, rate) {
  const k = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < w.length; i++) {
    const s0 = w[i] + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

// [{hz, rms}] for consecutive windows of windowMs.
export function toneWindows(samples, rate, windowMs = 200) {
  const n = Math.round((rate * windowMs) / 1000);
  const top = Math.min(4000, rate / 2 - 50);
  const windows = [];
  for (let off = 0; off + n <= samples.length; off += n) {
    const w = samples.subarray(off, off + n);
    let sum = 0;
    for (const v of w) sum += v * v;
    let best = 0;
    let bestHz = 0;
    for (let hz = 50; hz <= top; hz += 5) {
      const p = goertzelPower(w, hz, rate);
      if (p > best) {
        best = p;
        bestHz = hz;
      }
    }
    windows.push({ hz: bestHz, rms: Math.sqrt(sum / n) });
  }
  return windows;
}

// {ok, text}: at least `share` of at least 3 windows have RMS >= minRms and
// their peak within tolHz of hz.
export function toneVerdict(windows, hz, tolHz, minRms, share = 0.6) {
  const hits = windows.filter((w) => w.rms >= minRms && Math.abs(w.hz - hz) <= tolHz).length;
  const ok = windows.length >= 3 && hits >= share * windows.length;
  return { ok, text: `${hits}/${windows.length} windows at ${hz}±${Math.round(tolHz)} Hz with RMS >= ${minRms} (${describe(windows)})` };
}

// "no window carries hz": for silence checks (hold).
export function noToneVerdict(windows, hz, tolHz, minRms) {
  const hits = windows.filter((w) => w.rms >= minRms && Math.abs(w.hz - hz) <= tolHz).length;
  return { ok: hits === 0, text: `${hits}/${windows.length} windows at ${hz}±${Math.round(tolHz)} Hz with RMS >= ${minRms} (${describe(windows)})` };
}

// "peaks 1000 Hz x12, 440 Hz x2; RMS 0.002-0.210"
function describe(windows) {
  if (windows.length === 0) return "no audio at all";
  const counts = new Map();
  for (const w of windows) {
    const key = Math.round(w.hz / 10) * 10;
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  const peaks = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([f, c]) => `${f} Hz x${c}`);
  const levels = windows.map((w) => w.rms);
  return `peaks ${peaks.join(", ")}; RMS ${Math.min(...levels).toFixed(3)}-${Math.max(...levels).toFixed(3)}`;
}
