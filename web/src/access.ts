// Which roles may call which writes of the incident, change and configuration services, as their
// protos declare it (option itsm.common.v1.access in proto/itsm/incident/v1/incident.proto,
// proto/itsm/change/v1/change.proto and proto/itsm/config/v1/config.proto; ROLE_ADMIN may call
// everything). The console shows only the
// buttons the caller's roles (GET /v1/session) allow; the services still decide, and a 403 is
// shown as it comes. Pure; tests/unit/access.test.ts checks the table against the protos.

export type Action =
  | "incident.update"
  | "incident.assign"
  | "incident.transition"
  | "serviceRequest.update"
  | "serviceRequest.transition"
  | "problem.update"
  | "problem.transition"
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
const REQUESTER = "ROLE_REQUESTER";
const CHANGE_MANAGER = "ROLE_CHANGE_MANAGER";
const CAB = "ROLE_CAB_MEMBER";
const PROBLEM_MANAGER = "ROLE_PROBLEM_MANAGER";
const CMDB_MANAGER = "ROLE_CMDB_MANAGER";

// Each write: the RPC it calls, the roles its access option names and those it allows on the
// caller's own records only (own_records_roles; access.test.ts reads the protos and checks this
// table against them).
export const ACCESS: Record<Action, { rpc: string; roles: string[]; ownRoles?: string[] }> = {
  "incident.update": { rpc: "UpdateIncident", roles: [AGENT, PROBLEM_MANAGER] },
  "incident.assign": { rpc: "AssignIncident", roles: [AGENT, PROBLEM_MANAGER] },
  // A requester may reopen, close or withdraw their own incident (the requester rules).
  "incident.transition": { rpc: "TransitionIncident", roles: [AGENT, PROBLEM_MANAGER], ownRoles: [REQUESTER] },
  "serviceRequest.update": { rpc: "UpdateServiceRequest", roles: [AGENT] },
  // A requester may cancel their own request, no more (the incident service's requester rules).
  "serviceRequest.transition": { rpc: "TransitionServiceRequest", roles: [AGENT], ownRoles: [REQUESTER] },
  "problem.update": { rpc: "UpdateProblem", roles: [PROBLEM_MANAGER] },
  "problem.transition": { rpc: "TransitionProblem", roles: [PROBLEM_MANAGER] },
  "change.create": { rpc: "CreateChange", roles: [AGENT, CHANGE_MANAGER, PROBLEM_MANAGER] },
  "change.update": { rpc: "UpdateChange", roles: [AGENT, CHANGE_MANAGER] },
  "change.transition": { rpc: "TransitionChange", roles: [AGENT, CHANGE_MANAGER] },
  "change.assess": { rpc: "AssessChange", roles: [AGENT, CHANGE_MANAGER] },
  "change.decide": { rpc: "DecideChangeApproval", roles: [CHANGE_MANAGER, CAB] },
  "change.schedule": { rpc: "ScheduleChange", roles: [AGENT, CHANGE_MANAGER] },
  "change.override": { rpc: "OverrideChangeConflicts", roles: [CHANGE_MANAGER] },
  // AddChangeTask and UpdateChangeTask: the same roles.
  "change.task": { rpc: "AddChangeTask", roles: [AGENT, CHANGE_MANAGER] },
  "ci.create": { rpc: "CreateConfigurationItem", roles: [CMDB_MANAGER] },
  "ci.update": { rpc: "UpdateConfigurationItem", roles: [CMDB_MANAGER] },
  "relationship.create": { rpc: "CreateRelationship", roles: [CMDB_MANAGER] },
  "relationship.delete": { rpc: "DeleteRelationship", roles: [CMDB_MANAGER] },
  "baseline.create": { rpc: "CreateBaseline", roles: [CMDB_MANAGER, CHANGE_MANAGER] },
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
  return caller.roles.includes("ROLE_ADMIN") || ACCESS[action].roles.some((r) => caller.roles.includes(r));
}

// Whether the caller may call `action` only as the owner of the record (a requester): the view
// then offers what owners may do there, on the records that are theirs (`owner`: the record's
// owning field, a service request's requested_for, as the service compares it with the caller).
// A key with a broader read role reads others' records too: those offer nothing.
export function mayOnlyAsOwner(caller: Caller | null | undefined, action: Action, owner: string | undefined): boolean {
  if (!caller || may(caller, action)) return false;
  if (!owner || owner !== caller.subject) return false;
  return (ACCESS[action].ownRoles ?? []).some((r) => caller.roles.includes(r));
}

// Whether the CMDB, change, service-level and supplier views are the caller's to read: not for a
// requester (and no other role), whom the services hold to their own records; shown while the
// roles are not known, as buttons are hidden then (the services decide).
export function readsSharedViews(caller: Caller | null | undefined): boolean {
  if (!caller || caller.roles.length === 0) return true;
  return !caller.roles.every((r) => r === "ROLE_REQUESTER");
}
