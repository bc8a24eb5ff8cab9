// The console's OIDC sign-in end to end (run by e2e.mjs when ITSM_OIDC_ISSUER is set): Chromium
// signs in through the test provider (oidc_provider.mjs, which the gateway trusts through
// oidc_issuer and oidc_jwks_file), with the console's Content-Security-Policy in force; works an
// incident whose history names the provider's subject; signs out at the provider; and tokens
// that are tampered with, expired or for another audience are refused, by the gateway and, in
// the browser, with a message.
// env: ITSM_OIDC_ISSUER, ITSM_OIDC_USER (name:password), [ITSM_OIDC_PROVIDER_NAME]
import assert from "node:assert/strict";

export async function oidcFlow({ browser, gateway, step, screenshot }) {
  const issuer = process.env.ITSM_OIDC_ISSUER;
  const [user, password] = (process.env.ITSM_OIDC_USER || "alice:alice-password").split(":");
  const providerName = process.env.ITSM_OIDC_PROVIDER_NAME || new URL(issuer).host;
  const unique = Date.now().toString(36);

  const status = async (token) => (await fetch(`${gateway}/v1/incidents?page.page_size=1`, { headers: { Authorization: `Bearer ${token}` } })).status;
  const mint = async (claims) => {
    const response = await fetch(`${issuer}/test/mint`, { method: "POST", body: new URLSearchParams({ claims: JSON.stringify(claims) }) });
    return (await response.json()).token;
  };

  // No bypassCSP here: the page's own policy must let it reach the provider.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: "Europe/Berlin", locale: "en-GB" });
  const page = await context.newPage();
  const violations = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });

  step("OIDC: an answer on the redirect URI that this tab did not ask for is refused");
  await page.goto(`${gateway}/console/?code=stolen&state=forged`);
  await page.getByRole("alert").filter({ hasText: "No sign-in was started" }).waitFor();
  assert.doesNotMatch(page.url(), /code=/, "the query is taken off the address bar");

  // From the console at `hash` (a link the user opened), back to that view afterwards.
  const signInWithProvider = async (hash = "", heading = "Queue") => {
    await page.goto(`${gateway}/console/${hash}`);
    const button = page.getByRole("button", { name: `Sign in with ${providerName}` });
    await button.waitFor();
    await screenshot(page, "oidc-sign-in");
    await button.click();
    await page.waitForURL((url) => url.toString().startsWith(`${issuer}/authorize`));
    const authorize = new URL(page.url()).searchParams;
    assert.equal(authorize.get("code_challenge_method"), "S256");
    assert.equal(authorize.get("redirect_uri"), `${gateway}/console/`);
    await page.getByLabel("User name").fill(user);
    await page.getByLabel("Password").fill(password);
    const [back] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith(`${gateway}/console/?code=`)),
      page.getByRole("button", { name: "Continue" }).click(),
    ]);
    const code = new URL(back.url()).searchParams.get("code");
    await page.getByRole("heading", { level: 1, name: heading }).waitFor();
    return code;
  };

  step(`OIDC: "Sign in with ${providerName}", the provider's login form, back to the queue`);
  await page.clock.install();
  const code = await signInWithProvider();
  assert.equal(page.url(), `${gateway}/console/`, "no code or state left in the address bar");
  await page.getByText(`Signed in as ${user}`).waitFor();
  await page.getByText("Live", { exact: true }).waitFor();
  step("OIDC: signed in; the event stream is live with the same bearer token");
  const stored = await page.evaluate(() => ({ local: localStorage.length, session: JSON.parse(sessionStorage.getItem("itsm.console.oidc")), keys: Object.keys(sessionStorage) }));
  assert.equal(stored.local, 0, "nothing in localStorage");
  assert.deepEqual(stored.keys, ["itsm.console.oidc"], "the pending sign-in (verifier, state) is gone");
  const token = stored.session.accessToken;
  assert.equal(await status(token), 200, "the gateway accepts the provider's token");
  const reuse = await fetch(`${issuer}/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: `${gateway}/console/`, client_id: "itsm-console", code_verifier: "x".repeat(43) }),
  });
  assert.equal(reuse.status, 400, "a code is exchanged once");
  step("OIDC: token in sessionStorage only; the code cannot be exchanged again");

  step("OIDC: an incident created is the provider's subject's in its history");
  await page.getByRole("link", { name: "New incident" }).click();
  const title = `OIDC-made ${unique}`;
  await page.getByLabel("Title (required)").fill(title);
  await page.getByRole("button", { name: "Create incident" }).click();
  await page.getByRole("heading", { level: 1, name: new RegExp(title) }).waitFor();
  const created = page.locator("#history tbody tr", { hasText: "create" }).first();
  await created.waitFor();
  const row = await created.innerText();
  assert.match(row, new RegExp(`\\b${user}\\b`), `the actor is the subject: ${row}`);
  step(`history: ${row.replace(/\s+/g, " ").slice(0, 120)}`);
  await screenshot(page, "oidc-incident");

  step("OIDC: a token the gateway refuses (tampered with) signs the user out with a message");
  await page.evaluate(() => {
    const s = JSON.parse(sessionStorage.getItem("itsm.console.oidc"));
    const [h, p, sig] = s.accessToken.split(".");
    const claims = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
    claims.roles = ["admin"];
    s.accessToken = [h, btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), sig].join(".");
    sessionStorage.setItem("itsm.console.oidc", JSON.stringify(s));
  });
  await page.reload();
  await page.getByRole("alert").filter({ hasText: "no longer accepts" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  step("OIDC: the gateway refuses tampered, expired and other-audience tokens");
  const [h, p, sig] = token.split(".");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  const tampered = [h, Buffer.from(JSON.stringify({ ...claims, sub: "mallory" })).toString("base64url"), sig].join(".");
  const t = Math.floor(Date.now() / 1000);
  assert.equal(await status(await mint({ sub: user, roles: ["agent"], iat: t, exp: t + 300 })), 200, "a good token (the control)");
  assert.equal(await status(tampered), 401, "tampered");
  assert.equal(await status(await mint({ sub: user, roles: ["agent"], iat: t - 7200, exp: t - 3600 })), 401, "expired");
  assert.equal(await status(await mint({ sub: user, roles: ["agent"], aud: "another-api", iat: t, exp: t + 300 })), 401, "another audience");

  step("OIDC: sign-out clears the tab and ends the provider's session");
  await signInWithProvider();
  const [logout] = await Promise.all([
    page.waitForRequest((r) => r.url().startsWith(`${issuer}/logout`)),
    page.getByRole("button", { name: "Sign out" }).click(),
  ]);
  const logoutUrl = new URL(logout.url());
  assert.ok(logoutUrl.searchParams.get("id_token_hint"), "id_token_hint sent");
  await page.waitForURL(`${gateway}/console/`);
  await page.getByRole("heading", { name: "Sign in to the itsm console" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0);

  // Last: the page's clock runs ahead from here on.
  await signInWithProvider("#/new", "New incident");
  assert.equal(page.url(), `${gateway}/console/#/new`, "back on the view the user had opened");
  step("OIDC: the token's expiry signs the user out with a message");
  await page.clock.fastForward((await page.evaluate(() => JSON.parse(sessionStorage.getItem("itsm.console.oidc")).expiresAt)) - Date.now() + 1000);
  await page.getByRole("alert").filter({ hasText: "expired" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);

  assert.deepEqual(violations, [], "no Content-Security-Policy violation");
  await context.close();
}
