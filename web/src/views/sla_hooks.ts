// Hooks shared by the views that show SLA clocks: re-render when the cache changes, and a
// clock that ticks each second for the countdowns.
import { useEffect, useState } from "preact/hooks";
import type { SlaCache } from "../sla_cache";

export function useSlaCache(sla: SlaCache | null): void {
  const [, setVersion] = useState(0);
  useEffect(() => sla?.subscribe(() => setVersion((v) => v + 1)), [sla]);
}

export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}
