{{/* Chart name, overridable. */}}
{{- define "referral-relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart>, or <release> when it already contains the chart name. */}}
{{- define "referral-relay.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "referral-relay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "referral-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "referral-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "referral-relay.labels" -}}
helm.sh/chart: {{ include "referral-relay.chart" . }}
{{ include "referral-relay.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: referral-relay
{{- end }}

{{- define "referral-relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "referral-relay.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "referral-relay.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding the MMOLove referral secret. */}}
{{- define "referral-relay.mmoloveSecretName" -}}
{{- if .Values.mmolove.existingSecret }}
{{- .Values.mmolove.existingSecret }}
{{- else }}
{{- printf "%s-mmolove" (include "referral-relay.fullname" .) }}
{{- end }}
{{- end }}

{{/*
Consumer group of a one-off Job, as its command derives it from the LIVE kafka.groupId (for NOTES
and comments only: the chart passes the live group id and --name, never this). Call with
(dict "root" $ "component" "backfill"|"redrive").
*/}}
{{- define "referral-relay.jobGroupId" -}}
{{- printf "%s-%s-%s" .root.Values.kafka.groupId .component (index .root.Values .component).name }}
{{- end }}

{{/*
Env var name of a librdkafka property, the inverse of the relay's RDKAFKA_ passthrough:
`_` -> `__`, `-` -> `___`, `.` -> `_`, upper-cased. sasl.password -> RDKAFKA_SASL_PASSWORD.
*/}}
{{- define "referral-relay.rdkafkaEnvName" -}}
{{- printf "RDKAFKA_%s" (. | replace "_" "__" | replace "-" "___" | replace "." "_" | upper) }}
{{- end }}

{{/* security.protocol implied by kafka.sasl.enabled and kafka.ssl.enabled. */}}
{{- define "referral-relay.securityProtocol" -}}
{{- if and .Values.kafka.sasl.enabled .Values.kafka.ssl.enabled }}SASL_SSL
{{- else if .Values.kafka.sasl.enabled }}SASL_PLAINTEXT
{{- else if .Values.kafka.ssl.enabled }}SSL
{{- else }}PLAINTEXT
{{- end }}
{{- end }}

{{- define "referral-relay.kafkaTlsDir" -}}/var/run/secrets/kafka-tls{{- end }}
{{- define "referral-relay.mmoloveDir" -}}/var/run/secrets/mmolove{{- end }}
{{- define "referral-relay.configDir" -}}/etc/referral-relay{{- end }}

{{/*
Non-secret librdkafka properties as a dict: derived from kafka.sasl/kafka.ssl, then
kafka.properties on top (the user wins).
*/}}
{{- define "referral-relay.kafkaProperties" -}}
{{- $p := dict "security.protocol" (include "referral-relay.securityProtocol" .) }}
{{- if .Values.kafka.sasl.enabled }}
{{- $_ := set $p "sasl.mechanisms" .Values.kafka.sasl.mechanism }}
{{- end }}
{{- if and .Values.kafka.ssl.enabled .Values.kafka.ssl.existingSecret }}
{{- $dir := include "referral-relay.kafkaTlsDir" . }}
{{- if .Values.kafka.ssl.caKey }}
{{- $_ := set $p "ssl.ca.location" (printf "%s/%s" $dir .Values.kafka.ssl.caKey) }}
{{- end }}
{{- if .Values.kafka.ssl.certKey }}
{{- $_ := set $p "ssl.certificate.location" (printf "%s/%s" $dir .Values.kafka.ssl.certKey) }}
{{- end }}
{{- if .Values.kafka.ssl.keyKey }}
{{- $_ := set $p "ssl.key.location" (printf "%s/%s" $dir .Values.kafka.ssl.keyKey) }}
{{- end }}
{{- end }}
{{- range $k, $v := .Values.kafka.properties }}
{{- $_ := set $p $k (toString $v) }}
{{- end }}
{{- toJson $p }}
{{- end }}

{{/*
Validation of cross-field constraints the JSON schema cannot express. Included by every
template that depends on them, so a bad combination fails the whole render.
*/}}
{{- define "referral-relay.validate" -}}
{{- $v := .Values }}
{{- if not $v.kafka.brokers }}
{{- fail "kafka.brokers is required: the Kafka bootstrap servers, comma-separated host:port" }}
{{- end }}
{{- if and $v.mmolove.existingSecret $v.mmolove.secret }}
{{- fail "set exactly one of mmolove.existingSecret and mmolove.secret, not both" }}
{{- end }}
{{- if not (or $v.mmolove.existingSecret $v.mmolove.secret) }}
{{- fail "mmolove.existingSecret (recommended) or mmolove.secret (development only) is required" }}
{{- end }}
{{- if and (not (kindIs "invalid" $v.terminationGracePeriodSeconds)) (lt (int $v.terminationGracePeriodSeconds) (add (int $v.relay.drainTimeoutSeconds) 15 | int)) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be at least relay.drainTimeoutSeconds + 15 (%d): the drain, the final commit's 5 s window and the producer's 10 s flush, or Kubernetes kills the relay mid-shutdown; leave it empty to derive it" (int $v.terminationGracePeriodSeconds) (add (int $v.relay.drainTimeoutSeconds) 15 | int)) }}
{{- end }}
{{- if not $v.mmolove.serverId }}
{{- fail "mmolove.serverId is required: the MMOLove server id the referral secret signs for (the relay refuses to start without it)" }}
{{- end }}
{{- if and $v.mmolove.keyId $v.mmolove.keyIdKey }}
{{- fail "set mmolove.keyId or mmolove.keyIdKey, not both (the relay refuses a key id and a key-id file for one server)" }}
{{- end }}
{{- if and $v.mmolove.keyIdKey (not $v.mmolove.existingSecret) }}
{{- fail "mmolove.keyIdKey needs mmolove.existingSecret: the chart-created Secret (mmolove.secret) holds only the secret; use mmolove.keyId" }}
{{- end }}
{{- if and $v.mmolove.keyIdKey (eq $v.mmolove.keyIdKey $v.mmolove.secretKey) }}
{{- fail "mmolove.keyIdKey must differ from mmolove.secretKey" }}
{{- end }}
{{- range $i, $server := $v.mmolove.servers }}
{{- if eq $server.id $v.mmolove.serverId }}
{{- fail (printf "mmolove.servers[%d].id %q is also mmolove.serverId: each server id is configured once" $i $server.id) }}
{{- end }}
{{- if and $server.keyId $server.keyIdKey }}
{{- fail (printf "mmolove.servers[%d]: set keyId or keyIdKey, not both" $i) }}
{{- end }}
{{- end }}
{{- with $v.relay.retry }}
{{- if and .initialBackoffMs .maxBackoffSeconds (gt (int64 .initialBackoffMs) (mul (int64 .maxBackoffSeconds) 1000)) }}
{{- fail (printf "relay.retry.initialBackoffMs (%d) must not exceed relay.retry.maxBackoffSeconds (%d s): the relay refuses it" (int64 .initialBackoffMs) (int64 .maxBackoffSeconds)) }}
{{- end }}
{{- end }}
{{- $secretEnv := list }}
{{- range include "referral-relay.secretEnv" $ | fromYamlArray }}
{{- $secretEnv = append $secretEnv .name }}
{{- end }}
{{- $tracingEnv := list }}
{{- range include "referral-relay.tracingEnv" $ | fromYamlArray }}
{{- $tracingEnv = append $tracingEnv .name }}
{{- end }}
{{- range $v.extraEnv }}
{{- if has .name $secretEnv }}
{{- fail (printf "extraEnv sets %s, which the chart sets itself from a Secret" .name) }}
{{- end }}
{{- if has .name $tracingEnv }}
{{- fail (printf "extraEnv sets %s, which the chart sets itself from tracing.*" .name) }}
{{- end }}
{{- end }}
{{- $fallback := $v.keda.fallback | default dict }}
{{- if and $v.keda.enabled $fallback.enabled (not (kindIs "invalid" $fallback.replicas)) (gt (int $fallback.replicas) (int $v.keda.maxReplicaCount)) }}
{{- fail (printf "keda.fallback.replicas (%d) exceeds keda.maxReplicaCount (%d)" (int $fallback.replicas) (int $v.keda.maxReplicaCount)) }}
{{- end }}
{{- if and $v.autoscaling.enabled $v.keda.enabled }}
{{- fail "autoscaling.enabled and keda.enabled are mutually exclusive: KEDA manages its own HorizontalPodAutoscaler" }}
{{- end }}
{{- if gt (int $v.replicaCount) (int $v.kafka.partitions) }}
{{- fail (printf "replicaCount (%d) exceeds kafka.partitions (%d): the extra consumers would sit idle" (int $v.replicaCount) (int $v.kafka.partitions)) }}
{{- end }}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.maxReplicas) (int $v.kafka.partitions)) }}
{{- fail (printf "autoscaling.maxReplicas (%d) exceeds kafka.partitions (%d): the extra consumers would sit idle" (int $v.autoscaling.maxReplicas) (int $v.kafka.partitions)) }}
{{- end }}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and $v.keda.enabled (gt (int $v.keda.maxReplicaCount) (int $v.kafka.partitions)) }}
{{- fail (printf "keda.maxReplicaCount (%d) exceeds kafka.partitions (%d): the extra consumers would sit idle" (int $v.keda.maxReplicaCount) (int $v.kafka.partitions)) }}
{{- end }}
{{- if and $v.keda.enabled (gt (int $v.keda.minReplicaCount) (int $v.keda.maxReplicaCount)) }}
{{- fail "keda.minReplicaCount must not exceed keda.maxReplicaCount" }}
{{- end }}
{{- if and $v.kafka.sasl.enabled (not $v.kafka.sasl.existingSecret) }}
{{- fail "kafka.sasl.existingSecret is required when kafka.sasl.enabled: the Secret holding the SASL username and password" }}
{{- end }}
{{- if and $v.kafka.ssl.keyPasswordKey (not $v.kafka.ssl.existingSecret) }}
{{- fail "kafka.ssl.keyPasswordKey needs kafka.ssl.existingSecret" }}
{{- end }}
{{- if ne (empty $v.kafka.ssl.certKey) (empty $v.kafka.ssl.keyKey) }}
{{- fail "kafka.ssl.certKey and kafka.ssl.keyKey must be set together (mutual TLS)" }}
{{- end }}
{{- range $k, $_ := $v.kafka.properties }}
{{- if regexMatch "(?i)(password|secret|\\.key\\.pem|jaas)" $k }}
{{- fail (printf "kafka.properties.%s looks secret: pass it with kafka.secretProperties (from a Secret) instead" $k) }}
{{- end }}
{{- end }}
{{- if $v.backfill.enabled }}
{{- if not $v.backfill.name }}
{{- fail "backfill.name is required when backfill.enabled (it names the Job and its consumer group)" }}
{{- end }}
{{- if not $v.backfill.from }}
{{- fail "backfill.from is required when backfill.enabled (RFC 3339 start of the replay)" }}
{{- end }}
{{- end }}
{{- /* Values reused from a release of an older chart (helm upgrade --reuse-values takes the old
chart's defaults) lack the Jobs' newer defaults: a plain upgrade must still work, an enabled Job
must not run half-configured. */}}
{{- $redrive := $v.redrive | default dict }}
{{- if $redrive.enabled }}
{{- if not $redrive.name }}
{{- fail "redrive.name is required when redrive.enabled (it names the Job and its consumer group; a name re-drives each dead letter at most once)" }}
{{- end }}
{{- end }}
{{- range $component := list "backfill" "redrive" }}
{{- $run := index $v $component | default dict }}
{{- if $run.enabled }}
{{- range $key := list "backoffLimit" "activeDeadlineSeconds" "ttlSecondsAfterFinished" "resources" }}
{{- if not (hasKey $run $key) }}
{{- fail (printf "%s.%s has no value: these values were reused from a release of an older chart, which had no %s defaults; run the upgrade with --reset-then-reuse-values (Helm 3.14+) instead of --reuse-values" $component $key $component) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The relay's environment, shared by the Deployment, the one-off Jobs (backfill, redrive) and the
test Pod: only what must come from Secrets (librdkafka's SASL and key passwords and
kafka.secretProperties, as RDKAFKA_* variables from secretKeyRefs: librdkafka takes them only as
properties) and extraEnv. Every other setting is in config.yaml (referral-relay.configYaml),
rendered once. Names are RDKAFKA_ passthroughs the relay reads
(Sources/Relay/Configuration/EnvironmentKey.swift) or the user's extraEnv.
*/}}
{{- define "referral-relay.env" -}}
{{- include "referral-relay.secretEnv" . }}
{{- include "referral-relay.tracingEnv" . }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The env variables the chart sets from Secrets (secretKeyRefs), see referral-relay.env. */}}
{{- define "referral-relay.secretEnv" -}}
{{- $v := .Values }}
{{- if $v.kafka.sasl.enabled }}
- name: RDKAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.usernameKey }}
- name: RDKAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.passwordKey }}
{{- end }}
{{- if and $v.kafka.ssl.enabled $v.kafka.ssl.keyPasswordKey }}
- name: RDKAFKA_SSL_KEY_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.ssl.existingSecret }}
      key: {{ $v.kafka.ssl.keyPasswordKey }}
{{- end }}
{{- range $v.kafka.secretProperties }}
- name: {{ include "referral-relay.rdkafkaEnvName" .property }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- if and $v.tracing.otlpEndpoint $v.tracing.headersSecret.name }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ $v.tracing.headersSecret.name }}
      key: {{ $v.tracing.headersSecret.key }}
{{- end }}
{{- end }}

