// The console's entry: sign-in (an API key, or the OIDC provider's when the gateway names one),
// then the views by the URL's hash (#/queue, #/new[/<kind>], #/<collection>/<id>, and the views of
// views/routes.tsx), all live from one event stream (sse.ts) shared by the views: the incident
// service's records and the SLA timer's clocks (sla_cache.ts). Every call and the stream carry
// the session's credential as `Authorization: Bearer`.
import { render } from "preact";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { Api } from "./api";
import { KINDS, kindOfCollection } from "./kinds";
import type { RecordKind, WorkRecord } from "./model";
import { endSessionUrl, type OidcConfig, type OidcSession } from "./oidc";
import { completeSignIn, isCallback, loadOidcConfig, redirectUri } from "./oidc_flow";
import { recordOfEvent, upsert, upsertAll } from "./queue";
import { clearSession, loadKey, loadOidcSession, saveKey, saveOidcSession } from "./session";
import { SlaCache } from "./sla_cache";
import { openEventStream, type StreamState } from "./sse";
import { zoneName } from "./time";
import { CreateIncident } from "./views/create";
import { CreateRecord } from "./views/create_record";
import { Queue } from "./views/queue";
import { RecordView } from "./views/record";
import { VIEW_TITLES, View, ViewLinks, viewRouteOf, type ViewRoute } from "./views/routes";
import { SignIn } from "./views/signin";
import { WorkRecordView } from "./views/work_record";

type Route =
  | { view: "queue" }
  | { view: "new"; kind: RecordKind }
  | { view: "record"; kind: RecordKind; id: string }
  | ViewRoute;

function routeOf(hash: string): Route {
  const other = viewRouteOf(hash);
  if (other) return other;
  const record = /^#\/(\w+)\/([^/]+)$/.exec(hash);
  const kind = record ? kindOfCollection(record[1]) : null;
  if (record && kind) return { view: "record", kind, id: decodeURIComponent(record[2]) };
  const create = /^#\/new(?:\/(serviceRequest|problem))?$/.exec(hash);
  if (create) return { view: "new", kind: (create[1] as RecordKind | undefined) ?? "incident" };
  return { view: "queue" };
}

const titleOf = (route: Route): string =>
  route.view === "queue"
    ? "Queue"
    : route.view === "new"
      ? `New ${KINDS[route.kind].singular.toLowerCase()}`
      : route.view === "record"
        ? KINDS[route.kind].singular
        : VIEW_TITLES[route.view];

// The bearer token of the session, and the OIDC session it came from (null: an API key).
interface Credential {
  token: string;
  oidc: OidcSession | null;
}

function storedCredential(): Credential | null {
  const oidc = loadOidcSession(sessionStorage, Date.now());
  if (oidc) return { token: oidc.accessToken, oidc };
  const key = loadKey(sessionStorage);
  return key ? { token: key, oidc: null } : null;
}

const REFUSED = "The gateway no longer accepts your sign-in (expired or revoked): sign in again.";
const EXPIRED = "Your sign-in has expired: sign in again.";

