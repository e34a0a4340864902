// Start-up of the test Main app.
//   /?config=/ioconnect/manager.json   fetch() the JSON file (the default)
//   /?config=/ioconnect/manager.js     import() the ES module and use its default export
// Then it calls IOBrowserPlatform({ licenseKey, manager }) of @interopio/browser-platform, served under /lib/.
// #result receives one JSON object, rewritten at each step so a page that stops half-way says where:
//   status    loading | loaded | done | error: ...
//   source    the file loaded; exports: the ES module's export names; sameNamed: named export === default
//   digest    SHA-256 (hex) of JSON.stringify(manager): the test compares it with the file, without the page
//             ever showing a credential
//   shown     url, intervals, auth method, requests.timeout (what a person sees in the <dl>)
//   platform  how IOBrowserPlatform() settled: {settled: resolved | rejected, name, message, kind, at}
//             (the library's config decoder throws {kind: "DecoderError", at: "input.manager...", message})

const LICENSE_KEY = "ioconnect-fleet-test-no-licence";
const result = { status: "loading" };

function publish() {
  document.getElementById("result").textContent = JSON.stringify(result);
}

function authMethod(auth) {
  if (!auth || typeof auth !== "object") return "missing";
  if (auth.basic) return "basic (user " + auth.basic.username + ")";
  if (auth.token) return "token";
  if (auth.username) return "username " + auth.username;
  return "none";
}

function show(id, value) {
  document.getElementById(id).textContent = value === undefined ? "(platform default)" : String(value);
}

async function sha256(text) {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function loadManager(source) {
  if (/\.m?js$/.test(source)) {
    const module = await import(source);
    result.exports = Object.keys(module).sort();
    result.sameNamed = "manager" in module ? module.manager === module.default : null;
    return module.default;
  }
  const response = await fetch(source, { cache: "no-store" });
  if (!response.ok) throw new Error("GET " + source + ": HTTP " + response.status);
  return response.json();
}

function describe(error) {
  // A decoder error is a plain object, not an Error: keep its kind and path, never its input (the config).
  if (error === null || typeof error !== "object") return { name: typeof error, message: String(error) };
  return { name: error.name, message: error.message ?? String(error), kind: error.kind, at: error.at };
}

try {
  const source = new URLSearchParams(location.search).get("config") || "/ioconnect/manager.json";
  result.source = source;
  show("source", source);
  publish();
  const manager = await loadManager(source);
  result.digest = await sha256(JSON.stringify(manager));
  const auth = authMethod(manager && manager.auth);
  result.shown = {
    url: manager.url,
    fetchIntervalMS: manager.fetchIntervalMS,
    tokenRefreshIntervalMS: manager.tokenRefreshIntervalMS,
    auth,
    requestsTimeout: manager.requests && manager.requests.timeout,
  };
  show("url", manager.url);
  show("fetchIntervalMS", manager.fetchIntervalMS);
  show("tokenRefreshIntervalMS", manager.tokenRefreshIntervalMS);
  show("auth", auth);
  show("requestsTimeout", manager.requests && manager.requests.timeout);
  result.status = "loaded";
  publish();

  const { default: IOBrowserPlatform } = await import("/lib/browser.platform.es.js");
  try {
    await IOBrowserPlatform({ licenseKey: LICENSE_KEY, manager });
    result.platform = { settled: "resolved" };
  } catch (error) {
    result.platform = { settled: "rejected", ...describe(error) };
  }
  show("platform", result.platform.settled + (result.platform.message ? ": " + result.platform.message : ""));
  result.status = "done";
} catch (error) {
  result.status = "error: " + (error && error.message ? error.message : String(error));
}
show("status", result.status);
publish();
