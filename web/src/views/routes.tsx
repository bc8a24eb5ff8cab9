// The routes and navigation of the CMDB, change, service-level and supplier views, kept apart
// from main.tsx (which owns sign-in, the queue and the records) so each side grows on its own.
import type { ComponentChildren } from "preact";
import { type Action, may, readsSharedViews } from "../access";
import type { Api } from "../api";
import { Baselines } from "./baselines";
import { CiView } from "./ci";
import { ChangeCalendarView, type CalendarMode } from "./change_calendar";
import { ChangeRecord } from "./change_record";
import { useCaller } from "./caller";
import { CmdbSearch } from "./cmdb_search";
import { CreateChange } from "./create_change";
import { CreateCi } from "./create_ci";
import { ServiceLevels } from "./service_levels";
import { SupplierView } from "./supplier";
import { Suppliers } from "./suppliers";

export type ViewRoute =
  | { view: "cmdb" }
  | { view: "ci"; id: string }
  | { view: "newCi" }
  | { view: "baselines"; name?: string }
  | { view: "calendar"; mode: CalendarMode; date?: string }
  | { view: "change"; id: string }
  | { view: "newChange" }
  | { view: "serviceLevels" }
  | { view: "suppliers" }
  | { view: "supplier"; id: string };

const PATTERNS: Array<[RegExp, (m: RegExpExecArray) => ViewRoute]> = [
  [/^#\/cmdb$/, () => ({ view: "cmdb" })],
  [/^#\/new\/ci$/, () => ({ view: "newCi" })],
  [/^#\/new\/change$/, () => ({ view: "newChange" })],
  [/^#\/cis\/([^/]+)$/, (m) => ({ view: "ci", id: decodeURIComponent(m[1]) })],
  [/^#\/baselines(?:\/([^/]+))?$/, (m) => ({ view: "baselines", name: m[1] ? decodeURIComponent(m[1]) : undefined })],
  [/^#\/calendar(?:\/(month|week)(?:\/(\d{4}-\d{2}(?:-\d{2})?))?)?$/, (m) => ({ view: "calendar", mode: (m[1] as CalendarMode) ?? "month", date: m[2] })],
  [/^#\/changes\/([^/]+)$/, (m) => ({ view: "change", id: decodeURIComponent(m[1]) })],
  [/^#\/service-levels$/, () => ({ view: "serviceLevels" })],
  [/^#\/suppliers$/, () => ({ view: "suppliers" })],
  [/^#\/suppliers\/([^/]+)$/, (m) => ({ view: "supplier", id: decodeURIComponent(m[1]) })],
];

// The route of a hash, or null when it is not one of these views.
export function viewRouteOf(hash: string): ViewRoute | null {
  for (const [pattern, route] of PATTERNS) {
    const m = pattern.exec(hash);
    if (m) return route(m);
  }
  return null;
}

export const VIEW_TITLES: Record<ViewRoute["view"], string> = {
  cmdb: "Configuration items",
  ci: "Configuration item",
  newCi: "New configuration item",
  baselines: "Baselines",
  calendar: "Change calendar",
  change: "Change",
  newChange: "New change",
  serviceLevels: "Service levels",
  suppliers: "Suppliers",
  supplier: "Supplier",
};

// The navigation's links, and the views each one stands for (aria-current).
export const VIEW_NAV: Array<{ href: string; label: string; views: Array<ViewRoute["view"]> }> = [
  { href: "#/cmdb", label: "CMDB", views: ["cmdb", "ci", "newCi", "baselines"] },
  { href: "#/calendar", label: "Changes", views: ["calendar", "change", "newChange"] },
  { href: "#/service-levels", label: "Service levels", views: ["serviceLevels"] },
  { href: "#/suppliers", label: "Suppliers", views: ["suppliers", "supplier"] },
];

// The navigation's links to those views, for a caller who may read them.
export function ViewLinks({ api, view }: { api: Api; view: string }) {
  const caller = useCaller(api);
  if (!readsSharedViews(caller)) return null;
  return (
    <>
      {VIEW_NAV.map((n) => (
        <a key={n.href} href={n.href} aria-current={(n.views as string[]).includes(view) ? "page" : undefined}>
          {n.label}
        </a>
      ))}
    </>
  );
}

// A write's page opened by its address: its form only for roles that may make the write (the
// service would refuse it); others are told so rather than shown a form that cannot work.
function ForRoles({ api, action, what, children }: { api: Api; action: Action; what: string; children: ComponentChildren }) {
  const caller = useCaller(api);
  if (caller === undefined) return <p class="help">Loading…</p>;
  if (!may(caller, action)) {
    return (
      <section>
        <h1 tabIndex={-1}>Not for your role</h1>
        <p class="error" role="alert">
          Your roles may not {what}.
        </p>
      </section>
    );
  }
  return <>{children}</>;
}

export function View({ route, api }: { route: ViewRoute; api: Api }) {
  switch (route.view) {
    case "cmdb":
      return <CmdbSearch api={api} />;
    case "ci":
      return <CiView key={route.id} api={api} id={route.id} />;
    case "newCi":
      return (
        <ForRoles api={api} action="ci.create" what="create configuration items">
          <CreateCi api={api} />
        </ForRoles>
      );
    case "newChange":
      return (
        <ForRoles api={api} action="change.create" what="raise changes">
          <CreateChange api={api} />
        </ForRoles>
      );
    case "baselines":
      return <Baselines key={route.name ?? ""} api={api} name={route.name} />;
    case "calendar":
      return <ChangeCalendarView api={api} mode={route.mode} date={route.date} />;
    case "change":
      return <ChangeRecord key={route.id} api={api} id={route.id} />;
    case "serviceLevels":
      return <ServiceLevels api={api} />;
    case "suppliers":
      return <Suppliers api={api} />;
    case "supplier":
      return <SupplierView key={route.id} api={api} id={route.id} />;
  }
}
