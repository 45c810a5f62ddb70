// config.js - where the phone connects, read once from the page address.
//
// The server is the page's own host: wss://<host>/ws (ws:// when the page is
// plain http), SIP domain = the page's host name. `?server=wss://...` and
// `?domain=...` override both (for development against another server);
// `?expires=N` asks for N-second registrations (default 300; tests use it to
// see refreshes); `?debug` sends SIP.js's own log to the console.
//
// Owns `config`, which nothing changes after start-up. Imports nothing.

function pageConfig(page) {
  const params = new URLSearchParams(page.search);
  let host = page.hostname; // browsers give "[::1]" for IPv6; be safe anyway
  if (host.includes(":") && !host.startsWith("[")) host = `[${host}]`;
  const scheme = page.protocol === "https:" ? "wss:" : "ws:";
  return {
    domain: params.get("domain") || host,
    server: params.get("server") || `${scheme}//${page.host}/ws`,
    debug: params.has("debug"),
    expires: Math.max(1, Number.parseInt(params.get("expires") || "300", 10) || 300),
  };
}

export const config = pageConfig(location);
