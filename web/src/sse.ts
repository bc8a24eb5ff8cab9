// Server-Sent Events over fetch. The browser's EventSource cannot send an Authorization header,
// and the API key must not travel in a URL (logs, history) or a cookie (CSRF): so the stream is
// read with fetch, parsed here as the HTML standard says, and resumed with Last-Event-ID — the
// gateway's position (docs/api.md, "Event streams") — after a drop, which EventSource would
// have done by itself (decision in docs/decisions.md).

export interface SseMessage {
  event: string;
  data: string;
  id: string;
}

// Incremental parser: feed it text as it arrives; it returns the complete messages. `lastEventId`
// follows every id: field, also of messages without data (the gateway's heartbeats move it).
export class SseParser {
  lastEventId = "";
  retryMs: number | null = null;
  private buffer = "";
  private data: string[] = [];
  private event = "";

  feed(text: string): SseMessage[] {
    this.buffer += text;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (!match || (match[0] === "\r" && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === "") {
      const message =
        this.data.length > 0 ? { event: this.event || "message", data: this.data.join("\n"), id: this.lastEventId } : null;
      this.data = [];
      this.event = "";
      return message;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.lastEventId = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }
}

// "forbidden": the caller's roles may not follow these events (403): not retried.
export type StreamState = "connecting" | "live" | "retrying" | "stopped" | "forbidden";

export interface StreamOptions {
  url: string;
  key: string;
  onMessage: (message: SseMessage) => void;
  onState: (state: StreamState, detail?: string) => void;
  // The stream is positioned (its first bytes came): reads made now miss no later event.
  // `resumed`: it continued from a Last-Event-ID, so nothing was missed and no read is needed.
  onOpen?: (resumed: boolean) => void;
  // The position was lost (410, or `event: close` for retention): re-read the records.
  onReset?: () => void;
  onUnauthenticated?: () => void;
}

// The wait before reconnecting after `failures` failed attempts in a row: the server's retry:
// delay, doubled with each failure up to a minute, so that a gateway in trouble is not called
// every few seconds by every open console.
export function reconnectDelay(retryMs: number, failures: number): number {
  return Math.min(retryMs * 2 ** Math.max(0, failures - 1), Math.max(retryMs, 60_000));
}

// Three of the gateway's 15 s heartbeats.
export const SILENT_STREAM_MS = 45_000;

// Reads the stream until `stop()`, reconnecting after the server's retry: delay (backing off
// while attempts fail); a 401 or 403 ends it.
export function openEventStream(options: StreamOptions): { stop: () => void } {
  let stopped = false;
  let controller: AbortController | null = null;
  let lastEventId = "";
  let retryMs = 3000;
  let failures = 0;

  const run = async () => {
    while (!stopped) {
      options.onState(lastEventId ? "retrying" : "connecting");
      const connection = new AbortController();
      controller = connection;
      let silence: ReturnType<typeof setTimeout> | undefined;
      // The gateway sends a heartbeat every 15 s: a connection silent for three of them is dead
      // (a frozen gateway, a proxy holding it), and is opened anew, not shown live.
      const watch = () => {
        clearTimeout(silence);
        silence = setTimeout(() => connection.abort(), SILENT_STREAM_MS);
      };
      try {
        watch();
        const headers: Record<string, string> = { Authorization: `Bearer ${options.key}`, Accept: "text/event-stream" };
        if (lastEventId) headers["Last-Event-ID"] = lastEventId;
        const response = await fetch(options.url, { headers, signal: connection.signal, cache: "no-store" });
        if (response.status === 401) {
          options.onUnauthenticated?.();
          break;
        }
        if (response.status === 403) {
          options.onState("forbidden");
          return;
        }
        if (response.status === 410) {
          lastEventId = "";
          options.onReset?.();
          continue;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        const parser = new SseParser();
        parser.lastEventId = lastEventId;
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let opened = false;
        watch();
        for (;;) {
          const { done, value } = await reader.read();
          watch();
          if (done) break;
          if (!opened) {
            opened = true;
            failures = 0;
            options.onState("live");
            options.onOpen?.(Boolean(lastEventId));
          }
          for (const message of parser.feed(decoder.decode(value, { stream: true }))) {
            if (message.event === "close") {
              if (message.data.includes("retention")) {
                parser.lastEventId = "";
                options.onReset?.();
              }
              continue;
            }
            options.onMessage(message);
          }
          lastEventId = parser.lastEventId;
          if (parser.retryMs !== null) retryMs = parser.retryMs;
        }
      } catch (error) {
        if (stopped) break;
        failures++;
        const silent = error instanceof DOMException && error.name === "AbortError";
        options.onState("retrying", silent ? "no heartbeat for 45 s" : String(error));
      } finally {
        clearTimeout(silence);
      }
      if (stopped) break;
      await new Promise((resolve) => setTimeout(resolve, reconnectDelay(retryMs, failures)));
    }
    options.onState("stopped");
  };
  void run();
  return {
    stop: () => {
      stopped = true;
      controller?.abort();
    },
  };
}
