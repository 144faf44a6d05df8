#!/bin/bash
# Boot script of a TechChallenge application instance, rendered into the launch template's
# UserData by `techchallenge` (Fn::Sub fills in the dollar-brace placeholders). It holds no
# secret: the database password is read from Secrets Manager by the launcher at start-up and
# lives only in the application's process environment.
set -euo pipefail
exec > >(tee -a /var/log/techchallenge-boot.log) 2>&1

region='${AWS::Region}'
stack='${AWS::StackName}'
imds=http://169.254.169.254/latest
token=$(curl -sf -X PUT "$imds/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/instance-id")

signal() {
  aws cloudformation signal-resource --region "$region" --stack-name "$stack" \
    --logical-resource-id AppGroup --unique-id "$instance_id" --status "$1" || true
}
trap 'signal FAILURE' ERR

dnf install -y -q jq unzip
id techchallenge >/dev/null 2>&1 ||
  useradd --system --home-dir /opt/techchallenge --shell /sbin/nologin techchallenge

install -d -m 0755 /opt/techchallenge
curl -fsSL --retry 5 -o /tmp/techchallenge.zip '${ReleaseUrl}'
unzip -q -o /tmp/techchallenge.zip -d /opt/techchallenge
rm -f /tmp/techchallenge.zip
app_dir=/opt/techchallenge/dist

# Configuration without the password.
cat > "$app_dir/conf.toml" <<CONF
"DbUser" = "postgres"
"DbName" = "${DbName}"
"DbPort" = "${DbPort}"
"DbHost" = "${DbHost}"
"DbType" = "postgres"
"ListenHost" = "0.0.0.0"
"ListenPort" = "3000"
CONF
chown -R root:techchallenge /opt/techchallenge
chmod -R g+rX,o-rwx /opt/techchallenge

# The launcher fetches the password with the instance role and passes it in the environment.
cat > /usr/local/bin/techchallenge-launch <<'LAUNCH'
#!/bin/bash
set -euo pipefail
secret=$(aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$DB_SECRET_ARN" \
  --query SecretString --output text)
VTT_DBUSER=$(jq -r .username <<<"$secret")
VTT_DBPASSWORD=$(jq -r .password <<<"$secret")
export VTT_DBUSER VTT_DBPASSWORD
unset secret
exec /opt/techchallenge/dist/TechChallengeApp "$@"
LAUNCH
chmod 0755 /usr/local/bin/techchallenge-launch

cat > /etc/systemd/system/techchallenge.service <<UNIT
[Unit]
Description=TechChallenge application
After=network-online.target
Wants=network-online.target

[Service]
User=techchallenge
Group=techchallenge
WorkingDirectory=$app_dir
Environment=AWS_REGION=$region
Environment=DB_SECRET_ARN=${DbSecretArn}
ExecStartPre=/usr/local/bin/techchallenge-launch updatedb -s
ExecStart=/usr/local/bin/techchallenge-launch serve
Restart=always
RestartSec=2
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
CapabilityBoundingSet=
LockPersonality=yes

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
