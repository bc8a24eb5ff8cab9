// A small OpenID Connect provider for the console's end-to-end test only (console_e2e_test starts
// it before the suite; never for real use): discovery, JWKS, an authorisation endpoint with a
// login form, a token endpoint for the authorisation-code flow with PKCE (S256 only, codes used
// once and short-lived, the redirect URI checked), RS256 access tokens with iss, aud, sub, exp
// and the roles claim the gateway maps onto the suite's roles, ID tokens with the nonce, and an
// end-session endpoint. Its key is made at start and its public half written to --jwks-file,
// which the gateway reads (oidc_jwks_file). Only node:http and node:crypto: no npm package.
//
// usage: node web/tests/oidc_provider.mjs --port <p> --jwks-file <file> [--ready-file <file>]
//          [--client-id itsm-console] [--audience itsm] [--redirect-uri <uri>]...
//          [--user <name>:<password>:<role>[,<role>...]]... [--token-seconds 300]
// The issuer is http://127.0.0.1:<port>; it is printed, and written to --ready-file when listening.
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";

function options(argv) {
  const o = { port: 0, jwksFile: "", readyFile: "", clientId: "itsm-console", audience: "itsm", redirectUris: [], users: new Map(), tokenSeconds: 300 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1] ?? ""];
    if (name === "--port") o.port = Number(value);
    else if (name === "--jwks-file") o.jwksFile = value;
    else if (name === "--ready-file") o.readyFile = value;
    else if (name === "--client-id") o.clientId = value;
    else if (name === "--audience") o.audience = value;
    else if (name === "--redirect-uri") o.redirectUris.push(value);
    else if (name === "--token-seconds") o.tokenSeconds = Number(value);
    else if (name === "--user") {
      const [user, password, roles] = value.split(":");
      o.users.set(user, { password, roles: (roles ?? "").split(",").filter(Boolean) });
    } else throw new Error(`unknown option ${name}`);
  }
  if (!o.jwksFile) throw new Error("--jwks-file is required");
  if (o.users.size === 0) o.users.set("alice", { password: "alice-password", roles: ["agent"] });
  return o;
}

const o = options(process.argv.slice(2));
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const kid = randomBytes(8).toString("hex");
const b64url = (data) => Buffer.from(data).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

function jwt(claims) {
  const input = `${b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

const codes = new Map(); // code -> { clientId, redirectUri, challenge, nonce, user, expires }
let issuer = "";

function send(res, status, body, headers = {}) {
  const json = typeof body !== "string";
  res.writeHead(status, {
    "Content-Type": json ? "application/json" : "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    // The console fetches discovery and the token endpoint from the gateway's origin.
    "Access-Control-Allow-Origin": "*",
    ...headers,
  });
  res.end(json ? JSON.stringify(body) : body);
}
const oauthError = (res, status, error, description) => send(res, status, { error, error_description: description });
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => {
      body += chunk;
      if (body.length > 65536) reject(new Error("body too large"));
    });
    req.on("end", () => resolve(new URLSearchParams(body)));
    req.on("error", reject);
  });
}

// The checks of an authorisation request, shared by the form (GET) and its submission (POST).
function checkAuthorize(q) {
  if (q.get("client_id") !== o.clientId) return `unknown client_id "${q.get("client_id")}"`;
  const redirect = q.get("redirect_uri") ?? "";
  if (o.redirectUris.length > 0 ? !o.redirectUris.includes(redirect) : !/^http:\/\/127\.0\.0\.1:\d+\/console\/$/.test(redirect)) {
    return `redirect_uri "${redirect}" is not registered`;
  }
  if (q.get("response_type") !== "code") return "response_type must be code";
  if (q.get("code_challenge_method") !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(q.get("code_challenge") ?? "")) return "PKCE with S256 is required";
  if (!q.get("state")) return "state is required";
  return "";
}

function loginPage(q, error = "") {
  const hidden = [...q].filter(([k]) => k !== "username" && k !== "password").map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`);
  return `<!doctype html><html lang="en"><title>Test provider: sign in</title><main><h1>Test provider</h1>
<form method="post" action="/authorize">${hidden.join("")}
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ""}
<label for="username">User name</label> <input id="username" name="username" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Continue</button></form></main></html>`;
}

