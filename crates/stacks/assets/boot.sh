#!/bin/bash
# Boot script of a TechChallenge application instance, rendered into the launch template's
# UserData by `techchallenge` (Fn::Sub fills in the dollar-brace placeholders). It holds no
# secret and writes none: the application reads the database password from Secrets Manager with
# the instance role.
#
# Steps: fetch the build from the artifacts bucket and the RDS CA bundle, verify them, and only
# then change the system: install the build under its checksum, write a configuration without
# secrets, run `updatedb -s` (safe on every boot) and the app under systemd as an unprivileged,
# sandboxed user on 0.0.0.0:3000, and signal CloudFormation SUCCESS only once /healthcheck/
# answers. Any failure signals FAILURE, so a rolling update stops and rolls back.
#
# Test hooks (crates/system-tests/tests/boot.rs runs this against a fake root with stubbed
# commands): TECHCHALLENGE_ROOT prefixes every path written, TECHCHALLENGE_IMDS replaces the
# metadata endpoint, TECHCHALLENGE_RDS_CA_URL the CA bundle's address. Unset on instances.
set -euo pipefail
umask 022

root=${!TECHCHALLENGE_ROOT:-}
imds=${!TECHCHALLENGE_IMDS:-http://169.254.169.254}
rds_ca_url=${!TECHCHALLENGE_RDS_CA_URL:-https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem}

install -d -m 0755 "$root/var/log" "$root/var/tmp"
exec > >(tee -a "$root/var/log/techchallenge-boot.log") 2>&1
log_pid=$!
echo "techchallenge boot: starting at $(date -u +%FT%TZ)"

region='${AWS::Region}'
stack='${AWS::StackName}'
bucket='${ArtifactBucket}'
key='${AppArtifactKey}'
sha256='${AppArtifactSha256}'
db_host='${DbHost}'
db_port='${DbPort}'
db_name='${DbName}'
db_secret='${DbSecretArn}'

# The application's port: the target group and its security group rule say 3000.
port=3000
app_home=$root/opt/techchallenge
# Paths as the running application sees them (no test root).
app_dir=/opt/techchallenge
instance_id=""
signalled=""
work=""

# Signals the auto scaling group's creation or rolling update. Retried: a signal lost to a
# network blip would fail the whole deployment after its timeout.
signal() {
  local attempt
  signalled=$1
  for attempt in 1 2 3 4 5; do
    if aws cloudformation signal-resource --region "$region" --stack-name "$stack" \
      --logical-resource-id AppGroup --unique-id "${!instance_id:-unknown}" --status "$1"; then
      echo "techchallenge boot: signalled $1"
      return 0
    fi
    sleep $((attempt * 2))
  done
  echo "techchallenge boot: could not signal $1 to CloudFormation" >&2
  return 1
}

fail() {
  echo "techchallenge boot: $*" >&2
  exit 1
}

# Every way out that is not a signalled success signals FAILURE: `set -e` exits land here too.
# shellcheck disable=SC2317 # run by the EXIT trap
on_exit() {
  local status=$?
  if [ -n "$work" ]; then rm -rf "$work"; fi
  if [ "$status" -ne 0 ] && [ -z "$signalled" ]; then
    echo "techchallenge boot: failed (exit $status)" >&2
    signal FAILURE || true
  fi
  # The log is complete when the script ends.
  exec >&- 2>&-
  wait "$log_pid" || true
}
trap on_exit EXIT

# IMDSv2 only (the launch template requires tokens).
token=$(curl -sf --retry 5 --retry-connrefused --max-time 5 -X PUT "$imds/latest/api/token" \
  -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
instance_id=$(curl -sf --retry 5 --retry-connrefused --max-time 5 \
  -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id")
echo "techchallenge boot: instance $instance_id, build $sha256"

[[ $sha256 =~ ^[0-9a-f]{64}$ ]] || fail "AppArtifactSha256 is not a lower-case hex SHA-256: '$sha256'"

# Fetch and verify first, on the same file system as the releases (so installing is a rename):
# nothing is installed or started unless the build is exactly the one the stack names.
work=$(mktemp -d "$root/var/tmp/techchallenge-boot.XXXXXX")
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
release=$app_home/releases/$sha256
install -d -m 0755 "$app_home" "$app_home/releases" "$app_home/etc"
rm -rf "$release"
mv "$work/release" "$release"
ln -sfn "releases/$sha256" "$app_home/.current.new"
mv -T "$app_home/.current.new" "$app_home/current"
binary=$app_dir/current/TechChallengeApp
install -m 0644 "$work/rds-ca.pem" "$app_home/etc/rds-ca.pem"

# Configuration: no password in it (DbSecretId names where the app reads it from).
cat > "$work/conf.toml" <<CONF
"DbType" = "postgres"
"DbHost" = "$db_host"
"DbPort" = "$db_port"
"DbName" = "$db_name"
"DbSecretId" = "$db_secret"
"DbSslMode" = "verify-full"
"DbSslRootCert" = "$app_dir/etc/rds-ca.pem"
"ListenHost" = "0.0.0.0"
"ListenPort" = "$port"
CONF
install -m 0644 "$work/conf.toml" "$app_home/etc/conf.toml"

install -d -m 0755 "$root/etc/systemd/system"
cat > "$work/unit" <<UNIT
[Unit]
Description=TechChallenge application
After=network-online.target
Wants=network-online.target
# Keep retrying while the database is not reachable yet (no start limit).
StartLimitIntervalSec=0

[Service]
Type=simple
User=techchallenge
Group=techchallenge
WorkingDirectory=$app_dir/etc
Environment=AWS_REGION=$region
ExecStartPre=$binary updatedb -s
ExecStart=$binary serve
Restart=always
RestartSec=2
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
install -m 0644 "$work/unit" "$root/etc/systemd/system/techchallenge.service"
systemctl daemon-reload
systemctl enable --now techchallenge.service

# Tell CloudFormation only once the application answers its health check, which reaches the
# database: a bad secret, security group or CA bundle fails the deployment instead.
for _ in $(seq 1 150); do
  if curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$port/healthcheck/"; then
    signal SUCCESS
    exit 0
  fi
  sleep 2
done
fail "the application did not answer /healthcheck/ within 5 minutes"
