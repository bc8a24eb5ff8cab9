// The console's entry: sign-in, then the views by the URL's hash (#/queue, #/new[/<kind>],
// #/<collection>/<id>), all live from one event stream (sse.ts) shared by the views: the
// incident service's records and the SLA timer's clocks (sla_cache.ts).
import { render } from "preact";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { Api } from "./api";
import { KINDS, kindOfCollection } from "./kinds";
import type { RecordKind, WorkRecord } from "./model";
import { recordOfEvent, upsert, upsertAll } from "./queue";
import { clearKey, loadKey, saveKey } from "./session";
import { SlaCache } from "./sla_cache";
import { openEventStream, type StreamState } from "./sse";
import { zoneName } from "./time";
import { CreateIncident } from "./views/create";
import { CreateRecord } from "./views/create_record";
import { Queue } from "./views/queue";
import { RecordView } from "./views/record";
import { SignIn } from "./views/signin";
import { WorkRecordView } from "./views/work_record";

type Route = { view: "queue" } | { view: "new"; kind: RecordKind } | { view: "record"; kind: RecordKind; id: string };

function routeOf(hash: string): Route {
  const record = /^#\/(\w+)\/([^/]+)$/.exec(hash);
  const kind = record ? kindOfCollection(record[1]) : null;
  if (record && kind) return { view: "record", kind, id: decodeURIComponent(record[2]) };
  const create = /^#\/new(?:\/(serviceRequest|problem))?$/.exec(hash);
  if (create) return { view: "new", kind: (create[1] as RecordKind | undefined) ?? "incident" };
  return { view: "queue" };
}

const titleOf = (route: Route) =>
  route.view === "queue" ? "Queue" : route.view === "new" ? `New ${KINDS[route.kind].singular.toLowerCase()}` : KINDS[route.kind].singular;

function App() {
  const [key, setKey] = useState<string | null>(() => loadKey(sessionStorage));
  const [route, setRoute] = useState<Route>(() => routeOf(location.hash));
  const [records, setRecords] = useState<Map<string, WorkRecord>>(new Map());
  const [stream, setStream] = useState<StreamState>("connecting");
  // Bumped when the stream is positioned anew: the queue re-reads its list then.
  const [epoch, setEpoch] = useState(0);
  // The SLA clocks of the rows on screen and of the record open, read lazily (sla_cache.ts).
  const sla = useMemo(
    () => new SlaCache((id) => new Api(key ?? "").get<{ clocks?: unknown[] }>(`/v1/incidents/${encodeURIComponent(id)}/slaStatus`).then((r) => r.clocks ?? [])),
    [key],
  );

  const signOut = useCallback(() => {
    clearKey(sessionStorage);
    setKey(null);
    setRecords(new Map());
  }, []);

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
      onUnauthenticated: signOut,
    });
    return stop;
  }, [key, signOut, sla]);

  if (!key) {
    return (
      <SignIn
        onSignIn={(k) => {
          saveKey(sessionStorage, k);
          setKey(k);
        }}
      />
    );
  }
  const api = new Api(key, "", signOut);
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
        </nav>
        <span class="zone">Times in {zoneName()}</span>
        <span class={`live live-${stream}`} role="status" aria-live="polite">
          {stream === "live" ? "Live" : stream === "stopped" ? "Not live" : "Connecting…"}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        {route.view === "queue" && <Queue api={api} records={records} merge={merge} epoch={epoch} sla={sla} />}
        {route.view === "new" && (route.kind === "incident" ? <CreateIncident api={api} merge={merge} /> : <CreateRecord api={api} kind={route.kind} merge={merge} />)}
        {route.view === "record" &&
          (route.kind === "incident" ? (
            <RecordView api={api} id={route.id} records={records} merge={merge} sla={sla} />
          ) : (
            <WorkRecordView key={route.id} api={api} kind={route.kind} id={route.id} records={records} merge={merge} sla={sla} />
          ))}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
