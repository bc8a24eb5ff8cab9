{{/* Common labels of every object of one service. */}}
{{- define "itsm.labels" -}}
app.kubernetes.io/name: itsm-{{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: itsm
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{- end -}}

{{- define "itsm.selector" -}}
app.kubernetes.io/name: itsm-{{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/*
Environment for TLS (gRPC mTLS, the gateway's HTTPS) and Redis AUTH, from the files of the Secrets
mounted by "itsm.tlsVolumeMounts". Context: dict name svc root.
*/}}
{{- define "itsm.tlsEnv" -}}
{{- $tls := .root.Values.tls }}
{{- if $tls.enabled }}
- {name: ITSM_GRPC_TLS_CERT_FILE, value: {{ printf "%s/tls.crt" $tls.mountPath | quote }}}
- {name: ITSM_GRPC_TLS_KEY_FILE, value: {{ printf "%s/tls.key" $tls.mountPath | quote }}}
- {name: ITSM_GRPC_TLS_CA_FILE, value: {{ printf "%s/ca.crt" $tls.mountPath | quote }}}
- {name: ITSM_GRPC_TLS_RELOAD_SECONDS, value: {{ $tls.reloadSeconds | quote }}}
- {name: ITSM_GRPC_PLAINTEXT_HEALTH_PORT, value: {{ $tls.healthPort | quote }}}
{{- end }}
{{- if and .svc.httpPort $tls.gatewayHttps.enabled }}
- {name: ITSM_TLS_CERT_FILE, value: {{ printf "%s/tls.crt" $tls.gatewayHttps.mountPath | quote }}}
- {name: ITSM_TLS_KEY_FILE, value: {{ printf "%s/tls.key" $tls.gatewayHttps.mountPath | quote }}}
{{- end }}
{{- if has .name (list "sla-timer" "gateway") }}
{{- if .root.Values.redis.username }}
- {name: ITSM_REDIS_USERNAME, value: {{ .root.Values.redis.username | quote }}}
{{- end }}
{{- if .root.Values.redis.passwordSecret }}
- {name: ITSM_REDIS_PASSWORD_FILE, value: /etc/itsm/redis/password}
{{- end }}
{{- end }}
{{- end -}}

{{/* The mounts of the Secrets "itsm.tlsEnv" names. Context: dict name svc root. */}}
{{- define "itsm.tlsVolumeMounts" -}}
{{- $tls := .root.Values.tls }}
{{- if $tls.enabled }}
- {name: tls, mountPath: {{ $tls.mountPath }}, readOnly: true}
{{- end }}
{{- if and .svc.httpPort $tls.gatewayHttps.enabled }}
- {name: https, mountPath: {{ $tls.gatewayHttps.mountPath }}, readOnly: true}
{{- end }}
{{- if and .root.Values.redis.passwordSecret (has .name (list "sla-timer" "gateway")) }}
- {name: redis-auth, mountPath: /etc/itsm/redis, readOnly: true}
{{- end }}
{{- end -}}

{{/*
Their volumes. Kubernetes swaps a Secret volume's files atomically (a symlink) when the Secret is
renewed; gRPC's file watcher and the gateway re-read them, so certificates rotate without a
restart.
*/}}
{{- define "itsm.tlsVolumes" -}}
{{- $tls := .root.Values.tls }}
{{- if $tls.enabled }}
- name: tls
  secret:
    secretName: {{ required "tls.existingSecret is required with tls.enabled" $tls.existingSecret }}
    defaultMode: 0400
{{- end }}
{{- if and .svc.httpPort $tls.gatewayHttps.enabled }}
- name: https
  secret:
    secretName: {{ required "tls.gatewayHttps.existingSecret is required with tls.gatewayHttps.enabled" $tls.gatewayHttps.existingSecret }}
    defaultMode: 0400
{{- end }}
{{- if and .root.Values.redis.passwordSecret (has .name (list "sla-timer" "gateway")) }}
- name: redis-auth
  secret:
    secretName: {{ .root.Values.redis.passwordSecret }}
    defaultMode: 0400
    items:
      - {key: password, path: password}
{{- end }}
{{- end -}}