{{/* OpenTelemetry's standard variables, read by swift-otel, when tracing.otlpEndpoint is set
(docs/TRACING.md); nothing otherwise, so the relay starts no exporter. */}}
{{- define "referral-relay.tracingEnv" -}}
{{- with .Values.tracing }}
{{- if .otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .otlpEndpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ .protocol | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ .serviceName | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .sampler | quote }}
{{- if .samplerArg }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .samplerArg | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* True (non-empty) when the container takes any secret through an env secretKeyRef. */}}
{{- define "referral-relay.hasSecretEnv" -}}
{{- if include "referral-relay.secretEnv" . | trim }}true{{- end }}
{{- end }}

{{- define "referral-relay.volumeMounts" -}}
- name: config
  mountPath: {{ include "referral-relay.configDir" . }}
  readOnly: true
- name: mmolove-secret
  mountPath: {{ include "referral-relay.mmoloveDir" . }}
  readOnly: true
{{- if and .Values.kafka.ssl.enabled .Values.kafka.ssl.existingSecret }}
- name: kafka-tls
  mountPath: {{ include "referral-relay.kafkaTlsDir" . }}
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
{{- if and .Values.relay.refereeStore .Values.relay.refereeStore.enabled }}
- name: referees
  mountPath: {{ .Values.relay.refereeStore.directory }}
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The pod volumes: config.yaml, the referral secrets (and key ids) as files, the Kafka TLS files,
/tmp and extraVolumes. Call with (dict "root" $ "configMap" "<name of the ConfigMap holding
config.yaml>").
*/}}
{{- define "referral-relay.volumes" -}}
{{- $root := .root }}
{{- $mm := $root.Values.mmolove }}
- name: config
  configMap:
    name: {{ .configMap }}
    defaultMode: 0444
