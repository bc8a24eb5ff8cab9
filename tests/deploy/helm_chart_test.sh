#!/usr/bin/env bash
# The Helm chart, rendered and checked without helm or a cluster (helm/itsm/README.md):
#  1. tools/helm-render (Go, Debian's Sprig and gojsonschema) renders the chart for the default
#     values, helm/itsm/values-production.yaml and a single-replica SQLite install;
#  2. every object is validated against Kubernetes' published schemas (kubernetes-models), with
#     unknown fields refused, and the chart's promises (tests/deploy/k8s-validate/validate.mjs);
#  3. what must be refused is: SQLite with two replicas (the chart's fail), a wrong type and an
#     unknown key (values.schema.json), an SLA timer autoscaler; and the validator itself must
#     refuse a broken object.
# usage: helm_chart_test.sh <source dir> <work dir>
set -euo pipefail
src="$1"
work="$2"
chart="$src/helm/itsm"
validator="$src/tests/deploy/k8s-validate"
rm -rf "$work/out"
mkdir -p "$work/out"
out="$work/out"

if [ ! -d "$validator/node_modules/kubernetes-models" ]; then
  echo "the validator is not installed: run tools/install-deps.sh" >&2
  exit 1
fi
# GOPATH mode over Debian's Go sources (/usr/share/gocode): no module proxy, no network.
(cd "$src/tools/helm-render" &&
  GO111MODULE=off GOENV=off GOPATH=/usr/share/gocode GOCACHE="$work/go-cache" GOFLAGS= go build -o "$work/helm-render" .)
render() { "$work/helm-render" --chart "$chart" "$@"; }
all=incident,configuration,change,sla,sla-timer,change-sla-timer,supplier,webhooks,gateway
passes=0
failures=0
check() {  # name, then the command; counts a failure instead of stopping
  local name="$1"; shift
  if "$@"; then echo "PASS $name"; passes=$((passes + 1)); else echo "FAIL $name"; failures=$((failures + 1)); fi
}

# 1 + 2: the installs that must render and validate.
validate_case() {
  local name="$1"; shift
  render "$@" --json "$out/$name.json" --notes > "$out/$name.notes" &&
    node "$validator/validate.mjs" "$out/$name.json" --expect "$all"
}
check default validate_case default
check production validate_case production -f "$chart/values-production.yaml"
check sqlite-single-replica validate_case sqlite -f "$src/tests/deploy/values-sqlite.yaml"

count() {  # kind in a rendered case
  node -e 'const [f,k]=process.argv.slice(1);console.log(JSON.parse(require("fs").readFileSync(f)).filter(i=>i.object.kind===k).length)' "$1" "$2"
}
expect_count() { [ "$(count "$out/$1.json" "$2")" = "$3" ] || { echo "$1: $(count "$out/$1.json" "$2") $2, expected $3" >&2; return 1; }; }
check default-has-no-claims-and-no-monitoring expect_count default PersistentVolumeClaim 0
check default-no-servicemonitor expect_count default ServiceMonitor 0
check sqlite-one-claim-per-database expect_count sqlite PersistentVolumeClaim 7
check production-servicemonitor expect_count production ServiceMonitor 1
check production-prometheusrule expect_count production PrometheusRule 1
check default-no-sla-timer-autoscaler bash -c "! grep -q '\"name\": \"itsm-sla-timer\",' <(node -e 'const a=JSON.parse(require(\"fs\").readFileSync(\"$out/default.json\"));console.log(JSON.stringify(a.filter(i=>i.object.kind===\"HorizontalPodAutoscaler\").map(i=>i.object.metadata),null,1))')"

