// The change calendar (GetChangeCalendar): a month or a week in the user's time zone with the
// scheduled changes, the maintenance and blackout windows, and the changes' conflicts marked —
// in words and by a red border, never by colour alone. #/calendar/month/2026-12,
// #/calendar/week/2026-12-05; the arrows move by a month or a week.
import { useState } from "preact/hooks";
import type { Api } from "../api";
import { itemsByDay, localDateOf, monthWeeks, placeInDay, rangeOf, shift, weekOf, type LocalDay } from "../calendar";
import { calendarItems, type ChangeCalendar, type ChangeItem, type WindowItem } from "../change";
import { enumLabel, query } from "../labels";
import { may } from "../access";
import { withLocalTimes, zoneName } from "../time";
import { useCaller } from "./caller";
import { ErrorText, useRead } from "./read";

export type CalendarMode = "month" | "week";
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

function clock(ms: number, zone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(ms));
}
function span(item: { start: number; end: number }, zone: string): string {
  return `${clock(item.start, zone)}–${clock(item.end, zone)}`;
}
const pad = (n: number) => String(n).padStart(2, "0");

function conflictText(item: ChangeItem): string {
  const n = item.change.conflicts?.length ?? 0;
  return n === 0 ? "" : item.conflicted ? `${n} conflict${n === 1 ? "" : "s"}` : `${n} conflict${n === 1 ? "" : "s"}, overridden`;
}

function ChangeLink({ item, zone }: { item: ChangeItem; zone: string }) {
  const conflicts = conflictText(item);
  return (
    <a href={`#/changes/${encodeURIComponent(item.change.id)}`} title={`${item.change.title} (${span(item, zone)})`}>
      {item.change.number} {span(item, zone)} {item.change.title}
      {conflicts && <span class={item.conflicted ? "conflict-mark" : ""}> — {conflicts}</span>}
    </a>
  );
}

function windowLabel(w: WindowItem): string {
  return `${w.blackout ? "Blackout" : "Maintenance"}: ${w.window.name}`;
}

