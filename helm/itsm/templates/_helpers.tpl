{{/*
Names. "<release>-itsm" unless the release name already says itsm (release "itsm" gives
"itsm-incident", as the docs and the gateway's defaults name them). At most 46 characters, so
that the longest object name, <fullname>-change-sla-timer, stays within Kubernetes' 63.
*/}}
{{- define "itsm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 46 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 46 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 46 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of one service's objects: <fullname>-<service>. Context: dict name root. */}}
{{- define "itsm.serviceName" -}}
{{- printf "%s-%s" (include "itsm.fullname" .root) .name -}}
{{- end -}}

{{/* Labels of every object of one service. Context: dict name root. */}}
{{- define "itsm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
app.kubernetes.io/part-of: itsm
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* The selector of one service's pods. Context: dict name root. */}}
{{- define "itsm.selector" -}}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "itsm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "itsm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The suite's wiring, a property of the code rather than a setting: which services each process
calls over gRPC (their <name>_address options, as tools/launcher announces them locally). The
Deployments pass the addresses on, and the NetworkPolicies let exactly these calls in.
*/}}
{{- define "itsm.calls" -}}
gateway: [incident, configuration, sla, change, supplier, webhooks]
incident: [configuration]
change: [configuration, incident]
sla: [configuration]
sla-timer: [sla, configuration]
change-sla-timer: [sla, configuration]
supplier: [configuration, sla]
{{- end -}}

{{/*
The program a process runs: its own name, but for the change SLA timer, which is itsm-sla-timer on
the change topic (itsm.timerEnv).
*/}}
{{- define "itsm.program" -}}
{{- if eq .name "change-sla-timer" }}sla-timer{{ else }}{{ .name }}{{ end -}}
{{- end -}}

{{/* Which processes keep a database (every one but the SLA timers, whose clocks live in Redis). */}}
{{- define "itsm.hasDatabase" -}}
{{- if ne (include "itsm.program" .) "sla-timer" }}true{{ end -}}
{{- end -}}

{{/*
What makes the change SLA timer a timer of changes: the record topic, and a consumer group and
Redis keys of its own so that it and the incident timer never share clocks or partitions.
*/}}
{{- define "itsm.timerEnv" -}}
{{- if eq .name "change-sla-timer" -}}
- {name: ITSM_RECORD_TOPIC, value: itsm.change.v1}
- {name: ITSM_CONSUMER_GROUP, value: itsm-sla-timer-changes}
- {name: ITSM_REDIS_KEY_PREFIX, value: "itsm:sla-changes"}
{{- end -}}
{{- end -}}

{{/* Which processes use Kafka: every one (the gateway consumes the topics for its event
streams, GET /v1/events; without the broker's address it answers them 503). */}}
{{- define "itsm.usesKafka" -}}
true
{{- end -}}

{{/* Which processes use Redis: the SLA timer's clocks, the gateway's rate limits. */}}
{{- define "itsm.usesRedis" -}}
{{- if has (include "itsm.program" .) (list "sla-timer" "gateway") }}true{{ end -}}
{{- end -}}

{{/*
Whether a service's replica count can change (more than one replica, or an autoscaler):
what SQLite cannot serve, and what a PodDisruptionBudget is for.
*/}}
{{- define "itsm.scalesOut" -}}
{{- $svc := .svc -}}
{{- if or (gt (int $svc.replicas) 1) (and $svc.autoscaling $svc.autoscaling.enabled) }}true{{ end -}}
{{- end -}}

{{/*
Refuses values the suite cannot run correctly. Called once from deployment.yaml.
*/}}
{{- define "itsm.validate" -}}
{{- $root := . -}}
{{- if not (has .Values.database.type (list "postgresql" "sqlite")) -}}
{{- fail (printf "database.type must be postgresql or sqlite, got %q" .Values.database.type) -}}
{{- end -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}
{{- $ctx := dict "name" $name "svc" $svc "root" $root -}}
{{- if and (eq $root.Values.database.type "sqlite") (include "itsm.hasDatabase" $ctx) (include "itsm.scalesOut" $ctx) -}}
{{- fail (printf "services.%s: SQLite serves one replica only (each pod would have its own database); set replicas: 1 and no autoscaling, or use database.type: postgresql" $name) -}}
{{- end -}}
{{- if and (eq (include "itsm.program" $ctx) "sla-timer") $svc.autoscaling $svc.autoscaling.enabled -}}
{{- fail (printf "services.%s: no autoscaling: its work is bound to its record topic's partitions and every scaling step rebalances the consumer group, which holds back every clock's firing (set replicas to a divisor of the partition count)" $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Probes of one container. Context: dict name svc root. */}}
{{- define "itsm.probes" -}}
{{- $p := .root.Values.probes -}}
startupProbe:
  grpc: {port: {{ include "itsm.probePort" . }}}
  {{- toYaml $p.startup | nindent 2 }}
readinessProbe:
  grpc: {port: {{ include "itsm.probePort" . }}}
  {{- toYaml $p.readiness | nindent 2 }}
livenessProbe:
  {{- if eq .name "gateway" }}
  httpGet: {path: /healthz, port: http}
  {{- else }}
  grpc: {port: {{ include "itsm.probePort" . }}}
  {{- end }}
  {{- toYaml $p.liveness | nindent 2 }}
{{- end -}}

{{/*
Environment for mutual TLS between the processes (docs/security.md, section 6) from the files of
the kubernetes.io/tls Secret mounted at .Values.tls.mountPath (tls.crt, tls.key, ca.crt, as
cert-manager writes them; its names must cover every itsm Service). gRPC's file watcher re-reads
them, so a renewed Secret needs no restart. The kubelet's gRPC probes speak no TLS: with TLS on
they go to a plaintext port serving the health service only (tls.healthPort).
Context: dict name svc root.
*/}}
{{- define "itsm.tlsEnv" -}}
{{- $tls := .root.Values.tls }}
{{- if $tls.enabled }}
- {name: ITSM_GRPC_TLS_CERT_FILE, value: {{ printf "%s/tls.crt" $tls.mountPath | quote }}}
- {name: ITSM_GRPC_TLS_KEY_FILE, value: {{ printf "%s/tls.key" $tls.mountPath | quote }}}
- {name: ITSM_GRPC_TLS_CA_FILE, value: {{ printf "%s/ca.crt" $tls.mountPath | quote }}}
- {name: ITSM_GRPC_PLAINTEXT_HEALTH_PORT, value: {{ $tls.healthPort | quote }}}
{{- if eq .name "gateway" }}
{{- /* Its own ApiKeyService by a name the certificate carries: bound to 0.0.0.0, it has none. */}}
- {name: ITSM_API_KEYS_ADDRESS, value: "{{ include "itsm.serviceName" . }}:{{ .svc.grpcPort }}"}
{{- end }}
{{- end }}
{{- end -}}

{{/* The port the kubelet's gRPC probes use. Context: dict name svc root. */}}
{{- define "itsm.probePort" -}}
{{- if .root.Values.tls.enabled }}{{ .root.Values.tls.healthPort }}{{ else }}{{ .svc.grpcPort }}{{ end }}
{{- end -}}