# The change SLA timer is itsm-sla-timer on the change topic, with its own group and Redis keys.
change_timer_is_a_timer_of_changes() {
  node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const d = a.find((i) => i.object.kind === "Deployment" && i.object.metadata.name === "itsm-change-sla-timer").object;
    const c = d.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    const want = {ITSM_RECORD_TOPIC: "itsm.change.v1", ITSM_CONSUMER_GROUP: "itsm-sla-timer-changes",
                  ITSM_REDIS_KEY_PREFIX: "itsm:sla-changes"};
    let ok = c.command[0] === "/usr/local/bin/itsm-sla-timer";
    for (const [k, v] of Object.entries(want)) ok = ok && env[k] === v;
    ok = ok && c.env.some((e) => e.name === "ITSM_REDIS_ADDRESS") && !c.env.some((e) => e.name === "ITSM_DATABASE_URL");
    if (!ok) { console.error(JSON.stringify(c, null, 1)); process.exit(1); }' "$out/$1.json"
}
check default-change-sla-timer change_timer_is_a_timer_of_changes default
check production-change-sla-timer change_timer_is_a_timer_of_changes production

# The incident service maps alert labels to CIs through the configuration service: it is given
# its address and a signing key, and the configuration service's policy lets it in.
incident_calls_the_cmdb() {
  node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const get = (kind, name) => a.find((i) => i.object.kind === kind && i.object.metadata.name === name).object;
    const c = get("Deployment", "itsm-incident").spec.template.spec.containers[0];
    const address = c.env.find((e) => e.name === "ITSM_CONFIGURATION_ADDRESS");
    const signs = c.env.some((e) => e.name === "ITSM_AUTH_SIGNING_KEY_FILE");
    const from = get("NetworkPolicy", "itsm-configuration").spec.ingress[0].from;
    const admitted = from.some((f) => f.podSelector?.matchLabels?.["app.kubernetes.io/component"] === "incident");
    if (!address || address.value !== "itsm-configuration:50053" || !signs || !admitted) {
      console.error(JSON.stringify({address, signs, admitted}));
      process.exit(1);
    }' "$out/$1.json"
}
check default-incident-calls-the-cmdb incident_calls_the_cmdb default

# Production: the CA files Kafka's properties and the database URLs name are mounted, and with
# mutual TLS the gateway calls its own ApiKeyService by a name its certificate carries (found
# from outside: it dialled 0.0.0.0, and nothing was mounted where the docs' URLs point).
production_tls() {
  node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const deps = a.filter((i) => i.object.kind === "Deployment").map((i) => i.object);
    let ok = deps.length === 9;
    for (const d of deps) {
      const c = d.spec.template.spec.containers[0];
      const mount = c.volumeMounts.find((m) => m.name === "backend-ca");
      const volume = d.spec.template.spec.volumes.find((v) => v.name === "backend-ca");
      const cert = c.env.find((e) => e.name === "ITSM_GRPC_TLS_CERT_FILE");
      ok = ok && mount?.mountPath === "/etc/itsm/ca" && volume?.secret?.secretName === "itsm-ca" && !!cert;
      const own = c.env.find((e) => e.name === "ITSM_API_KEYS_ADDRESS");
      ok = ok && (d.metadata.name === "itsm-gateway" ? own?.value === "itsm-gateway:50050" : !own);
    }
    if (!ok) { console.error(JSON.stringify(deps.map((d) => d.spec.template.spec), null, 1)); process.exit(1); }' "$out/$1.json"
}
check production-tls-and-backend-ca production_tls production

# A gateway published by a LoadBalancer publishes its REST port only: gRPC (ApiKeyService) and
# /metrics stay on the ClusterIP Service.
printf 'services:\n  gateway:\n    service: {type: LoadBalancer, annotations: {lb.example.com/internal: "false"}}\n' > "$out/lb.yaml"
render -f "$out/lb.yaml" --json "$out/lb.json" > /dev/null
gateway_published_port() {
  node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const svc = (n) => a.find((i) => i.object.kind === "Service" && i.object.metadata.name === n)?.object;
    const main = svc("itsm-gateway"), pub = svc("itsm-gateway-public");
    const ok = main.spec.type === "ClusterIP" && main.spec.ports.length === 3 && !main.metadata.annotations &&
      pub.spec.type === "LoadBalancer" && pub.spec.ports.map((p) => p.name).join() === "http" &&
      pub.metadata.annotations["lb.example.com/internal"] === "false";
    if (!ok) { console.error(JSON.stringify([main, pub], null, 1)); process.exit(1); }' "$out/$1.json"
}
check loadbalancer-publishes-rest-only gateway_published_port lb
check loadbalancer-validates bash -c "node '$validator/validate.mjs' '$out/lb.json' --expect '$all' > /dev/null"

