// A read of the API for a view: its result, its error (role="alert") and whether it is loading.
// The answer of a read superseded by a newer one (deps changed, view left) is dropped. A failed
// read of other deps (a filter applied, another month) leaves no data shown: what was read for
// the old ones would pass for the answer to the new; a failed re-read of the same (reload) keeps
// what was read, beside its error.
import { useEffect, useRef, useState } from "preact/hooks";

export function useRead<T>(read: () => Promise<T>, deps: unknown[]): { data: T | null; error: string; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const dataDeps = useRef("");
  useEffect(() => {
    let current = true;
    const asked = JSON.stringify(deps);
    setLoading(true);
    read()
      .then((d) => {
        if (!current) return;
        setData(d);
        dataDeps.current = asked;
        setError("");
      })
      .catch((e: Error) => {
        if (!current) return;
        setError(e.message);
        if (dataDeps.current !== asked) setData(null);
      })
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}

// A list read a page at a time: the first page whenever `deps` change, the next one at each
// more() (one at a time: a second click while a page is on its way reads nothing twice).
// `page(token)` reads the page after `token` ("" for the first); a failed page is in `error`.
export function usePages<T>(
  page: (token: string) => Promise<{ items: T[]; next: string }>,
  deps: unknown[],
): { rows: T[]; error: string; loading: boolean; loaded: boolean; hasMore: boolean; busy: boolean; more: () => Promise<void> } {
  const [later, setLater] = useState<T[]>([]);
  const [token, setToken] = useState("");
  const [moreError, setMoreError] = useState("");
  const [busy, setBusy] = useState(false);
  const reading = useRef(false);
  // Which list the pages belong to: a page read for a list since replaced (deps changed) is
  // dropped, not appended to the new one.
  const generation = useRef(0);
  const first = useRead(async () => {
    const mine = ++generation.current;
    setLater([]);
    setToken("");
    setMoreError("");
    const p = await page("");
    if (mine === generation.current) setToken(p.next);
    return p.items;
  }, deps);
  const more = async () => {
    if (reading.current) return;
    reading.current = true;
    setBusy(true);
    const mine = generation.current;
    try {
      const p = await page(token);
      if (mine !== generation.current) return;
      setLater((m) => [...m, ...p.items]);
      setToken(p.next);
      setMoreError("");
    } catch (e) {
      if (mine === generation.current) setMoreError((e as Error).message);
    } finally {
      reading.current = false;
      setBusy(false);
    }
  };
  return { rows: [...(first.data ?? []), ...later], error: first.error || moreError, loading: first.loading, loaded: first.data !== null, hasMore: token !== "", busy, more };
}

export function ErrorText({ error }: { error: string }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}
