// What a person may do with a change, from its type and state (the state tables of
// services/change/src/change_state_machine.cc, docs/change.md) and the caller's roles
// (access.ts): the transitions offered, whether the approval form is theirs, whether the slot can
// still move; and the fields of the create and edit forms (UpdateChangeRequest's mask paths).
// Pure: tests/unit/change_actions.test.ts.
import { may, type Caller } from "./access";
import type { Change } from "./change";
import type { FieldSpec } from "./record_forms";

const S = (s: string) => `CHANGE_STATE_${s}`;

export interface ChangeTransition {
  target: string;
  label: string;
  // REVIEW needs an outcome (and takes the review notes); CLOSED and CANCELLED take close notes.
  needs?: "outcome" | "close";
}

const t = (target: string, label: string, needs?: ChangeTransition["needs"]): ChangeTransition => ({ target: S(target), label, needs });

// The steps each type adds before the tail every type shares.
const OWN: Record<string, Record<string, ChangeTransition[]>> = {
  CHANGE_TYPE_NORMAL: {
    [S("NEW")]: [t("ASSESS", "Start assessment")],
    [S("ASSESS")]: [t("AUTHORISE", "Request authorisation")],
    [S("AUTHORISE")]: [t("ASSESS", "Back to assessment"), t("SCHEDULED", "Mark scheduled")],
  },
  CHANGE_TYPE_STANDARD: {
    [S("NEW")]: [t("SCHEDULED", "Mark scheduled")],
  },
  CHANGE_TYPE_EMERGENCY: {
    [S("NEW")]: [t("AUTHORISE", "Request authorisation")],
    [S("AUTHORISE")]: [t("SCHEDULED", "Mark scheduled"), t("IMPLEMENT", "Implement now")],
  },
};
const TAIL: Record<string, ChangeTransition[]> = {
  [S("SCHEDULED")]: [t("IMPLEMENT", "Start implementation")],
  [S("IMPLEMENT")]: [t("REVIEW", "Finish: to review", "outcome")],
  [S("REVIEW")]: [t("CLOSED", "Close", "close")],
};
const OPEN = ["NEW", "ASSESS", "AUTHORISE", "SCHEDULED", "IMPLEMENT", "REVIEW"].map(S);

export function isOpen(state: string | undefined): boolean {
  return OPEN.includes(state ?? "");
}

// The transitions the change's type allows from its state, cancelling last (every open state).
export function changeTransitions(type: string | undefined, state: string | undefined): ChangeTransition[] {
  if (!isOpen(state)) return [];
  const own = OWN[type ?? ""] ?? OWN.CHANGE_TYPE_NORMAL;
  return [...(own[state!] ?? []), ...(TAIL[state!] ?? []), t("CANCELLED", "Cancel change", "close")];
}

// The planned slot can be set until implementation starts (ChangeWorkflow::Schedule).
export function canReschedule(state: string | undefined): boolean {
  return [S("NEW"), S("ASSESS"), S("AUTHORISE"), S("SCHEDULED")].includes(state ?? "");
}

// As auth::SamePerson compares them (segregation of duties): without ASCII case and blanks
// around.
function samePerson(a: string | undefined, b: string): boolean {
  return (a ?? "").trim().toLowerCase() === b.trim().toLowerCase() && b.trim() !== "";
}

// Whether the approval form is the caller's: the change waits in AUTHORISE for a decision, the
// caller holds the role of the level deciding now (or is an administrator), the level names them
// (or names nobody: anyone with its role), they did not raise the change nor are assigned to it
// (unless the policy allowed self-approval when the approval started), and they have not voted
// at that level yet (one vote per approver per level) — the service's own checks.
export function mayDecide(change: Change, caller: Caller | null | undefined): boolean {
  const approval = change.approval;
  if (change.state !== S("AUTHORISE") || approval?.outcome !== "APPROVAL_OUTCOME_PENDING") return false;
  if (!may(caller, "change.decide")) return false;
  if (!caller) return true;
  const level = approval.currentLevel ?? 0;
  const role = approval.levels?.[level]?.approverRole;
  if (role && role !== "ROLE_UNSPECIFIED" && !caller.roles.includes(role) && !caller.roles.includes("ROLE_ADMIN")) return false;
  if (!approval.selfApprovalAllowed && (samePerson(change.createdBy, caller.subject) || samePerson(change.assignee, caller.subject))) return false;
  const approvers = approval.levels?.[level]?.approvers ?? [];
  if (approvers.length > 0 && !approvers.includes(caller.subject)) return false;
  return !(approval.votes ?? []).some((v) => (v.level ?? 0) === level && v.approver === caller.subject);
}

