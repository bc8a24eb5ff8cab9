// The supplier service's REST shapes the console reads (proto3 JSON of
// proto/itsm/supplier/v1/supplier.proto) and how its figures read (pure: unit-tested).
import { duration, durationMs } from "./time";

export interface Supplier {
  id: string;
  number?: string;
  name?: string;
  category?: string;
  status?: string;
  description?: string;
  contacts?: Array<{ name?: string; role?: string; email?: string; phone?: string }>;
  assignmentGroups?: string[];
  services?: string[];
  riskRating?: string;
  nextReviewDate?: string;
  reviewTimeZone?: string;
  createTime?: string;
  updateTime?: string;
  version?: string;
}
export interface Money {
  currency?: string;
  minorUnits?: string;
}
export interface Contract {
  id: string;
  number?: string;
  supplierId?: string;
  title?: string;
  type?: string;
  state?: string;
  startDate?: string;
  endDate?: string;
  timeZone?: string;
  value?: Money;
  paymentSchedule?: string;
  noticePeriod?: { months?: number; days?: number };
  renewalKind?: string;
  renewalTerm?: { months?: number; days?: number };
  renewalCount?: number;
  services?: string[];
}
export interface Deadline {
  recordId?: string;
  supplierId?: string;
  kind?: string;
  leadDays?: number;
  deadlineTime?: string;
  dueTime?: string;
}
export interface Review {
  id: string;
  reviewDate?: string;
  participants?: string[];
  findings?: string;
  actions?: Array<{ description?: string; owner?: string; dueDate?: string }>;
  recordedBy?: string;
}
export interface ScorecardPeriod {
  month?: string;
  incidents?: string;
  responded?: string;
  responseP50?: string;
  responseP90?: string;
  resolved?: string;
  resolutionP50?: string;
  resolutionP90?: string;
  reopened?: string;
  reopenRateBp?: number;
  ucClocksMet?: string;
  ucClocksBreached?: string;
  ucComplianceBp?: number;
  causedIncidents?: string;
}
export interface Scorecard {
  supplier?: Supplier;
  periods?: ScorecardPeriod[];
  trend?: ScorecardPeriod;
  total?: ScorecardPeriod;
}

// Basis points as a percentage ("12.5 %"); -1 (no clock completed) and absent as "—".
export function basisPoints(bp: number | undefined): string {
  if (bp === undefined || bp < 0) return "—";
  return `${(bp / 100).toFixed(bp % 100 === 0 ? 0 : bp % 10 === 0 ? 1 : 2)} %`;
}

// A proto Duration for people ("2h 05m"); zero or absent as "—" (nothing measured), under a
// second as "< 1s" (an automated first response), not "0m 00s".
export function durationText(json: string | undefined): string {
  const ms = durationMs(json);
  if (!ms) return "—";
  return ms < 1000 ? "< 1s" : duration(ms);
}

// Digits after the decimal point of the currencies ISO 4217 does not give 2 (as itsmctl's
// money.cc): the minor unit of JPY is the yen, of KWD a thousandth, of CLF a ten-thousandth.
const MINOR_DIGITS: Record<string, number> = {
  ...Object.fromEntries(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"].map((c) => [c, 0])),
  ...Object.fromEntries(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"].map((c) => [c, 3])),
  CLF: 4,
  UYW: 4,
};

// Money in its minor unit as the currency is written ("EUR 12,000.00", "JPY 12,000"): int64 as
// a string, so the digits are split, never parsed into a float.
export function moneyText(m: Money | undefined, locale = "en-GB"): string {
  if (!m?.currency) return "—";
  const places = MINOR_DIGITS[m.currency] ?? 2;
  const minor = m.minorUnits ?? "0";
  const negative = minor.startsWith("-");
  const digits = (negative ? minor.slice(1) : minor).padStart(places + 1, "0");
  const whole = BigInt(digits.slice(0, digits.length - places)).toLocaleString(locale);
  const fraction = places > 0 ? `.${digits.slice(digits.length - places)}` : "";
  return `${negative ? "−" : ""}${m.currency} ${whole}${fraction}`;
}

// "3 months", "1 month 15 days", "—".
export function periodText(p: { months?: number; days?: number } | undefined): string {
  const parts: string[] = [];
  if (p?.months) parts.push(`${p.months} month${p.months === 1 ? "" : "s"}`);
  if (p?.days) parts.push(`${p.days} day${p.days === 1 ? "" : "s"}`);
  return parts.join(" ") || "—";
}

// Deadlines still ahead first (soonest first), then those passed (most recent first): what
// needs doing comes before what happened.
export function orderDeadlines(deadlines: Deadline[], now: number): Deadline[] {
  const t = (d: Deadline) => Date.parse(d.deadlineTime ?? d.dueTime ?? "") || 0;
  const ahead = deadlines.filter((d) => t(d) >= now).sort((a, b) => t(a) - t(b));
  const past = deadlines.filter((d) => t(d) < now).sort((a, b) => t(b) - t(a));
  return [...ahead, ...past];
}

export interface MonthBars {
  month: string;
  incidents: number;
  resolved: number;
}

// The scorecard chart's data: incidents and resolutions per month (int64 strings as numbers)
// and the top of its scale, a "nice" number (1, 2, 5 × 10^n) at or above the largest count, so
// gridlines fall on round values.
export function scorecardBars(periods: ScorecardPeriod[]): { bars: MonthBars[]; top: number } {
  const bars = periods.map((p) => ({ month: p.month ?? "", incidents: Number(p.incidents ?? 0), resolved: Number(p.resolved ?? 0) }));
  const largest = Math.max(1, ...bars.flatMap((b) => [b.incidents, b.resolved]));
  let top = 1;
  for (let scale = 1; ; scale *= 10) {
    const nice = [1, 2, 5].map((f) => f * scale).find((n) => n >= largest);
    if (nice !== undefined) {
      top = nice;
      break;
    }
  }
  return { bars, top };
}
