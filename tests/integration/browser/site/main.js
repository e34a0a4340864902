// Start-up of the test Main app. ?esm loads the ES module variant, otherwise the JSON file.
// The real app would go on with: const { io } = await IOBrowserPlatform({ licenseKey, manager });
// (not loaded here: it needs a license key and a live io.Manager).

function authMethod(auth) {
  if (!auth) return "missing";
  if (auth.basic) return "basic (user " + auth.basic.username + ")";
  if (auth.token) return "token";
  if (auth.username) return "username " + auth.username;
  return "none";
}

function show(id, value) {
  document.getElementById(id).textContent = value === undefined ? "(platform default)" : String(value);
}

async function loadManager() {
  if (new URLSearchParams(location.search).has("esm")) {
    const module = await import("/ioconnect/manager.js");
    return { manager: module.default, source: "/ioconnect/manager.js" };
  }
  const response = await fetch("/ioconnect/manager.json", { cache: "no-store" });
  if (!response.ok) throw new Error("GET /ioconnect/manager.json: HTTP " + response.status);
  return { manager: await response.json(), source: "/ioconnect/manager.json" };
}

try {
  const { manager, source } = await loadManager();
  const config = { licenseKey: "test-license-key", manager };
  show("source", source);
  show("url", config.manager.url);
  show("fetchIntervalMS", config.manager.fetchIntervalMS);
  show("tokenRefreshIntervalMS", config.manager.tokenRefreshIntervalMS);
  show("auth", authMethod(config.manager.auth));
  show("requestsTimeout", config.manager.requests && config.manager.requests.timeout);
  show("status", "loaded");
} catch (error) {
  show("status", "error: " + error.message);
}
