// Validates the objects tools/helm-render wrote (a JSON array of {template, object}) against
// Kubernetes' published API schemas, as compiled into kubernetes-models (Kubernetes 1.3x) and
// @kubernetes-models/prometheus-operator (ServiceMonitor, PrometheusRule), refuses fields those
// schemas do not declare (strict.mjs, as kubectl's strict validation does), then checks the
// chart's own promises (security contexts, probes, a Service, NetworkPolicy and budget per
// service, SQLite only on a claim). Exit code 0 when every object passes.
// usage: node validate.mjs objects.json --expect incident,configuration,...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { unknownFields } from "./strict.mjs";

const require = createRequire(import.meta.url);

const [file, ...rest] = process.argv.slice(2);
const expectArg = rest.indexOf("--expect");
const expected = expectArg >= 0 ? rest[expectArg + 1].split(",") : [];
const items = JSON.parse(readFileSync(file, "utf8"));
const problems = [];
const problem = (where, text) => problems.push(`${where}: ${text}`);

// apiVersion -> the package folder of its models.
function modelPath(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

for (const { template, object } of items) {
  const where = `${template} ${object.kind} ${object.metadata?.name}`;
  let Model;
  try {
    Model = (await import(modelPath(object.apiVersion, object.kind)))[object.kind];
  } catch {
    problem(where, `no published schema for ${object.apiVersion} ${object.kind}`);
    continue;
  }
  if (!Model) {
    problem(where, `no published schema for ${object.apiVersion} ${object.kind}`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    problem(where, error.message);
  }
  for (const field of unknownFields(object, require.resolve(modelPath(object.apiVersion, object.kind)), `I${object.kind}`)) {
    problem(where, field);
  }
}

// The chart's promises, beyond what the API accepts.
const objects = items.map((i) => i.object);
const of = (kind) => objects.filter((o) => o.kind === kind);
const component = (o) => o.metadata.labels?.["app.kubernetes.io/component"];
const deployments = of("Deployment");
const byComponent = (kind) => new Map(of(kind).map((o) => [component(o), o]));
const services = byComponent("Service");
const policies = byComponent("NetworkPolicy");
const budgets = byComponent("PodDisruptionBudget");
const autoscalers = byComponent("HorizontalPodAutoscaler");
const claims = new Set(of("PersistentVolumeClaim").map((o) => o.metadata.name));

const seen = deployments.map(component).sort();
if (expected.length && seen.join() !== [...expected].sort().join()) {
  problem("Deployments", `expected ${[...expected].sort().join()}, rendered ${seen.join()}`);
}
for (const d of deployments) {
  const name = component(d);
  const where = `Deployment ${d.metadata.name}`;
  const pod = d.spec.template.spec;
  if (pod.securityContext?.runAsNonRoot !== true) problem(where, "pod may run as root");
  if (pod.securityContext?.seccompProfile?.type !== "RuntimeDefault") problem(where, "no RuntimeDefault seccomp profile");
  if (pod.automountServiceAccountToken !== false) problem(where, "mounts a service account token");
  const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
  for (const c of pod.containers) {
    const sc = c.securityContext ?? {};
    if (sc.readOnlyRootFilesystem !== true) problem(where, "root file system is writable");
    if (sc.allowPrivilegeEscalation !== false) problem(where, "allows privilege escalation");
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) problem(where, "does not drop all capabilities");
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      if (!c[probe]) problem(where, `no ${probe}`);
    }
    if (!c.startupProbe?.grpc || !c.readinessProbe?.grpc) problem(where, "startup and readiness must use gRPC health");
    if (name === "gateway" ? c.livenessProbe?.httpGet?.path !== "/healthz" : !c.livenessProbe?.grpc) {
      problem(where, "liveness must be gRPC health (the gateway's: HTTP /healthz)");
    }
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory) {
      problem(where, "needs cpu and memory requests and a memory limit");
    }
    for (const m of c.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      if (v?.emptyDir && m.mountPath !== "/tmp") problem(where, `emptyDir mounted at ${m.mountPath}`);
      if (m.mountPath === "/var/lib/itsm" && !claims.has(v?.persistentVolumeClaim?.claimName)) {
        problem(where, "the SQLite folder is not on a rendered PersistentVolumeClaim");
      }
    }
    if (!(c.volumeMounts ?? []).some((m) => m.mountPath === "/tmp" && volumes.get(m.name)?.emptyDir)) {
      problem(where, "no emptyDir /tmp");
    }
    const env = new Map((c.env ?? []).map((e) => [e.name, e]));
    if (!env.get("ITSM_AUTH_JWKS_FILE")) problem(where, "no JWKS");
    if (name === "gateway" && !env.get("ITSM_AUTH_SIGNING_KEY_FILE")) problem(where, "the gateway has no signing key");
    for (const secretEnv of ["ITSM_KAFKA_BOOTSTRAP_SERVERS", "ITSM_DATABASE_URL", "ITSM_REDIS_ADDRESS", "ITSM_REDIS_USERNAME", "ITSM_REDIS_PASSWORD"]) {
      if (env.has(secretEnv) && !env.get(secretEnv).valueFrom?.secretKeyRef) problem(where, `${secretEnv} not from a Secret`);
    }
  }
  const replicas = d.spec.replicas ?? 0;
  const scales = replicas > 1 || autoscalers.has(name);
  if (!services.has(name)) problem(where, "no Service");
  if (!policies.has(name)) problem(where, "no NetworkPolicy");
  if (scales && !budgets.has(name)) problem(where, "several replicas and no PodDisruptionBudget");
  if (autoscalers.has(name) && d.spec.replicas !== undefined) problem(where, "sets replicas while an autoscaler owns them");
}
for (const [name, hpa] of autoscalers) {
  if (name === "sla-timer" || name === "change-sla-timer") {
    problem(`HorizontalPodAutoscaler ${hpa.metadata.name}`, "an SLA timer must not autoscale");
  }
  if (!deployments.some((d) => d.metadata.name === hpa.spec.scaleTargetRef.name)) {
    problem(`HorizontalPodAutoscaler ${hpa.metadata.name}`, "targets no rendered Deployment");
  }
}

if (problems.length) {
  console.error(problems.join("\n"));
  console.error(`${problems.length} problem(s) in ${items.length} objects of ${file}`);
  process.exit(1);
}
console.log(`valid: ${items.length} objects of ${file}`);
