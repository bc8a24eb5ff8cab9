// A read of the API for a view: its result, its error (role="alert") and whether it is loading.
// The answer of a read superseded by a newer one (deps changed, view left) is dropped.
import { useEffect, useState } from "preact/hooks";

export function useRead<T>(read: () => Promise<T>, deps: unknown[]): { data: T | null; error: string; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    read()
      .then((d) => {
        if (!current) return;
        setData(d);
        setError("");
      })
      .catch((e: Error) => current && setError(e.message))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}

// A list read a page at a time: the first page whenever `deps` change, the next one at each
// more(). `page(token)` reads the page after `token` ("" for the first).
export function usePages<T>(
  page: (token: string) => Promise<{ items: T[]; next: string }>,
  deps: unknown[],
): { rows: T[]; error: string; loading: boolean; loaded: boolean; hasMore: boolean; more: () => Promise<void> } {
  const [later, setLater] = useState<T[]>([]);
  const [token, setToken] = useState("");
  const first = useRead(async () => {
    const p = await page("");
    setLater([]);
    setToken(p.next);
    return p.items;
  }, deps);
  const more = async () => {
    const p = await page(token);
    setLater((m) => [...m, ...p.items]);
    setToken(p.next);
  };
  return { rows: [...(first.data ?? []), ...later], error: first.error, loading: first.loading, loaded: first.data !== null, hasMore: token !== "", more };
}

export function ErrorText({ error }: { error: string }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}