- name: mmolove-secret
  projected:
    defaultMode: 0440
    sources:
      - secret:
          name: {{ include "referral-relay.mmoloveSecretName" $root }}
          items:
            - key: {{ $mm.secretKey }}
              path: {{ $mm.secretKey }}
            {{- with $mm.keyIdKey }}
            - key: {{ . }}
              path: {{ . }}
            {{- end }}
      {{- range $server := $mm.servers }}
      - secret:
          name: {{ $server.existingSecret }}
          items:
            - key: {{ default "referral-secret" $server.key }}
              path: {{ printf "servers/%s/referral-secret" $server.id }}
            {{- with $server.keyIdKey }}
            - key: {{ . }}
              path: {{ printf "servers/%s/key-id" $server.id }}
            {{- end }}
      {{- end }}
{{- if and $root.Values.kafka.ssl.enabled $root.Values.kafka.ssl.existingSecret }}
- name: kafka-tls
  secret:
    secretName: {{ $root.Values.kafka.ssl.existingSecret }}
    defaultMode: 0440
{{- end }}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: {{ $root.Values.tmpSizeLimit }}
{{- if and $root.Values.relay.refereeStore $root.Values.relay.refereeStore.enabled }}
- name: referees
  {{- toYaml $root.Values.relay.refereeStore.volume | nindent 2 }}
{{- end }}
{{- with $root.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level scheduling and identity fields shared by the Deployment, the Jobs and the test Pod. */}}
{{- define "referral-relay.podCommon" -}}
serviceAccountName: {{ include "referral-relay.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Selector of the live relay pods (the Jobs' pods carry component=backfill or component=redrive). */}}
{{- define "referral-relay.relaySelectorLabels" -}}
{{ include "referral-relay.selectorLabels" . }}
app.kubernetes.io/component: relay
{{- end }}

{{/*
checkov skip annotations for the relay's workloads, each with its reason; only emitted when the
finding actually applies to these values.
*/}}
{{- define "referral-relay.checkovSkips" -}}
{{- if not .Values.image.digest }}
checkov.io/skip1: CKV_K8S_43=No digest is known before the image is released; set image.digest to pin it (the all-options test does)
{{- end }}
{{- if include "referral-relay.hasSecretEnv" . }}
checkov.io/skip2: CKV_K8S_35=librdkafka takes SASL/key passwords only as properties (RDKAFKA_* env) and swift-otel its collector headers only as OTEL_EXPORTER_OTLP_HEADERS; they come from secretKeyRef, never literals, and the MMOLove secret is a file
{{- end }}
{{- end }}

{{- define "referral-relay.pullPolicy" -}}
{{- if .Values.image.pullPolicy }}{{ .Values.image.pullPolicy }}
{{- else if .Values.image.digest }}IfNotPresent
{{- else }}Always
{{- end }}
{{- end }}

{{/* Kafka ports for egress: those named in kafka.brokers (9092 by default) plus networkPolicy.kafka.ports. */}}
{{- define "referral-relay.kafkaPorts" -}}
{{- $ports := list }}
{{- range splitList "," .Values.kafka.brokers }}
{{- $port := regexFind ":[0-9]+$" (trim .) | trimPrefix ":" }}
{{- $ports = append $ports (atoi (default "9092" $port)) }}
{{- end }}
{{- range .Values.networkPolicy.kafka.ports }}
{{- $ports = append $ports (int .) }}
{{- end }}
{{- $ports | uniq | sortAlpha | toJson }}
{{- end }}

{{/* HTTPS ports for egress: networkPolicy.https.ports plus the port of mmolove.endpoint. */}}
{{- define "referral-relay.httpsPorts" -}}
{{- $ports := list }}
{{- range .Values.networkPolicy.https.ports }}
{{- $ports = append $ports (int .) }}
{{- end }}
{{- range (list .Values.mmolove.endpoint .Values.tracing.otlpEndpoint) }}
{{- with . }}
{{- $authority := regexFind "^[a-zA-Z]+://[^/]+" . }}
{{- $port := regexFind ":[0-9]+$" $authority | trimPrefix ":" }}
{{- if $port }}
{{- $ports = append $ports (atoi $port) }}
{{- else if hasPrefix "http://" . }}
{{- $ports = append $ports 80 }}
{{- end }}
{{- end }}
{{- end }}
{{- $ports | uniq | toJson }}
{{- end }}

{{/*
The relay's config.yaml, the one place the chart renders the relay's settings (read by
`referral-relay run|check|backfill|dlq … --config`); the keys are exactly the ones the relay
accepts (Sources/Relay/Configuration/ConfigurationFile.swift, docs/CONFIGURATION.md). No secrets:
the referral secrets and key ids are mounted files (mmolove.secretFile, keyIdFile) and secret
librdkafka properties come from env secretKeyRefs (referral-relay.env). A setting missing from
the values (values reused from an older chart by `helm upgrade --reuse-values`) is left out, so
the relay's own default applies rather than an empty value it would refuse.
*/}}
{{- define "referral-relay.configYaml" -}}
{{- $v := .Values }}
{{- $dir := include "referral-relay.mmoloveDir" . }}
{{- $kafka := dict
  "brokers" (splitList "," $v.kafka.brokers)
  "groupId" $v.kafka.groupId
  "topics" (pick $v.kafka.topics "accountCreated" "milestoneReached" "outcomes" "dlq" "referees")
  "properties" (include "referral-relay.kafkaProperties" . | fromJson) }}
{{- $relay := dict }}
{{- range $key := list "qualifyingMilestones" "logLevel" "logFormat" "drainTimeoutSeconds" "maxInFlight" "opsPort" "opsHost" "commitIntervalMs" "maxAttempts" "qualifiedWaitSeconds" "rateLimit" "maxInputBytes" "heldPartitionReadinessSeconds" "unknownTopicGraceSeconds" "adaptiveConcurrency" "adaptiveConcurrencyInitial" }}
{{- if not (kindIs "invalid" (index $v.relay $key)) }}
{{- $_ := set $relay $key (index $v.relay $key) }}
{{- end }}
{{- end }}
{{- with $v.relay.retry }}
{{- $_ := set $relay "retry" (pick . "initialBackoffMs" "maxBackoffSeconds") }}
{{- end }}
{{- with $v.relay.refereeStore }}
{{- $_ := set $relay "refereeStore" (pick . "enabled" "directory" "waitSeconds") }}
{{- end }}
{{- $mm := dict "serverId" $v.mmolove.serverId "secretFile" (printf "%s/%s" $dir $v.mmolove.secretKey) }}
{{- range $key := list "allowInsecureHttp" "requestTimeoutSeconds" "connectTimeoutSeconds" "testEvents" "secretPollSeconds" }}
{{- if not (kindIs "invalid" (index $v.mmolove $key)) }}
{{- $_ := set $mm $key (index $v.mmolove $key) }}
{{- end }}
{{- end }}
{{- with $v.mmolove.endpoint }}{{ $_ := set $mm "endpoint" . }}{{ end }}
{{- with $v.mmolove.keyId }}{{ $_ := set $mm "keyId" . }}{{ end }}
{{- with $v.mmolove.keyIdKey }}{{ $_ := set $mm "keyIdFile" (printf "%s/%s" $dir .) }}{{ end }}
{{- with $v.mmolove.servers }}
{{- $servers := list }}
{{- range . }}
{{- $server := dict "id" .id "secretFile" (printf "%s/servers/%s/referral-secret" $dir .id) }}
{{- with .keyId }}{{ $_ := set $server "keyId" . }}{{ end }}
{{- with .keyIdKey }}{{ $_ := set $server "keyIdFile" (printf "%s/servers/%s/key-id" $dir $server.id) }}{{ end }}
{{- $servers = append $servers $server }}
{{- end }}
{{- $_ := set $mm "servers" $servers }}
{{- end }}
{{- "# Rendered by the referral-relay chart from its values; every key: docs/CONFIGURATION.md.\n" }}
{{- dict "kafka" $kafka "relay" $relay "mmolove" $mm | toYaml }}
{{- end }}

{{/*
One-off Jobs: the backfill (`referral-relay backfill`) and the dead-letter re-drive
(`referral-relay dlq redrive`). Each helper is called with (dict "root" $ "component" C), C being
"backfill" or "redrive", and reads .Values.<C>.

Both commands read the relay's own config.yaml (the ConfigMap of the Deployment) and env, with the
LIVE kafka.groupId: each derives its own consumer group from it and --name
(<groupId>-backfill-<name>, <groupId>-redrive-<name>), so the chart must not pass a derived group
(that would become <groupId>-backfill-<name>-backfill-<name>).
*/}}

{{/* The command line of a Job, as a JSON list of strings. */}}
{{- define "referral-relay.jobArgs" -}}
{{- $v := .root.Values }}
{{- $config := printf "%s/config.yaml" (include "referral-relay.configDir" .root) }}
{{- $args := list }}
{{- if eq .component "backfill" }}
{{- $r := $v.backfill }}
{{- $args = list "backfill" "--from" $r.from }}
{{- if $r.to }}{{ $args = concat $args (list "--to" $r.to) }}{{ end }}
{{- $args = concat $args (list "--name" $r.name) }}
{{- if $r.dryRun }}{{ $args = append $args "--dry-run" }}{{ end }}
{{- if gt (int64 $r.rate) 0 }}{{ $args = concat $args (list "--rate" (toString (int64 $r.rate))) }}{{ end }}
{{- if gt (int64 $r.maxInFlight) 0 }}{{ $args = concat $args (list "--max-in-flight" (toString (int64 $r.maxInFlight))) }}{{ end }}
{{- /* A pod has no terminal: JSON progress lines in the log, said explicitly. */}}
{{- $args = concat $args (list "--progress" "log" "--config" $config) }}
{{- else if eq .component "redrive" }}
{{- $r := $v.redrive }}
{{- $args = list "dlq" "redrive" "--config" $config "--name" $r.name }}
{{- if $r.stage }}{{ $args = concat $args (list "--stage" $r.stage) }}{{ end }}
{{- if $r.from }}{{ $args = concat $args (list "--from" $r.from) }}{{ end }}
{{- if $r.to }}{{ $args = concat $args (list "--to" $r.to) }}{{ end }}
{{- if $r.reason }}{{ $args = concat $args (list "--reason" $r.reason) }}{{ end }}
{{- if $r.dryRun }}{{ $args = append $args "--dry-run" }}{{ end }}
{{- if gt (int64 $r.rate) 0 }}{{ $args = concat $args (list "--rate" (toString (int64 $r.rate))) }}{{ end }}
{{- else }}
{{- fail (printf "unknown Job component %q" .component) }}
{{- end }}
{{- toJson $args }}
{{- end }}

{{/*
The pod template of a Job: everything Kubernetes will not change on an existing Job. It carries
the config checksum, so a change of the relay's config.yaml changes it too.
*/}}
{{- define "referral-relay.jobPodTemplate" -}}
{{- $root := .root }}
{{- $run := index $root.Values .component -}}
metadata:
  labels:
    {{- include "referral-relay.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
  annotations:
    checksum/config: {{ include "referral-relay.configYaml" $root | sha256sum }}
    {{- with $root.Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- include "referral-relay.podCommon" $root | nindent 2 }}
  restartPolicy: Never
  terminationGracePeriodSeconds: {{ include "referral-relay.terminationGracePeriodSeconds" $root }}
  containers:
    - name: {{ .component }}
      image: {{ include "referral-relay.image" $root }}
      imagePullPolicy: {{ include "referral-relay.pullPolicy" $root }}
      args:
        {{- range (include "referral-relay.jobArgs" . | fromJsonArray) }}
        - {{ . | quote }}
        {{- end }}
      {{- with include "referral-relay.env" $root | trim }}
      env:
        {{- . | nindent 8 }}
      {{- end }}
      resources:
        {{- toYaml $run.resources | nindent 8 }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        {{- include "referral-relay.volumeMounts" $root | nindent 8 }}
  volumes:
    {{- include "referral-relay.volumes" (dict "root" $root "configMap" (include "referral-relay.fullname" $root)) | trim | nindent 4 }}
{{- end }}

{{/*
Name of a Job: <fullname>-<component>-<name>-<first 8 hex of the sha256 of its pod template>,
at most 63 characters (the prefix is cut, never the hash). A Job's pod template is immutable, so
an upgrade that changed it in place would fail; with the hash in the name a changed template is
a new Job (Helm creates it and deletes the old one), an unchanged one keeps its name and is left
alone (only the mutable backoffLimit, activeDeadlineSeconds and ttlSecondsAfterFinished are
patched).
*/}}
{{- define "referral-relay.jobName" -}}
{{- $run := index .root.Values .component }}
{{- $prefix := printf "%s-%s-%s" (include "referral-relay.fullname" .root) .component $run.name | trunc 54 | trimSuffix "-" }}
{{- printf "%s-%s" $prefix (include "referral-relay.jobPodTemplate" . | sha256sum | trunc 8) }}
{{- end }}

{{/*
A one-off Job, a plain release resource with a hashed name rather than a Helm hook. A
post-install/post-upgrade hook Job (with hook-delete-policy before-hook-creation) would also dodge
the immutable pod template, but `helm upgrade` waits for a hook Job to complete: a backfill of a
day's events would time the upgrade out and leave the release failed. A plain Job lets the
upgrade return at once; `kubectl wait` follows the run.
*/}}
{{- define "referral-relay.job" -}}
{{- $root := .root }}
{{- $run := index $root.Values .component }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "referral-relay.jobName" . }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "referral-relay.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    referral-relay/run-name: {{ $run.name | quote }}
  annotations:
    referral-relay/consumer-group: {{ include "referral-relay.jobGroupId" . | quote }}
    {{- with include "referral-relay.checkovSkips" $root | trim }}
    {{- . | nindent 4 }}
    {{- end }}
spec:
  backoffLimit: {{ $run.backoffLimit }}
  {{- if gt (int $run.activeDeadlineSeconds) 0 }}
  activeDeadlineSeconds: {{ $run.activeDeadlineSeconds }}
  {{- end }}
  {{- if ge (int $run.ttlSecondsAfterFinished) 0 }}
  ttlSecondsAfterFinished: {{ $run.ttlSecondsAfterFinished }}
  {{- end }}
  template:
    {{- include "referral-relay.jobPodTemplate" . | nindent 4 }}
{{- end }}

{{/*
Seconds Kubernetes waits after SIGTERM: the value when set, else the relay's documented shutdown
bound (README, "Shutdown"): relay.drainTimeoutSeconds + 25.
*/}}
{{- define "referral-relay.terminationGracePeriodSeconds" -}}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds -}}
{{- add (int .Values.relay.drainTimeoutSeconds) 25 -}}
{{- else -}}
{{- int .Values.terminationGracePeriodSeconds -}}
{{- end -}}
{{- end -}}
