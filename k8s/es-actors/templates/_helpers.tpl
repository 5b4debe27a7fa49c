{{/* The release's base name. */}}
{{- define "es-actors.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "es-actors.selectorLabels" -}}
app.kubernetes.io/name: es-actors
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "es-actors.labels" -}}
{{ include "es-actors.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The headless service that gives the coordinator a stable DNS name for cluster formation. */}}
{{- define "es-actors.clusterService" -}}
{{ include "es-actors.fullname" . }}-cluster
{{- end -}}

{{- define "es-actors.coordinatorHost" -}}
coordinator.{{ include "es-actors.clusterService" . }}.{{ .Release.Namespace }}.svc.cluster.local
{{- end -}}

{{- define "es-actors.seedNode" -}}
akka://es-actors@{{ include "es-actors.coordinatorHost" . }}:{{ .Values.akkaPort }}
{{- end -}}

{{- define "es-actors.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "es-actors.dataClaim" -}}
{{ .Values.persistence.existingClaim | default (printf "%s-data" (include "es-actors.fullname" .)) }}
{{- end -}}

{{/* Arguments shared by both roles: the run file, the cluster port and seed node, metrics, device. */}}
{{- define "es-actors.commonArgs" -}}
- run
- --config
- /etc/es-actors/run.conf
- --port
- {{ .Values.akkaPort | quote }}
- --seed-nodes
- {{ include "es-actors.seedNode" . }}
- --set
- run.id={{ .Values.run.id | quote }}
- --set
- model.device={{ .Values.device }}
- --set
- cluster.bind-host="0.0.0.0"
- --set
- metrics.host="0.0.0.0"
- --set
- metrics.port={{ .Values.metrics.port }}
{{- if .Values.tls.enabled }}
- --set
- cluster.tls.enabled=true
- --set
- cluster.tls.key-store="/etc/es-actors-tls/keystore.p12"
- --set
- cluster.tls.trust-store="/etc/es-actors-tls/truststore.p12"
{{- end }}
{{- end -}}

{{- define "es-actors.podAnnotations" -}}
checksum/run-config: {{ .Values.run.config | sha256sum }}
{{- if .Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{- define "es-actors.env" -}}
- name: ES_ACTORS_JAVA_OPTS
  value: {{ .Values.javaOpts | quote }}
- name: OMP_NUM_THREADS
  value: {{ .Values.ompThreads | quote }}
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- if .Values.tls.enabled }}
# cluster.tls.*-password default to env:ES_TLS_PASSWORD
- name: ES_TLS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.tls.passwordSecretName }}
      key: {{ .Values.tls.passwordSecretKey }}
{{- end }}
{{- end -}}

{{- define "es-actors.ports" -}}
- name: akka
  containerPort: {{ .Values.akkaPort }}
- name: metrics
  containerPort: {{ .Values.metrics.port }}
{{- end -}}

{{/* The metrics endpoint answers /healthz as soon as the node starts, before the model is loaded. */}}
{{- define "es-actors.probes" -}}
readinessProbe:
  httpGet:
    path: /healthz
    port: metrics
  periodSeconds: 10
livenessProbe:
  httpGet:
    path: /healthz
    port: metrics
  initialDelaySeconds: 30
  periodSeconds: 20
  failureThreshold: 6
{{- end -}}

{{/* Volumes both roles mount: the models volume (when set) and the TLS stores (when on). */}}
{{- define "es-actors.volumeMounts" -}}
{{- if .Values.models.existingClaim }}
- name: models
  mountPath: /models
  readOnly: true
{{- end }}
{{- if .Values.tls.enabled }}
- name: tls
  mountPath: /etc/es-actors-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "es-actors.volumes" -}}
{{- if .Values.models.existingClaim }}
- name: models
  persistentVolumeClaim:
    claimName: {{ .Values.models.existingClaim }}
    readOnly: true
{{- end }}
{{- if .Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ .Values.tls.secretName }}
    defaultMode: 288  # octal 0440, written in decimal so every YAML reader agrees: readable by the pods' fsGroup
    items:
      - key: keystore.p12
        path: keystore.p12
      - key: truststore.p12
        path: truststore.p12
{{- end }}
{{- end -}}
