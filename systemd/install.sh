#!/usr/bin/env bash
# Installs (or updates) liputan as a systemd service on Debian/Ubuntu.
# Idempotent: run it again after `git pull` to update the binary and the unit;
# an existing /etc/liputan/liputan.toml is never overwritten.
#
#   sudo systemd/install.sh                 # builds with cargo (as the invoking user)
#   sudo systemd/install.sh path/to/liputan # installs an already built binary
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo $0)" >&2
    exit 1
fi

BIN=/usr/local/bin/liputan
CONF_DIR=/etc/liputan
CONF=$CONF_DIR/liputan.toml
SRV=/srv/liputan
STATE=/var/lib/liputan

# 1. The binary: given, or built here (as the user who ran sudo, not as root).
src=${1:-}
if [ -z "$src" ]; then
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
        sudo -u "$SUDO_USER" -H bash -lc 'cargo build --release --locked'
    else
        cargo build --release --locked
    fi
    src=target/release/liputan
fi
[ -x "$src" ] || { echo "install.sh: $src is not an executable" >&2; exit 1; }
# ffmpeg: poster frames for videos (without it, videos get a placeholder).
if ! command -v ffmpeg >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg
fi
# Replace atomically: a running daemon keeps its old inode until restarted.
install -m 0755 "$src" "$BIN.new"
mv -f "$BIN.new" "$BIN"

# 2. The system user and group.
install -D -m 0644 systemd/liputan.sysusers /usr/lib/sysusers.d/liputan.conf
systemd-sysusers /usr/lib/sysusers.d/liputan.conf

# 3. Folders: the inbox is group-writable (setgid: dropped files stay group
#    liputan, readable by the daemon); the archive is the daemon's alone.
install -d -m 0755 -o root -g root "$SRV"
install -d -m 2775 -o liputan -g liputan "$SRV/inbox"
install -d -m 0750 -o liputan -g liputan "$SRV/archive"
install -d -m 0750 -o liputan -g liputan "$STATE"

# 4. Config: the documented default with production paths, once.
install -d -m 0750 -o root -g liputan "$CONF_DIR"
if [ ! -e "$CONF" ]; then
    tmp=$(mktemp)
    sed -e 's|^inbox = \["./inbox"\]$|inbox = ["/srv/liputan/inbox"]|' \
        -e 's|^archive = "./archive"$|archive = "/srv/liputan/archive"|' \
        -e 's|^data = "./data"$|data = "/var/lib/liputan"|' \
        config/liputan.toml >"$tmp"
    for key in 'inbox = \["/srv/liputan/inbox"\]' 'archive = "/srv/liputan/archive"' 'data = "/var/lib/liputan"'; do
        grep -q "^$key\$" "$tmp" || { echo "install.sh: config/liputan.toml changed; set [paths] by hand" >&2; rm -f "$tmp"; exit 1; }
    done
    install -m 0640 -o root -g liputan "$tmp" "$CONF"
    rm -f "$tmp"
    echo "install.sh: wrote $CONF (review [server] listen and [[replica]])"
else
    echo "install.sh: keeping the existing $CONF"
fi

# 5. inotify limits for many watched folders.
install -m 0644 systemd/liputan-sysctl.conf /etc/sysctl.d/60-liputan.conf
sysctl -q --load /etc/sysctl.d/60-liputan.conf || echo "install.sh: sysctl not applied (container?)" >&2

# 6. The service.
install -D -m 0644 systemd/INSTALL.md /usr/local/share/doc/liputan/INSTALL.md
install -m 0644 systemd/liputan.service /etc/systemd/system/liputan.service
systemctl daemon-reload
systemctl enable liputan.service
# restart, not start: picks up a new binary or unit on a re-run.
systemctl restart liputan.service
systemctl --no-pager status liputan.service || true
echo "install.sh: done. Logs: journalctl -u liputan -f"
