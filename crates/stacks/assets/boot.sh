#!/bin/bash
# Boot script of a TechChallenge application instance, rendered into the launch template's
# UserData by `techchallenge` (Fn::Sub fills in the dollar-brace placeholders). cloud-init runs
# it once per instance, as root, on its first boot. It holds no secret and writes none: the
# application reads the database password from Secrets Manager with the instance role.
#
# Steps: fetch the build from the artifacts bucket and the RDS CA bundle, verify them, and only
# then change the system: install the build under its checksum, write a configuration without
# secrets, install the app as a sandboxed systemd service that migrates (`updatedb -s`, safe on
# every start) and then serves on 0.0.0.0:3000, and signal CloudFormation SUCCESS once
# /healthcheck/ answers. The service is started without waiting for it: its first attempts may
# fail while the database starts or another instance migrates, and systemd retries it; the boot
# deadline below decides. Any failure, or no answer by the deadline, signals FAILURE.
#
# The database: on the environment's first create the instances start while RDS is still
# creating it (the application stack does not wait for the database stack), so the script waits
# until the instance exists and is no longer being created, up to ${DatabaseWaitSeconds} s. The
# app learns the database's host and port from the secret, where CloudFormation's secret
# attachment writes them once the instance exists.
#
# Deadlines (see crates/stacks/src/application/timing.rs): after that wait, the app must answer
# within ${BootDeadlineSeconds} s, which with the instance's own start-up fits inside the
# group's creation and update timeouts and its health-check grace period.
#
# When nothing waits for a signal (an instance launched by scale-out or to replace another),
# CloudFormation refuses it; once the app serves, that is not an error.
#
# Logs: this script's own log goes to CloudWatch Logs (group ${BootLogGroup}, stream: the
# instance id) with the `aws` command, every few seconds and before it signals, so a boot that
# fails or never signals leaves its story after the instance is gone. The app's output goes to
# /var/log/techchallenge/app.log, which the CloudWatch agent ships to ${AppLogGroup}.
#
# Test hooks (crates/system-tests/tests/boot.rs boots this under a real systemd): unset on
# instances. TECHCHALLENGE_IMDS replaces the metadata endpoint, TECHCHALLENGE_RDS_CA_URL the CA
# bundle's address, TECHCHALLENGE_BOOT_DEADLINE the deadline in seconds,
# TECHCHALLENGE_DATABASE_WAIT the database wait in seconds, TECHCHALLENGE_APP_PORT the port
# (test instances share one network, so each needs its own).
set -euo pipefail
umask 022