function Month({ weeks, changes, windows, zone }: { weeks: LocalDay[][]; changes: ChangeItem[]; windows: WindowItem[]; zone: string }) {
  const days = weeks.flat();
  const changesOn = itemsByDay(days, changes);
  const windowsOn = itemsByDay(days, windows);
  return (
    <table class="month" id="calendar-grid">
      <caption class="visually-hidden">Changes and windows by day</caption>
      <thead>
        <tr>
          {WEEKDAYS.map((d) => (
            <th key={d} scope="col">
              <abbr title={d}>{d.slice(0, 3)}</abbr>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {weeks.map((week) => (
          <tr key={week[0].date}>
            {week.map((day) => (
              <td key={day.date} class={day.inMonth ? "" : "other"} data-date={day.date}>
                <span class="day">{day.day}</span>
                <ul>
                  {windowsOn.get(day.date)!.map((w) => (
                    <li key={w.key} class={w.blackout ? "w-blackout" : "w-maintenance"} title={`${windowLabel(w)} ${span(w, zone)}`}>
                      {windowLabel(w)}
                    </li>
                  ))}
                  {changesOn.get(day.date)!.map((c) => (
                    <li key={c.key} class={`chg${c.conflicted ? " conflict" : ""}`}>
                      <ChangeLink item={c} zone={zone} />
                    </li>
                  ))}
                </ul>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Week({ days, changes, windows, zone }: { days: LocalDay[]; changes: ChangeItem[]; windows: WindowItem[]; zone: string }) {
  return (
    <div class="week" id="calendar-grid" role="group" aria-label="Changes and windows by hour">
      <div class="head" aria-hidden="true" />
      {days.map((d) => (
        <div key={d.date} class="head">
          {WEEKDAYS[d.weekday - 1].slice(0, 3)} {d.day}
        </div>
      ))}
      <div class="hours" aria-hidden="true">
        {Array.from({ length: 23 }, (_, h) => (
          <span key={h} style={{ top: `${((h + 1) / 24) * 100}%` }}>
            {pad(h + 1)}:00
          </span>
        ))}
      </div>
      {days.map((d) => (
        <section key={d.date} class="col" data-date={d.date} aria-label={`${WEEKDAYS[d.weekday - 1]} ${d.date}`}>
          <ul>
            {placeInDay(d, windows, zone).map((p) => (
              <li
                key={p.item.key}
                class={`item ${p.item.blackout ? "w-blackout" : "w-maintenance"}`}
                style={{ top: `${p.top}%`, height: `${p.height}%`, left: `${(p.lane / p.lanes) * 100}%`, width: `${100 / p.lanes}%` }}
              >
                {windowLabel(p.item)} {span(p.item, zone)}
              </li>
            ))}
            {placeInDay(d, changes, zone).map((p) => (
              <li
                key={p.item.key}
                class={`item chg${p.item.conflicted ? " conflict" : ""}`}
                style={{ top: `${p.top}%`, height: `max(${p.height}%, 3.6em)`, left: `calc(14% + ${(p.lane / p.lanes) * 86}%)`, width: `${86 / p.lanes}%` }}
              >
                <ChangeLink item={p.item} zone={zone} />
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

// "2026-13" or "2026-02-30" in an address is said to be no month or day, rather than read as
// another one (Date would take 2026-13 for January 2027).
function validDate(date: string): boolean {
  const [y, m, d = 1] = date.split("-").map(Number);
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return m >= 1 && m <= 12 && d >= 1 && d <= days;
}

export function ChangeCalendarView({ api, mode, date }: { api: Api; mode: CalendarMode; date?: string }) {
  if (date && !validDate(date)) {
    return (
      <section aria-labelledby="calendar-title">
        <h1 id="calendar-title" tabIndex={-1}>
          Change calendar
        </h1>
        <p class="error" role="alert">
          “{date}” is not a {mode === "month" ? "month (YYYY-MM)" : "day (YYYY-MM-DD)"}. <a href={`#/calendar/${mode}`}>This {mode}</a>
        </p>
      </section>
    );
  }
  return <Calendar api={api} mode={mode} date={date} />;
}

function Calendar({ api, mode, date }: { api: Api; mode: CalendarMode; date?: string }) {
  const caller = useCaller(api);
  const zone = zoneName();
  const today = localDateOf(Date.now(), zone);
  const [y, m, d] = date ? [...date.split("-").map(Number), 1].slice(0, 3) : [today.y, today.m, today.d];
  const weeks = mode === "month" ? monthWeeks(y, m, zone) : [weekOf(y, m, d, zone)];
  const days = weeks.flat();
  const [group, setGroup] = useState("");
  const [ci, setCi] = useState("");
  const [applied, setApplied] = useState({ group: "", ci: "" });
  const range = rangeOf(days);
  const read = useRead(
    () =>
      api.get<ChangeCalendar>(
        `/v1/changeCalendar?${query([
          ["start_time", range.start],
          ["end_time", range.end],
          ["assignment_group", applied.group.trim()],
          ["configuration_item_id", applied.ci.trim()],
        ])}`,
      ),
    [range.start, range.end, applied],
  );
  const { changes, windows } = calendarItems(read.data ?? {});
  const title =
    mode === "month"
      ? new Intl.DateTimeFormat("en-GB", { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, 1)))
      : `Week of ${days[0].date}`;
  const go = (delta: number) => {
    const t = shift(mode, y, m, d, delta);
    location.hash = `#/calendar/${mode}/${mode === "month" ? `${t.y}-${pad(t.m)}` : `${t.y}-${pad(t.m)}-${pad(t.d)}`}`;
  };
  const anchor = mode === "month" ? `${y}-${pad(m)}-01` : days[0].date;
  const conflicted = changes.filter((c) => (c.change.conflicts ?? []).length > 0);
  // A conflict with a window names its id: its name, from the occurrences read.
  const windowNames = new Map(windows.map((w) => [w.window.windowId, w.window.name]));
  return (
    <section aria-labelledby="calendar-title">
      <h1 id="calendar-title" tabIndex={-1}>
        Change calendar: {title}
      </h1>
      {may(caller, "change.create") && (
        <p class="help">
          <a href="#/new/change">New change</a>
        </p>
      )}
      <div class="tabs">
        <button type="button" aria-label={`Previous ${mode}`} onClick={() => go(-1)}>
          ←
        </button>
        <button type="button" aria-label={`Next ${mode}`} onClick={() => go(1)}>
          →
        </button>
        <button type="button" aria-pressed={mode === "month"} onClick={() => (location.hash = `#/calendar/month/${anchor.slice(0, 7)}`)}>
          Month
        </button>
        <button type="button" aria-pressed={mode === "week"} onClick={() => (location.hash = `#/calendar/week/${anchor}`)}>
          Week
        </button>
        <button type="button" aria-pressed="false" onClick={() => (location.hash = `#/calendar/${mode}/${today.y}-${pad(today.m)}${mode === "week" ? `-${pad(today.d)}` : ""}`)}>
          Today
        </button>
      </div>
      <form
        class="filters"
        aria-label="Filter the calendar"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ group, ci });
        }}
      >
        <div class="field">
          <label for="cal-group">Assignment group</label>
          <input id="cal-group" value={group} onInput={(e) => setGroup((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <label for="cal-ci">Configuration item (id or class/name)</label>
          <input id="cal-ci" value={ci} onInput={(e) => setCi((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field">
          <span aria-hidden="true">&nbsp;</span>
          <button type="submit">Filter</button>
        </div>
      </form>
      <ul class="legend" aria-label="Legend">
        <li>
          <span class="swatch w-maintenance" aria-hidden="true" />
          Maintenance window
        </li>
        <li>
          <span class="swatch w-blackout" aria-hidden="true" />
          Blackout window
        </li>
        <li>
          <span class="swatch chg" aria-hidden="true" />
          Change
        </li>
        <li>
          <span class="swatch chg conflict" aria-hidden="true" />
          Change with conflicts
        </li>
        <li>Times in {zone}</li>
      </ul>
      <ErrorText error={read.error} />
      <p class="count" aria-live="polite">
        {read.loading ? "Loading…" : !read.data ? "" : `${changes.length} change${changes.length === 1 ? "" : "s"}, ${windows.length} window occurrence${windows.length === 1 ? "" : "s"}, ${conflicted.length} with conflicts`}
      </p>
      {mode === "month" ? <Month weeks={weeks} changes={changes} windows={windows} zone={zone} /> : <Week days={days} changes={changes} windows={windows} zone={zone} />}
      <h2 id="conflicts-title">Conflicts</h2>
      {conflicted.length === 0 ? (
        <p class="help">No change in this {mode} has a conflict.</p>
      ) : (
        <table aria-labelledby="conflicts-title" id="conflicts">
          <thead>
            <tr>
              <th scope="col">Change</th>
              <th scope="col">Kind</th>
              <th scope="col">With</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {conflicted.flatMap((c) =>
              (c.change.conflicts ?? []).map((k, n) => (
                <tr key={`${c.key}-${n}`}>
                  <td>
                    <a href={`#/changes/${encodeURIComponent(c.change.id)}`}>{c.change.number}</a>
                    {c.change.conflictOverrideReason ? " (overridden)" : ""}
                  </td>
                  <td>{enumLabel(k.kind, "CONFLICT_KIND")}</td>
                  <td>{k.otherNumber || windowNames.get(k.otherId) || k.otherId || "—"}</td>
                  <td>{withLocalTimes(k.reason)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
