// The caller of this session (GET /v1/session: subject and roles) for a view that shows only
// the actions the roles allow (access.ts): undefined while it is read, null when it cannot be.
import { useEffect, useState } from "preact/hooks";
import type { Caller } from "../access";
import type { Api } from "../api";

export function useCaller(api: Api): Caller | null | undefined {
  const [caller, setCaller] = useState<Caller | null | undefined>(undefined);
  useEffect(() => {
    let current = true;
    api.get<{ subject?: string; roles?: string[] }>("/v1/session").then(
      (r) => current && setCaller({ subject: r.subject ?? "", roles: r.roles ?? [] }),
      () => current && setCaller(null),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return caller;
}
