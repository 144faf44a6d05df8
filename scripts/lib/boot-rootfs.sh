#!/usr/bin/env bash
# Builds the root file system the boot tests start instances from (crates/system-tests/tests/
# boot_systemd.rs): Debian bookworm with systemd 252 (the version Amazon Linux 2023 ships), bash,
# curl, coreutils and useradd, plus the AWS CLI from PyPI (Debian's is too old to read
# AWS_ENDPOINT_URL; Amazon Linux has AWS CLI v2 preinstalled). Kept in target/boot-rootfs (inside
# the clone); rebuilt only when missing or when this script changes. Run as root.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rootfs=$repo_root/target/boot-rootfs
stamp=$rootfs/.techchallenge-rootfs
want=$(sha256sum "${BASH_SOURCE[0]}" | cut -d ' ' -f 1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "boot rootfs: up to date at $rootfs"
  exit 0
fi

rm -rf "$rootfs" "$rootfs.partial"
mkdir -p "$repo_root/target"
echo "boot rootfs: debootstrap into $rootfs (about a minute)"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,curl,ca-certificates,python3,python3-venv,passwd \
  bookworm "$rootfs.partial" http://deb.debian.org/debian >"$repo_root/target/boot-rootfs.log" 2>&1 || {
  tail -20 "$repo_root/target/boot-rootfs.log" >&2
  exit 1
}
cp /etc/resolv.conf "$rootfs.partial/etc/resolv.conf"
# pip inside the chroot trusts what this machine trusts (a proxy's CA, if any), for the install only.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs.partial/tmp/host-ca.crt"
chroot "$rootfs.partial" python3 -m venv /opt/awscli
# A clean environment: requests prefers REQUESTS_CA_BUNDLE (set on some hosts) over pip's --cert.
chroot "$rootfs.partial" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  PIP_CERT=/tmp/host-ca.crt /opt/awscli/bin/pip install -q --disable-pip-version-check 'awscli==1.38.*'
rm -f "$rootfs.partial/tmp/host-ca.crt"
ln -sf /opt/awscli/bin/aws "$rootfs.partial/usr/local/bin/aws"
# What an instance has that a fresh debootstrap lacks: a machine id is made at first boot; no
# getty on the console (nspawn's console is the test's log).
rm -f "$rootfs.partial/etc/machine-id"
chroot "$rootfs.partial" systemctl mask console-getty.service getty@.service >/dev/null 2>&1 || true
echo "$want" >"$rootfs.partial/.techchallenge-rootfs"
mv "$rootfs.partial" "$rootfs"
echo "boot rootfs: built at $rootfs ($(du -sh "$rootfs" | cut -f 1))"
