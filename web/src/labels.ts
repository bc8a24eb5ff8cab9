// Proto enum names as people read them: "LIFECYCLE_STATUS_IN_BUILD" -> "In build". The prefix
// is the enum's own (every value carries it, buf style), so it is cut whatever the enum.
export function enumLabel(value: string | undefined, prefix: string): string {
  if (!value || value.endsWith("_UNSPECIFIED")) return "—";
  const words = value.replace(new RegExp(`^${prefix}_`), "").toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// A query string from a list of pairs; repeated keys stay repeated (the gateway's convention for
// repeated fields), empty values are left out (an empty filter means "all").
export function query(pairs: Array<[string, string | number | undefined]>): string {
  const q = new URLSearchParams();
  for (const [k, v] of pairs) if (v !== undefined && v !== "") q.append(k, String(v));
  return q.toString();
}