function App() {
  const [credential, setCredential] = useState<Credential | null>(storedCredential);
  const key = credential?.token ?? null;
  const [oidcConfig, setOidcConfig] = useState<OidcConfig | null>(null);
  // Why the user is on the sign-in page again (expired, refused, signed out), or a failed sign-in.
  const [notice, setNotice] = useState("");
  // The provider redirected back: the code is being exchanged.
  const [completing, setCompleting] = useState(isCallback);
  const [route, setRoute] = useState<Route>(() => routeOf(location.hash));
  const [records, setRecords] = useState<Map<string, WorkRecord>>(new Map());
  const [stream, setStream] = useState<StreamState>("connecting");
  // Bumped when the stream is positioned anew: the queue re-reads its list then.
  const [epoch, setEpoch] = useState(0);
  const signOut = useCallback((why: string) => {
    clearSession(sessionStorage);
    setCredential(null);
    setRecords(new Map());
    setNotice(why);
  }, []);
  const refused = useCallback(() => signOut(REFUSED), [signOut]);

  // The SLA clocks of the rows on screen and of the record open, read lazily (sla_cache.ts). A
  // refused sign-in ends the session here as on every other call: these reads come first after
  // a revocation, while the event stream waits for its next check.
  const sla = useMemo(
    () => new SlaCache((id) => new Api(key ?? "", "", refused).get<{ clocks?: unknown[] }>(`/v1/incidents/${encodeURIComponent(id)}/slaStatus`).then((r) => r.clocks ?? [])),
    [key, refused],
  );

  // Sign-out asked for: the provider's session ends too when it offers that (RP-initiated
  // logout); it sends the browser back to the console.
  const userSignOut = () => {
    const oidc = credential?.oidc;
    const endSession = oidc && oidcConfig ? endSessionUrl(oidc, oidcConfig.client_id, redirectUri()) : "";
    signOut("You are signed out.");
    if (endSession) location.assign(endSession);
  };

  useEffect(() => {
    void loadOidcConfig().then(async (config) => {
      setOidcConfig(config);
      if (!isCallback()) return;
      try {
        const session = await completeSignIn(config);
        // Back where the user was before the provider (replaceState fires no hashchange).
        setRoute(routeOf(location.hash));
        saveOidcSession(sessionStorage, session);
        setNotice("");
        setCredential({ token: session.accessToken, oidc: session });
      } catch (error) {
        setNotice((error as Error).message);
      } finally {
        setCompleting(false);
      }
    });
  }, []);

  // A provider's token expires: the user is signed out then, told why, rather than meeting
  // refusals one by one.
  useEffect(() => {
    const oidc = credential?.oidc;
    if (!oidc) return;
    const timer = setTimeout(() => signOut(EXPIRED), Math.max(0, oidc.expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [credential, signOut]);

  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    document.title = `${titleOf(route)} · itsm console`;
    // A new view: focus its heading, so a screen reader announces it and Tab starts there.
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [route, key]);

  useEffect(() => {
    if (!key) return;
    const { stop } = openEventStream({
      url: "/v1/events?types=itsm.incident.v1.*,itsm.sla.v1.*",
      key,
      onMessage: (message) => {
        const record = recordOfEvent(message.data);
        if (record) setRecords((current) => upsert(current, record));
        sla.onEvent(message.data, record?.id ?? null);
      },
      onState: (state) => setStream(state),
      onOpen: (resumed) => {
        if (!resumed) setEpoch((e) => e + 1);
        if (!resumed) sla.reset();
      },
      onReset: () => {
        setEpoch((e) => e + 1);
        sla.reset();
      },
      onUnauthenticated: refused,
    });
    return stop;
  }, [key, refused, sla]);

  if (!key) {
    return (
      <SignIn
        oidc={oidcConfig}
        notice={notice}
        completing={completing}
        onSignIn={(k) => {
          saveKey(sessionStorage, k);
          setNotice("");
          setCredential({ token: k, oidc: null });
        }}
      />
    );
  }
  const api = new Api(key, "", refused);
  const merge = (incoming: WorkRecord[]) => setRecords((current) => upsertAll(current, incoming));
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="bar">
        <span class="brand">itsm console</span>
        <nav aria-label="Main">
          <a href="#/queue" aria-current={route.view === "queue" ? "page" : undefined}>
            Queue
          </a>
          <a href="#/new" aria-current={route.view === "new" ? "page" : undefined}>
            New incident
          </a>
          <ViewLinks api={api} view={route.view} />
        </nav>
        <span class="zone">Times in {zoneName()}</span>
        <span class={`live live-${stream}`} role="status" aria-live="polite">
          {stream === "live" ? "Live" : stream === "stopped" ? "Not live" : stream === "forbidden" ? "No live updates for your role" : "Connecting…"}
        </span>
        {credential?.oidc?.subject && <span class="who">Signed in as {credential.oidc.subject}</span>}
        <button type="button" onClick={userSignOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        {route.view === "queue" && <Queue api={api} records={records} merge={merge} epoch={epoch} sla={sla} />}
        {route.view === "new" && (route.kind === "incident" ? <CreateIncident api={api} merge={merge} /> : <CreateRecord api={api} kind={route.kind} merge={merge} />)}
        {route.view === "record" &&
          (route.kind === "incident" ? (
            <RecordView key={route.id} api={api} id={route.id} records={records} merge={merge} sla={sla} />
          ) : (
            <WorkRecordView key={route.id} api={api} kind={route.kind} id={route.id} records={records} merge={merge} sla={sla} />
          ))}
        {route.view in VIEW_TITLES && <View route={route as ViewRoute} api={api} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