imds=${!TECHCHALLENGE_IMDS:-http://169.254.169.254}
rds_ca_url=${!TECHCHALLENGE_RDS_CA_URL:-https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem}
default_deadline='${BootDeadlineSeconds}'
boot_deadline=${!TECHCHALLENGE_BOOT_DEADLINE:-$default_deadline}
default_database_wait='${DatabaseWaitSeconds}'
database_wait=${!TECHCHALLENGE_DATABASE_WAIT:-$default_database_wait}

install -d -m 0755 /var/log /var/tmp
exec > >(tee -a /var/log/techchallenge-boot.log) 2>&1
log_pid=$!
echo "techchallenge boot: starting at $(date -u +%FT%TZ), deadline ${!boot_deadline}s"

region='${AWS::Region}'
stack='${AWS::StackName}'
boot_group='${BootLogGroup}'
bucket='${ArtifactBucket}'
key='${AppArtifactKey}'
sha256='${AppArtifactSha256}'
db_instance='${DbInstance}'
db_name='${DbName}'
db_secret='${DbSecretArn}'

# The application's port: the target group and its security group rule say 3000.
port=${!TECHCHALLENGE_APP_PORT:-3000}
app_dir=/opt/techchallenge
unit=techchallenge.service
boot_log=/var/log/techchallenge-boot.log
app_log='${AppLogFile}'
shipped=/var/lib/techchallenge-boot/shipped-lines
instance_id=""
signalled=""
work=""
shipper=""

# Lines on stdin as PutLogEvents events (a JSON array), all stamped now. JSON escaping by hand:
# the image has no jq, and control characters other than tabs are dropped.
log_events() {
  local now line first=1
  now=$(date +%s%3N)
  printf '['
  while IFS= read -r line; do
    line=${!line//\\/\\\\}
    line=${!line//\"/\\\"}
    line=${!line//$'\t'/\\t}
    [ -n "$line" ] || line=" "
    [ -n "$first" ] || printf ','
    first=""
    printf '{"timestamp":%s,"message":"%s"}' "$now" "$line"
  done < <(tr -d '\000-\010\013-\037')
  printf ']'
}

# Sends the boot log's lines not sent yet to CloudWatch Logs. Best effort and quiet: a boot
# never fails, and its log never fills, because shipping it did not work.
ship_log() {
  [ -n "$instance_id" ] || return 0
  (
    flock 9
    local sent total
    sent=$(cat "$shipped" 2>/dev/null || echo 0)
    total=$(wc -l <"$boot_log")
    [ "$total" -gt "$sent" ] || exit 0
    sed -n "$((sent + 1)),${!total}p" "$boot_log" | log_events >"$shipped.json"
    aws logs put-log-events --region "$region" --log-group-name "$boot_group" \
      --log-stream-name "$instance_id" --log-events "file://$shipped.json" >/dev/null 2>&1 &&
      echo "$total" >"$shipped"
  ) 9>"$shipped.lock" || true
}

# Signals the auto scaling group's creation or rolling update. Returns 0 once CloudFormation
# took the signal, 2 when it refuses it because no stack operation waits for this instance
# (scale-out, replacement), 1 when it could not be delivered. Retried: a signal lost to a network
# blip would fail the whole deployment after its timeout.
signal() {
  local attempt answer
  signalled=$1
  for attempt in 1 2 3 4 5; do
    if answer=$(aws cloudformation signal-resource --region "$region" --stack-name "$stack" \
      --logical-resource-id AppGroup --unique-id "${!instance_id:-unknown}" --status "$1" 2>&1); then
      echo "techchallenge boot: signalled $1"
      return 0
    fi
    if [[ $answer == *"can not be signaled"* ]]; then
      echo "techchallenge boot: CloudFormation is not waiting for a signal from this instance" \
        "(launched by scale-out or to replace another): $answer"
      return 2
    fi
    echo "techchallenge boot: signalling $1 failed (attempt $attempt): $answer" >&2
    sleep $((attempt * 2))
  done
  echo "techchallenge boot: could not signal $1 to CloudFormation" >&2
  return 1
}

fail() {
  echo "techchallenge boot: $*" >&2
  exit 1
}

# Every way out that is not a success signals FAILURE: `set -e` exits land here too.
# shellcheck disable=SC2317 # run by the EXIT trap
on_exit() {
  local status=$?
  if [ -n "$work" ]; then rm -rf "$work"; fi
  if [ -n "$shipper" ]; then kill "$shipper" 2>/dev/null || true; fi
  if [ "$status" -ne 0 ] && [ -z "$signalled" ]; then
    echo "techchallenge boot: failed (exit $status)" >&2
    # The rollback a FAILURE starts terminates this instance: the log goes first.
    sleep 1
    ship_log
    signal FAILURE || true
  fi
  sleep 1
  ship_log
  # The log is complete when the script ends.
  exec >&- 2>&-
  wait "$log_pid" || true
}
trap on_exit EXIT

for v in "$boot_deadline" "$database_wait"; do
  [[ $v =~ ^[0-9]+$ ]] || fail "deadlines are numbers of seconds, not '$v'"
done

# IMDSv2 only (the launch template requires tokens).
token=$(curl -sf --retry 5 --retry-connrefused --max-time 5 -X PUT "$imds/latest/api/token" \
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
instance_id=$(curl -sf --retry 5 --retry-connrefused --max-time 5 \
  -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id")
echo "techchallenge boot: instance $instance_id, build $sha256"

# The boot log's stream, and a shipper that sends new lines every 5 s while the boot runs.
install -d -m 0700 "${!shipped%/*}"
aws logs create-log-stream --region "$region" --log-group-name "$boot_group" \
  --log-stream-name "$instance_id" >/dev/null 2>&1 ||
  echo "techchallenge boot: could not create the log stream $boot_group/$instance_id (the boot log stays on the instance)"
( while sleep 5; do ship_log; done ) >/dev/null 2>&1 &
shipper=$!

[[ $sha256 =~ ^[0-9a-f]{64}$ ]] || fail "AppArtifactSha256 is not a lower-case hex SHA-256: '$sha256'"

# Fetch and verify first, on the same file system as the releases (so installing is a rename):
# nothing is installed or started unless the build is exactly the one the stack names.
work=$(mktemp -d /var/tmp/techchallenge-boot.XXXXXX)
aws s3 cp --region "$region" --only-show-errors "s3://$bucket/$key" "$work/artifact"
actual=$(sha256sum "$work/artifact" | cut -d ' ' -f 1)
[ "$actual" = "$sha256" ] ||
  fail "checksum mismatch for s3://$bucket/$key: expected $sha256, got $actual; nothing installed"
echo "techchallenge boot: s3://$bucket/$key verified"

# The RDS CA bundle, so the app verifies the database's certificate and name (verify-full).
curl -fsSL --retry 5 --retry-connrefused --max-time 60 -o "$work/rds-ca.pem" "$rds_ca_url"
grep -q -e '-----BEGIN CERTIFICATE-----' "$work/rds-ca.pem" ||
  fail "$rds_ca_url holds no certificate"

install -d -m 0755 "$work/release"
install -m 0755 "$work/artifact" "$work/release/TechChallengeApp"

id techchallenge >/dev/null 2>&1 ||
  useradd --system --no-create-home --home-dir "$app_dir" --shell /sbin/nologin techchallenge

# Install under the checksum and switch `current` atomically: a relative link, so the tree can
# be inspected or moved as a whole, and rolling back on one machine is one link away.
release=$app_dir/releases/$sha256
install -d -m 0755 "$app_dir" "$app_dir/releases" "$app_dir/etc"
rm -rf "$release"
mv "$work/release" "$release"
ln -sfn "releases/$sha256" "$app_dir/.current.new"
mv -T "$app_dir/.current.new" "$app_dir/current"
binary=$app_dir/current/TechChallengeApp
install -m 0644 "$work/rds-ca.pem" "$app_dir/etc/rds-ca.pem"

# Configuration: no password, host or port in it: the app reads them from the secret
# DbSecretId names (the host and port once the database exists).
cat > "$work/conf.toml" <<CONF
"DbType" = "postgres"
"DbHost" = ""
"DbName" = "$db_name"
"DbSecretId" = "$db_secret"
"DbSslMode" = "verify-full"
"DbSslRootCert" = "$app_dir/etc/rds-ca.pem"
"ListenHost" = "0.0.0.0"
"ListenPort" = "$port"
CONF
install -m 0644 "$work/conf.toml" "$app_dir/etc/conf.toml"

# The service. TimeoutStartSec covers `updatedb -s` waiting up to 120 s for another instance's
# migration lock (systemd's default of 90 s would kill it); Restart=always with no start limit
# keeps retrying while the database is not reachable yet.
install -d -m 0755 /etc/systemd/system
cat > "$work/unit" <<UNIT
[Unit]
Description=TechChallenge application
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
Type=simple
User=techchallenge
Group=techchallenge
WorkingDirectory=$app_dir/etc
Environment=AWS_REGION=$region
ExecStartPre=$binary updatedb -s
ExecStart=$binary serve
StandardOutput=append:$app_log
StandardError=inherit
Restart=always
RestartSec=5
TimeoutStartSec=300
TimeoutStopSec=40
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RemoveIPC=yes
CapabilityBoundingSet=
AmbientCapabilities=
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
UNIT
install -d -m 0755 "${!app_log%/*}"
install -m 0644 "$work/unit" "/etc/systemd/system/$unit"
# Rotated in place (copytruncate keeps systemd's append descriptor valid).
if [ -d /etc/logrotate.d ]; then
  cat >/etc/logrotate.d/techchallenge <<ROTATE
$app_log {
  daily
  rotate 7
  maxsize 100M
  missingok
  notifempty
  compress
  delaycompress
  copytruncate
}
ROTATE
fi

# The CloudWatch agent (Amazon Linux's package) ships the app's log; its configuration is
# rendered by techchallenge (tests/golden/cloudwatch-agent.json). Without it the app still
# serves, its log only stays on the instance.
if command -v dnf >/dev/null && dnf install -y -q amazon-cloudwatch-agent; then
  cat >"$work/cloudwatch-agent.json" <<'AGENT'
${CloudWatchAgentConfig}
AGENT
  /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \
    -c "file:$work/cloudwatch-agent.json" ||
    echo "techchallenge boot: warning: the CloudWatch agent did not start; the app's log stays in $app_log"
else
  echo "techchallenge boot: warning: could not install the CloudWatch agent; the app's log stays in $app_log"
fi
systemctl daemon-reload
systemctl enable "$unit"

# The database may still be being created: wait for it (the role may describe that one
# instance and no other), saying so once a minute (with the error, when the status cannot be
# read). RDS goes creating, backing-up (the first snapshot), maybe configuring-*, then
# available, after which CloudFormation's attachment writes the host into the secret within
# seconds (the service's own retries cover those). Any other status ends the wait. An
# instance that does not exist after a quarter of the wait never will: the database stack
# asks for it seconds after it starts, beside this stack, so it failed or is not deployed.
t0=$SECONDS
n=0
while :; do
  if status=$(aws rds describe-db-instances --region "$region" --db-instance-identifier "$db_instance" \
    --query 'DBInstances[0].DBInstanceStatus' --output text 2>&1); then
    case $status in creating | backing-up | configuring-*) ;; *) break ;; esac
  elif [[ $status == *DBInstanceNotFound* ]]; then
    status="not created yet"
  fi
  limit=$database_wait
  [ "$status" != "not created yet" ] || limit=$((database_wait / 4))
  [ $((SECONDS - t0)) -lt "$limit" ] ||
    fail "the database $db_instance was still $status after $((SECONDS - t0))s; is the database stack failing?"
  [ $((n++ % 6)) -ne 0 ] ||
    echo "techchallenge boot: waiting for the database $db_instance ($status) for $((SECONDS - t0))s"
  sleep 10
done
echo "techchallenge boot: the database $db_instance is $status after $((SECONDS - t0))s"
deadline=$((SECONDS + boot_deadline))

# Queue the start and do not wait for it: a first attempt that fails must not fail the boot.
systemctl start --no-block "$unit"

# Tell CloudFormation only once the application answers its health check, which reaches the
# database: a bad secret, security group or CA bundle fails the deployment instead.
while [ "$SECONDS" -lt "$deadline" ]; do
  if curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$port/healthcheck/"; then
    echo "techchallenge boot: the application answers /healthcheck/ after ${!SECONDS}s"
    # Serving is what counts: a signal nobody waits for, or one lost, does not fail the boot.
    signal SUCCESS || true
    exit 0
  fi
  sleep 2
done
echo "techchallenge boot: the service's last lines (systemd, then the app):"
journalctl -u "$unit" -n 10 --no-pager -o cat || true
tail -n 30 "$app_log" || true
fail "the application did not answer /healthcheck/ within ${!boot_deadline}s after the database wait: $(systemctl show -p ActiveState,SubState,NRestarts --value "$unit" | paste -sd ' ')"
