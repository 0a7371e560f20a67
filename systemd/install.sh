#!/usr/bin/env bash
# Installs (or updates) liputan as a systemd service on Debian/Ubuntu.
# Idempotent: run it again after `git pull` to update the binary and the unit;
# an existing /etc/liputan/liputan.toml is never overwritten.
#
#   sudo systemd/install.sh                 # builds with cargo (as the invoking user)
#   sudo systemd/install.sh path/to/liputan # installs an already built binary
set -euo pipefail
# A relative binary path is the caller's, not the repository's: resolve it
# before changing directory.
src=${1:-}
if [ -n "$src" ]; then
    src=$(realpath -m -- "$src")
fi
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
if [ -z "$src" ]; then
    if [ ! -f Cargo.toml ]; then
        echo "install.sh: no Cargo.toml here; give the path of a built binary" >&2
        exit 1
    fi
    if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
        sudo -u "$SUDO_USER" -H bash -lc 'cargo build --release --locked'
    else
        cargo build --release --locked
    fi
    src=target/release/liputan
fi
[ -x "$src" ] || { echo "install.sh: $src is not an executable" >&2; exit 1; }
# ffmpeg: poster frames for videos (without it, videos get a placeholder, so a
# failure here is a warning). A fresh cloud or container image has empty apt
# lists ("Unable to locate package ffmpeg"), an old one stale lists (404s):
# update them first if apt does not know ffmpeg, and once more on failure.
apt_ffmpeg() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg
}
if ! command -v ffmpeg >/dev/null; then
    if command -v apt-get >/dev/null; then
        if ! apt-cache show ffmpeg >/dev/null 2>&1; then
            apt-get update || true
        fi
        apt_ffmpeg || { apt-get update && apt_ffmpeg; } ||
            echo "install.sh: ffmpeg not installed; videos get a placeholder poster" >&2
    else
        echo "install.sh: no apt-get; install ffmpeg by hand for video posters" >&2
    fi
fi
# Replace atomically: a running daemon keeps its old inode until restarted.
install -m 0755 "$src" "$BIN.new"
mv -f "$BIN.new" "$BIN"

# 2. The system user and group.
#    The folders below are chowned to it, so it must exist before step 3.
#    systemd-sysusers is in the systemd package; where it is missing (a
#    container image without systemd) fall back to useradd with the same fields.
install -D -m 0644 systemd/liputan.sysusers /usr/lib/sysusers.d/liputan.conf
if command -v systemd-sysusers >/dev/null; then
    systemd-sysusers /usr/lib/sysusers.d/liputan.conf
else
    getent group liputan >/dev/null || groupadd --system liputan
    getent passwd liputan >/dev/null ||
        useradd --system --gid liputan --home-dir "$STATE" --no-create-home \
            --shell /usr/sbin/nologin --comment "liputan media ingest and archive" liputan
fi
getent passwd liputan >/dev/null || { echo "install.sh: user liputan was not created" >&2; exit 1; }

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
#    The drop-in applies at every boot; applying it now fails in a container
#    (read-only /proc/sys), which is only a warning.
install -D -m 0644 systemd/liputan-sysctl.conf /etc/sysctl.d/60-liputan.conf
if command -v sysctl >/dev/null; then
    sysctl -q --load /etc/sysctl.d/60-liputan.conf 2>/dev/null ||
        echo "install.sh: sysctl not applied now (container?); it applies at boot" >&2
fi

# 6. The service.
install -D -m 0644 systemd/INSTALL.md /usr/local/share/doc/liputan/INSTALL.md
install -D -m 0644 systemd/liputan.service /etc/systemd/system/liputan.service
# `systemctl enable` works offline (it only makes the symlink); daemon-reload
# and restart need a running systemd, which a chroot (image build, rescue) or a
# container without systemd as PID 1 does not have: there, the service starts
# at the next boot. /run/systemd/system is systemd's own "booted" test.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable liputan.service
    # restart, not start: picks up a new binary or unit on a re-run.
    if ! systemctl restart liputan.service; then
        systemctl --no-pager status liputan.service || true
        journalctl --no-pager -u liputan.service -n 30 || true
        echo "install.sh: liputan did not start (see above)" >&2
        exit 1
    fi
    systemctl --no-pager status liputan.service || true
    echo "install.sh: done. Logs: journalctl -u liputan -f"
else
    systemctl enable liputan.service
    echo "install.sh: systemd is not running here; liputan.service is enabled and starts at boot"
fi
