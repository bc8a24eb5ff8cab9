// The change service's REST shapes the console reads (proto3 JSON of
// proto/itsm/change/v1/change.proto) and the change calendar's items (pure: unit-tested).
import type { Span } from "./calendar";

export interface Conflict {
  kind?: string;
  otherId?: string;
  otherNumber?: string;
  ciId?: string;
  path?: string[];
  reason?: string;
}
export interface RiskAnswer {
  questionId?: string;
  answerId?: string;
}
// The change policy's risk questionnaire (GET /v1/changePolicy).
export interface RiskQuestion {
  id: string;
  text?: string;
  answers?: Array<{ id: string; text?: string; weight?: number }>;
}
export interface RiskFactor {
  factor?: string;
  detail?: string;
  contribution?: number;
}
export interface ApprovalLevel {
  name?: string;
  approverRole?: string;
  approverGroup?: string;
  approvers?: string[];
  rule?: string;
  quorum?: number;
}
export interface ApprovalVote {
  level?: number;
  approver?: string;
  decision?: string;
  comment?: string;
  time?: string;
}
export interface ChangeTask {
  id: string;
  title?: string;
  description?: string;
  state?: string;
  assignmentGroup?: string;
  assignee?: string;
}
export interface Change {
  id: string;
  number?: string;
  type?: string;
  state?: string;
  title?: string;
  description?: string;
  category?: string;
  reason?: string;
  affectedServiceIds?: string[];
  configurationItemIds?: string[];
  incidentIds?: string[];
  problemIds?: string[];
  causedIncidents?: Array<{ incidentId?: string; incidentNumber?: string; reason?: string }>;
  plannedStartTime?: string;
  plannedEndTime?: string;
  actualStartTime?: string;
  actualEndTime?: string;
  implementationPlan?: string;
  backoutPlan?: string;
  testPlan?: string;
  assignmentGroup?: string;
  assignee?: string;
  tasks?: ChangeTask[];
  outcome?: string;
  templateId?: string;
  riskAnswers?: RiskAnswer[];
  reviewNotes?: string;
  closeNotes?: string;
  risk?: { level?: string; score?: number; factors?: RiskFactor[]; businessServiceIds?: string[]; policyVersion?: string; assessTime?: string };
  approval?: {
    policyName?: string;
    levels?: ApprovalLevel[];
    votes?: ApprovalVote[];
    outcome?: string;
    currentLevel?: number;
    conflictsNeedOverride?: boolean;
    requestTime?: string;
    decideTime?: string;
    selfApprovalAllowed?: boolean;
  };
  conflicts?: Conflict[];
  conflictOverrideReason?: string;
  conflictOverrideBy?: string;
  createdBy?: string;
  createTime?: string;
  updateTime?: string;
  version?: string;
}
export interface WindowOccurrence {
  windowId?: string;
  name?: string;
  kind?: string;
  startTime?: string;
  endTime?: string;
}
export interface ChangeCalendar {
  changes?: Change[];
  windows?: WindowOccurrence[];
}

export interface ChangeItem extends Span {
  change: Change;
  // Its conflicts are not overridden: the calendar marks it.
  conflicted: boolean;
}
export interface WindowItem extends Span {
  window: WindowOccurrence;
  blackout: boolean;
}

// The calendar's changes and window occurrences as spans; a change without a planned slot (or
// with an end not after its start) has no place on it and is left out.
export function calendarItems(calendar: ChangeCalendar): { changes: ChangeItem[]; windows: WindowItem[] } {
  const changes: ChangeItem[] = [];
  for (const change of calendar.changes ?? []) {
    const start = Date.parse(change.plannedStartTime ?? "");
    const end = Date.parse(change.plannedEndTime ?? "");
    if (!(end > start)) continue;
    changes.push({ key: change.id, start, end, change, conflicted: (change.conflicts ?? []).length > 0 && !change.conflictOverrideReason });
  }
  const windows: WindowItem[] = [];
  for (const w of calendar.windows ?? []) {
    const start = Date.parse(w.startTime ?? "");
    const end = Date.parse(w.endTime ?? "");
    if (!(end > start)) continue;
    windows.push({ key: `${w.windowId}@${w.startTime}`, start, end, window: w, blackout: w.kind === "WINDOW_KIND_BLACKOUT" });
  }
  return { changes, windows };
}
