#!/bin/bash
# Boot script of a TechChallenge application instance, rendered into the launch template's
# UserData by `techchallenge` (Fn::Sub fills in the dollar-brace placeholders). It holds no
# secret and writes none: the application reads the database password from Secrets Manager with
# the instance role (kind "binary"), or the launcher passes it in the process environment only
# (kind "zip", the upstream 0.11.0 release, which cannot read Secrets Manager).
#
# Steps: fetch the build from the artifacts bucket, verify its SHA-256, install it, write a
# configuration without secrets, run `updatedb -s` (safe on every boot), run the app under
# systemd as an unprivileged, sandboxed user on 0.0.0.0:3000, and signal CloudFormation only once
# /healthcheck/ answers. TLS to the database is verified with the RDS CA bundle.
set -euo pipefail
exec > >(tee -a /var/log/techchallenge-boot.log) 2>&1

region='${AWS::Region}'
stack='${AWS::StackName}'
bucket='${ArtifactBucket}'
key='${AppArtifactKey}'
sha256='${AppArtifactSha256}'
kind='${AppArtifactKind}'
db_host='${DbHost}'
db_port='${DbPort}'
db_name='${DbName}'
db_secret='${DbSecretArn}'

# Test hooks: the boot test runs this script against a fake root with stubbed commands.
root=${!TECHCHALLENGE_ROOT:-}
imds=${!TECHCHALLENGE_IMDS:-http://169.254.169.254}
rds_ca_url=${!TECHCHALLENGE_RDS_CA_URL:-https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem}

app_home=$root/opt/techchallenge
token=$(curl -sf -X PUT "$imds/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/instance-id")

signal() {
  aws cloudformation signal-resource --region "$region" --stack-name "$stack" \
    --logical-resource-id AppGroup --unique-id "$instance_id" --status "$1" || true
}
trap 'signal FAILURE' ERR

id techchallenge >/dev/null 2>&1 ||
  useradd --system --home-dir /opt/techchallenge --shell /sbin/nologin techchallenge

# Fetch and verify the build; install it under its checksum so a rollback is a symlink away.
release=$app_home/releases/$sha256
install -d -m 0755 "$app_home/releases" "$release" "$app_home/etc"
download=$(mktemp)
aws s3 cp --region "$region" --only-show-errors "s3://$bucket/$key" "$download"
echo "$sha256  $download" | sha256sum --check --status ||
  { echo "checksum mismatch for s3://$bucket/$key" >&2; false; }
if [ "$kind" = zip ]; then
  command -v unzip >/dev/null || dnf install -y -q unzip
  unzip -q -o "$download" -d "$release"
  binary=$(find "$release" -name TechChallengeApp -type f | head -n 1)
else
  install -m 0755 "$download" "$release/TechChallengeApp"
  binary=$release/TechChallengeApp
fi
rm -f "$download"
ln -sfn "$release" "$app_home/current"
binary=/opt/techchallenge/current/${!binary#"$release/"}

# The RDS CA bundle, so the app verifies the database's certificate and name (verify-full).
curl -fsSL --retry 5 -o "$app_home/etc/rds-ca.pem" "$rds_ca_url"

# Configuration: no password in it.
cat > "$app_home/etc/conf.toml" <<CONF
"DbType" = "postgres"
"DbHost" = "$db_host"
"DbPort" = "$db_port"
"DbName" = "$db_name"
"DbSecretId" = "$db_secret"
"DbSslMode" = "verify-full"
"DbSslRootCert" = "/opt/techchallenge/etc/rds-ca.pem"
"ListenHost" = "0.0.0.0"
"ListenPort" = "3000"
CONF
chmod -R go-w "$app_home"

# Kind "zip" (0.11.0) cannot read Secrets Manager: its launcher fetches the password into the
# process environment, never onto disk.
launcher=""
if [ "$kind" = zip ]; then
  launcher=/opt/techchallenge/etc/launch
  cat > "$root$launcher" <<'LAUNCH'
#!/bin/bash
set -euo pipefail
secret=$(aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$DB_SECRET_ARN" \
  --query SecretString --output text)
VTT_DBUSER=$(jq -r .username <<<"$secret")
VTT_DBPASSWORD=$(jq -r .password <<<"$secret")
export VTT_DBUSER VTT_DBPASSWORD
unset secret
exec "$@"
LAUNCH
  chmod 0755 "$root$launcher"
  command -v jq >/dev/null || dnf install -y -q jq
fi

cat > "$root/etc/systemd/system/techchallenge.service" <<UNIT
[Unit]
Description=TechChallenge application
After=network-online.target
Wants=network-online.target

[Service]
User=techchallenge
Group=techchallenge
WorkingDirectory=/opt/techchallenge/etc
Environment=AWS_REGION=$region
Environment=DB_SECRET_ARN=$db_secret
ExecStartPre=$launcher $binary updatedb -s
ExecStart=$launcher $binary serve
Restart=always
RestartSec=2
TimeoutStopSec=40
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictSUIDSGID=yes
CapabilityBoundingSet=
AmbientCapabilities=
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now techchallenge.service

# Tell CloudFormation only once the application answers its health check.
for _ in $(seq 1 150); do
  if curl -sf -o /dev/null http://127.0.0.1:3000/healthcheck/; then
    signal SUCCESS
    exit 0
  fi
  sleep 2
done
echo "the application did not answer /healthcheck/ within 5 minutes" >&2
signal FAILURE
exit 1
