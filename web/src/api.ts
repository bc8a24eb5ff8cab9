// Calls to the gateway's REST API with the session's API key, and its errors (google.rpc.Status
// JSON, docs/api.md) turned into a message and per-field violations for the forms.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    // BadRequest field violations by field path as sent ("title", "incident.title").
    readonly violations: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface StatusJson {
  code?: number;
  message?: string;
  details?: Array<{ "@type"?: string; fieldViolations?: Array<{ field?: string; description?: string }> }>;
}

// The error of an answer that is not 2xx, from its body (which may not be JSON: a proxy's page).
export function errorFrom(status: number, body: string): ApiError {
  let parsed: StatusJson | null = null;
  try {
    parsed = JSON.parse(body) as StatusJson;
  } catch {
    parsed = null;
  }
  const violations: Record<string, string> = {};
  for (const detail of parsed?.details ?? []) {
    if (!detail["@type"]?.endsWith("google.rpc.BadRequest")) continue;
    for (const v of detail.fieldViolations ?? []) {
      if (!v.field) continue;
      // "incident.title" and "title" both name the form's "title".
      const field = v.field.replace(/^[a-z_]+\./, "");
      violations[field] = violations[field] ? `${violations[field]}; ${v.description}` : v.description ?? "invalid";
    }
  }
  let message = parsed?.message || `HTTP ${status}`;
  if (status === 401) message = `Not signed in: ${message}`;
  if (status === 403) message = `Your key may not do this: ${message}`;
  return new ApiError(status, message, violations);
}

// A field's violation, whatever casing the service used for its path; for a list field also
// those of its items ("configuration_item_ids[1]": the form has one input for the whole list).
export function violationFor(violations: Record<string, string>, field: string): string | undefined {
  const snake = field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const direct = violations[field] ?? violations[snake];
  if (direct !== undefined) return direct;
  const items = Object.keys(violations)
    .filter((k) => k.startsWith(`${snake}[`) || k.startsWith(`${field}[`))
    .map((k) => `${k.slice(k.indexOf("["))} ${violations[k]}`);
  return items.length ? items.join("; ") : undefined;
}

export class Api {
  constructor(
    private readonly key: string,
    private readonly base = "",
    private readonly onUnauthenticated: () => void = () => {},
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }
  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>("POST", path, body);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>("PATCH", path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.call<T>("DELETE", path);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(this.base + path, {
      method,
      headers: {
        Authorization: `Bearer ${this.key}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      if (response.status === 401) this.onUnauthenticated();
      throw errorFrom(response.status, text);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}