async function handle(req, res) {
  const url = new URL(req.url, issuer);
  const path = url.pathname;
  if (req.method === "OPTIONS") {
    return send(res, 204, "", { "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Allow-Headers": "Content-Type, Accept" });
  }
  if (req.method === "GET" && path === "/.well-known/openid-configuration") {
    return send(res, 200, {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      end_session_endpoint: `${issuer}/logout`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code"],
      code_challenge_methods_supported: ["S256"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["none"],
    });
  }
  if (req.method === "GET" && path === "/jwks") return send(res, 200, jwks());
  if (path === "/authorize") {
    const q = req.method === "POST" ? await readForm(req) : url.searchParams;
    const problem = checkAuthorize(q);
    // Never redirect to an unchecked URI: the error is shown here.
    if (problem) return send(res, 400, `<!doctype html><title>Refused</title><p>${escapeHtml(problem)}</p>`);
    if (req.method !== "POST") return send(res, 200, loginPage(q));
    const user = o.users.get(q.get("username") ?? "");
    if (!user || user.password !== q.get("password")) return send(res, 200, loginPage(q, "Wrong user name or password."));
    const code = randomBytes(24).toString("base64url");
    codes.set(code, {
      clientId: q.get("client_id"),
      redirectUri: q.get("redirect_uri"),
      challenge: q.get("code_challenge"),
      nonce: q.get("nonce") ?? "",
      scope: q.get("scope") ?? "openid",
      user: q.get("username"),
      expires: now() + 60,
    });
    const back = new URL(q.get("redirect_uri"));
    back.searchParams.set("code", code);
    back.searchParams.set("state", q.get("state"));
    res.writeHead(303, { Location: back.toString(), "Cache-Control": "no-store" });
    return res.end();
  }
  if (req.method === "POST" && path === "/token") {
    const q = await readForm(req);
    if (q.get("grant_type") !== "authorization_code") return oauthError(res, 400, "unsupported_grant_type", "authorization_code only");
    const code = q.get("code") ?? "";
    const grant = codes.get(code);
    // Used once: gone at the first exchange, whatever its outcome.
    codes.delete(code);
    if (!grant || grant.expires < now()) return oauthError(res, 400, "invalid_grant", "unknown, used or expired code");
    if (q.get("client_id") !== grant.clientId) return oauthError(res, 400, "invalid_grant", "the code was issued to another client");
    if (q.get("redirect_uri") !== grant.redirectUri) return oauthError(res, 400, "invalid_grant", "redirect_uri differs from the authorisation request's");
    const verifier = q.get("code_verifier") ?? "";
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
      return oauthError(res, 400, "invalid_grant", "code_verifier does not match the code_challenge");
    }
    const iat = now();
    const exp = iat + o.tokenSeconds;
    const roles = o.users.get(grant.user).roles;
    return send(res, 200, {
      token_type: "Bearer",
      expires_in: o.tokenSeconds,
      scope: grant.scope,
      access_token: jwt({ iss: issuer, aud: o.audience, sub: grant.user, iat, exp, roles, client_id: grant.clientId, scope: grant.scope }),
      id_token: jwt({ iss: issuer, aud: grant.clientId, sub: grant.user, iat, exp, nonce: grant.nonce }),
    });
  }
  if (req.method === "GET" && path === "/logout") {
    // RP-initiated logout: back to the console (a real provider checks the URI is registered).
    const back = url.searchParams.get("post_logout_redirect_uri") ?? "";
    if (!/^http:\/\/127\.0\.0\.1:\d+\/console\/$/.test(back) && !o.redirectUris.includes(back)) {
      return send(res, 400, "<!doctype html><title>Refused</title><p>unregistered post_logout_redirect_uri</p>");
    }
    res.writeHead(303, { Location: back, "Cache-Control": "no-store" });
    return res.end();
  }
  // For the test's refusals: a token with the claims asked for, signed with the provider's key
  // (an expired one, a wrong audience). Test-only, like the rest of this file.
  if (req.method === "POST" && path === "/test/mint") {
    const claims = JSON.parse(new URLSearchParams(await readForm(req)).get("claims") ?? "{}");
    return send(res, 200, { token: jwt({ iss: issuer, aud: o.audience, ...claims }) });
  }
  return send(res, 404, { error: "not_found" });
}

function jwks() {
  return { keys: [{ ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }] };
}

function writeAtomically(file, text) {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => oauthError(res, 400, "invalid_request", String(error.message)));
});
server.listen(o.port, "127.0.0.1", () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  writeAtomically(o.jwksFile, JSON.stringify(jwks()));
  if (o.readyFile) writeAtomically(o.readyFile, issuer);
  console.log(`test OIDC provider: ${issuer} (client ${o.clientId}, audience ${o.audience})`);
});
// Open keep-alive connections would hold server.close() up: nothing here needs a clean close.
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