// Conflicts found and not yet accepted: a change manager may override them with a reason. An
// emergency change without a slot has the conflicts of being implemented now (a freeze), found
// when IMPLEMENT is asked for and by the override itself, so it is offered one until implemented.
export function conflictsToOverride(change: Change): boolean {
  if (!isOpen(change.state) || change.conflictOverrideReason) return false;
  if ((change.conflicts ?? []).length > 0) return true;
  const beforeImplementation = change.state === "CHANGE_STATE_NEW" || change.state === "CHANGE_STATE_AUTHORISE" || change.state === "CHANGE_STATE_SCHEDULED";
  return change.type === "CHANGE_TYPE_EMERGENCY" && !change.plannedStartTime && beforeImplementation;
}

// The tasks still open may move on; done and cancelled are final.
export function taskIsOpen(state: string | undefined): boolean {
  return state === "TASK_STATE_OPEN" || state === "TASK_STATE_IN_PROGRESS";
}

const f = (name: string, label: string, type: FieldSpec["type"] = "text", options?: Array<[string, string]>): FieldSpec => ({ name, label, type, ...(options ? { options } : {}) });

export const CHANGE_TYPES: Array<[string, string]> = [
  ["", "—"],
  ["CHANGE_TYPE_NORMAL", "Normal"],
  ["CHANGE_TYPE_EMERGENCY", "Emergency"],
  ["CHANGE_TYPE_STANDARD", "Standard (from a template)"],
];

// The edit form's fields (UpdateChangeRequest's paths that a person types); the CIs and
// services as class/name, as the API takes them.
export const CHANGE_EDIT_FIELDS: FieldSpec[] = [
  f("title", "Title"),
  f("description", "Description", "textarea"),
  f("category", "Category"),
  f("reason", "Reason", "textarea"),
  f("configurationItemIds", "Configuration items (class/name, comma-separated)", "list"),
  f("affectedServiceIds", "Affected business services (class/name, comma-separated)", "list"),
  f("assignmentGroup", "Assignment group"),
  f("assignee", "Assignee"),
  f("implementationPlan", "Implementation plan", "textarea"),
  f("backoutPlan", "Back-out plan", "textarea"),
  f("testPlan", "Test plan", "textarea"),
];

// The create form: the type (and a standard change's template) first, then the edit's fields
// (the planned slot has its own inputs, in the user's zone).
export const CHANGE_CREATE_FIELDS: FieldSpec[] = [
  f("type", "Type (required)", "select", CHANGE_TYPES),
  f("templateId", "Template (standard changes: its name or id)"),
  { ...CHANGE_EDIT_FIELDS[0], label: "Title (required)" },
  ...CHANGE_EDIT_FIELDS.slice(1),
];

export const TASK_STATES: Array<[string, string]> = [
  ["TASK_STATE_OPEN", "Open"],
  ["TASK_STATE_IN_PROGRESS", "In progress"],
  ["TASK_STATE_DONE", "Done"],
  ["TASK_STATE_CANCELLED", "Cancelled"],
];

export const TASK_FIELDS: FieldSpec[] = [f("title", "Title (required)"), f("description", "Description", "textarea"), f("assignmentGroup", "Assignment group"), f("assignee", "Assignee")];

export const OUTCOMES: Array<[string, string]> = [
  ["", "—"],
  ["CHANGE_OUTCOME_SUCCESSFUL", "Successful"],
  ["CHANGE_OUTCOME_SUCCESSFUL_WITH_ISSUES", "Successful with issues"],
  ["CHANGE_OUTCOME_FAILED", "Failed"],
  ["CHANGE_OUTCOME_BACKED_OUT", "Backed out"],
];
