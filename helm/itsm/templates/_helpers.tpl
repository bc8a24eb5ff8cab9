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