# The gateway serves the console the image carries; with an OIDC client id for it, the console
# is told the provider. Without the console, no console_dir.
gateway_console() {  # case, expected console dir ("" for none), expected client id ("" for none)
  node -e '
    const [file, dir, client] = process.argv.slice(1);
    const a = JSON.parse(require("fs").readFileSync(file));
    const c = a.find((i) => i.object.kind === "Deployment" && i.object.metadata.name === "itsm-gateway").object.spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    if ((env.ITSM_CONSOLE_DIR ?? "") !== dir || (env.ITSM_CONSOLE_OIDC_CLIENT_ID ?? "") !== client) {
      console.error(JSON.stringify(env, null, 1));
      process.exit(1);
    }' "$out/$1.json" "$2" "$3"
}
check default-gateway-serves-the-console gateway_console default /usr/share/itsm/console ""
printf 'services:\n  gateway:\n    console: {enabled: false}\n' > "$out/no-console.yaml"
render -f "$out/no-console.yaml" --json "$out/no-console.json" > /dev/null
check no-console-no-console-dir gateway_console no-console "" ""
printf 'services:\n  gateway:\n    oidc: {enabled: true, issuer: "https://id.example.com", existingSecret: oidc, consoleClientId: itsm-console, consoleProviderName: Corp}\n' > "$out/console-oidc.yaml"
render -f "$out/console-oidc.yaml" --json "$out/console-oidc.json" > /dev/null
check console-oidc-client-id gateway_console console-oidc /usr/share/itsm/console itsm-console

# The PrometheusRule carries exactly deploy/prometheus/alerts.yml's and slo.yml's rules.
same_rules() {
  local rendered expected
  rendered=$(node -e 'const a=JSON.parse(require("fs").readFileSync(process.argv[1]));const r=a.find(i=>i.object.kind==="PrometheusRule").object;console.log(r.spec.groups.flatMap(g=>g.rules.map(x=>x.alert||x.record)).join(","))' "$out/production.json")
  expected=$(cat "$src/deploy/prometheus/alerts.yml" "$src/deploy/prometheus/slo.yml" | grep -E '^\s*- (alert|record):' | sed -E 's/.*(alert|record): *//' | paste -sd, -)
  [ "$rendered" = "$expected" ] || { echo "rules differ: rendered $rendered, alerts.yml $expected" >&2; return 1; }
}
check prometheusrule-is-alerts-yml same_rules

# Every process labels its own series: the chart names each one (change-sla-timer runs
# itsm-sla-timer), and the ServiceMonitor lets that label win over the target's.
processes_name_themselves() {
  node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1]));
    const bad = [];
    for (const i of a.filter((i) => i.object.kind === "Deployment")) {
      const name = i.object.metadata.labels["app.kubernetes.io/component"];
      const env = i.object.spec.template.spec.containers[0].env;
      const e = env.find((e) => e.name === "ITSM_SERVICE_NAME");
      if (!e || e.value !== name) bad.push(name);
    }
    const sm = a.find((i) => i.object.kind === "ServiceMonitor").object;
    if (sm.spec.endpoints.some((e) => e.honorLabels !== true)) bad.push("ServiceMonitor honorLabels");
    if (bad.length) { console.error("not labelled by themselves:", bad.join(", ")); process.exit(1); }' "$out/$1.json"
}
check production-processes-name-themselves processes_name_themselves production

