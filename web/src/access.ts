// Which roles may call which writes of the change and configuration services, as their protos
// declare it (option itsm.common.v1.access in proto/itsm/change/v1/change.proto and
// proto/itsm/config/v1/config.proto; ROLE_ADMIN may call everything). The console shows only the
// buttons the caller's roles (GET /v1/session) allow; the services still decide, and a 403 is
// shown as it comes. Pure: tests/unit/access.test.ts.

export type Action =
  | "change.create"
  | "change.update"
  | "change.transition"
  | "change.assess"
  | "change.decide"
  | "change.schedule"
  | "change.override"
  | "change.task"
  | "ci.create"
  | "ci.update"
  | "relationship.create"
  | "relationship.delete"
  | "baseline.create";

const AGENT = "ROLE_AGENT";
const CHANGE_MANAGER = "ROLE_CHANGE_MANAGER";
const CAB = "ROLE_CAB_MEMBER";
const PROBLEM_MANAGER = "ROLE_PROBLEM_MANAGER";
const CMDB_MANAGER = "ROLE_CMDB_MANAGER";

export const ACCESS: Record<Action, string[]> = {
  "change.create": [AGENT, CHANGE_MANAGER, PROBLEM_MANAGER],
  "change.update": [AGENT, CHANGE_MANAGER],
  "change.transition": [AGENT, CHANGE_MANAGER],
  "change.assess": [AGENT, CHANGE_MANAGER],
  "change.decide": [CHANGE_MANAGER, CAB],
  "change.schedule": [AGENT, CHANGE_MANAGER],
  "change.override": [CHANGE_MANAGER],
  "change.task": [AGENT, CHANGE_MANAGER],
  "ci.create": [CMDB_MANAGER],
  "ci.update": [CMDB_MANAGER],
  "relationship.create": [CMDB_MANAGER],
  "relationship.delete": [CMDB_MANAGER],
  "baseline.create": [CMDB_MANAGER, CHANGE_MANAGER],
};

// Who is asking, from GET /v1/session.
export interface Caller {
  subject: string;
  roles: string[];
}

// undefined: not read yet (no button yet, rather than buttons that vanish a moment later);
// null: the gateway cannot say (one without its own key store answers 501), so every button is
// shown and the service's answer decides.
export function may(caller: Caller | null | undefined, action: Action): boolean {
  if (caller === undefined) return false;
  if (caller === null) return true;
  return caller.roles.includes("ROLE_ADMIN") || ACCESS[action].some((r) => caller.roles.includes(r));
}