# 3: what must be refused, and with which message.
refused() {  # name, expected message, values (YAML)[, a values file merged before them]
  local name="$1" message="$2" base=()
  printf '%s\n' "$3" > "$out/$name.yaml"
  if [ $# -ge 4 ]; then base=(-f "$4"); fi
  if render "${base[@]}" -f "$out/$name.yaml" > /dev/null 2> "$out/$name.err"; then
    echo "$name: rendered, but must be refused" >&2
    return 1
  fi
  grep -qF "$message" "$out/$name.err" || { echo "$name: refused with:" >&2; cat "$out/$name.err" >&2; return 1; }
}
check refuses-sqlite-with-two-replicas refused sqlite-two \
  "services.incident: SQLite serves one replica only" \
  "$(printf 'services:\n  incident: {replicas: 2}')" "$src/tests/deploy/values-sqlite.yaml"
check refuses-sqlite-with-autoscaling refused sqlite-hpa \
  "services.gateway: SQLite serves one replica only" \
  "$(printf 'services:\n  gateway: {autoscaling: {enabled: true, minReplicas: 1, maxReplicas: 2, targetCPUUtilizationPercentage: 70}}')" \
  "$src/tests/deploy/values-sqlite.yaml"
check refuses-wrong-type refused wrong-type \
  "services.incident.grpcPort: Invalid type. Expected: integer, given: string" \
  "$(printf 'services:\n  incident: {grpcPort: "50051"}')"
check refuses-unknown-key refused unknown-key \
  "services.incident: Additional property replica is not allowed" \
  "$(printf 'services:\n  incident: {replica: 3}')"
check refuses-unknown-service refused unknown-service \
  "services: Additional property reporting is not allowed" \
  "$(printf 'services:\n  reporting: {enabled: true}')"
check refuses-sla-timer-autoscaling refused sla-timer-hpa \
  "services.sla-timer: Additional property autoscaling is not allowed" \
  "$(printf 'services:\n  sla-timer: {autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 70}}')"
check refuses-change-sla-timer-autoscaling refused change-sla-timer-hpa \
  "services.change-sla-timer: Additional property autoscaling is not allowed" \
  "$(printf 'services:\n  change-sla-timer: {autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 4, targetCPUUtilizationPercentage: 70}}')"
check refuses-non-itsm-env refused bad-env \
  "Does not match pattern '^ITSM_[A-Z0-9_]+\$'" \
  "$(printf 'commonEnv: {LD_PRELOAD: x}')"
check refuses-disruption-budget-blocking-drains refused pdb-zero \
  "podDisruptionBudget.maxUnavailable: Must validate at least one schema (anyOf)" \
  "$(printf 'podDisruptionBudget: {enabled: true, maxUnavailable: 0}')"
check refuses-disruption-budget-not-a-percentage refused pdb-banana \
  "podDisruptionBudget.maxUnavailable: Must validate at least one schema (anyOf)" \
  "$(printf 'podDisruptionBudget: {enabled: true, maxUnavailable: banana}')"
check refuses-no-replica refused no-replica \
  "services.sla-timer.replicas: Must be greater than or equal to 1" \
  "$(printf 'services:\n  sla-timer: {replicas: 0}')"
check refuses-oidc-without-issuer refused oidc \
  "services.gateway.oidc.issuer is required" \
  "$(printf 'services:\n  gateway: {oidc: {enabled: true, existingSecret: oidc}}')"

# The validator must be able to fail: a wrong type in a probe, a misspelt field, an unknown
# kind, a writable root file system.
broken() {  # name, JavaScript that breaks objects (array a), expected message
  node -e "const fs=require('fs');const a=JSON.parse(fs.readFileSync(process.argv[1]));$2;fs.writeFileSync(process.argv[2],JSON.stringify(a))" \
    "$out/default.json" "$out/$1.json"
  if node "$validator/validate.mjs" "$out/$1.json" > /dev/null 2> "$out/$1.err"; then
    echo "$1: the validator accepted a broken object" >&2
    return 1
  fi
  grep -qF "$3" "$out/$1.err" || { echo "$1: refused with:" >&2; cat "$out/$1.err" >&2; return 1; }
}
dep='a.find(i=>i.object.kind==="Deployment").object.spec.template.spec.containers[0]'
check validator-refuses-schema-violation broken bad-probe "$dep.readinessProbe.grpc.port='grpc'" \
  "readinessProbe/grpc/port must be integer"
check validator-refuses-unknown-field broken unknown-field "$dep.readinesProbe=$dep.readinessProbe" \
  "containers[0].readinesProbe: unknown field"
check validator-refuses-unknown-kind broken bad-kind 'a[0].object.apiVersion="apps/v9"' \
  "no published schema for apps/v9"
check validator-refuses-writable-root broken writable "$dep.securityContext.readOnlyRootFilesystem=false" \
  "root file system is writable"

echo "helm chart: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
