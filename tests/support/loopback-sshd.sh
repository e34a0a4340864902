#!/usr/bin/env bash
# A private sshd on a loopback port, for tests, molecule and benchmarks that reach "desks" over real SSH.
# It never touches the system sshd: its own host key, its own authorized_keys, its own pid file.
#
#   tests/support/loopback-sshd.sh start STATE_DIR [PORT]   # prints the port; PORT defaults to a free one
#   tests/support/loopback-sshd.sh stop STATE_DIR
#   tests/support/loopback-sshd.sh vars STATE_DIR           # ansible connection vars, one per line (k=v)
#
# Files in STATE_DIR: id_ed25519 (client key), port, sshd.pid, sshd.log, sshd_config.
set -euo pipefail
cmd=${1:?usage: $0 start|stop|vars STATE_DIR [PORT]}
state=${2:?usage: $0 start|stop|vars STATE_DIR [PORT]}
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

case "$cmd" in
  start)
    [ -x "$sshd_bin" ] || { echo "sshd not found: install openssh-server (tests/tools/install-system-deps.sh)" >&2; exit 2; }
    mkdir -p "$state"
    state=$(cd "$state" && pwd)
    if [ -f "$state/sshd.pid" ] && kill -0 "$(cat "$state/sshd.pid")" 2>/dev/null; then
      cat "$state/port"; exit 0
    fi
    port=${3:-$(free_port)}
    [ -f "$state/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/host_ed25519"
    [ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/id_ed25519"
    cp "$state/id_ed25519.pub" "$state/authorized_keys"
    chmod 600 "$state/authorized_keys" "$state/id_ed25519"
    mkdir -p /run/sshd && chmod 0755 /run/sshd
    cat > "$state/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
HostKey $state/host_ed25519
PidFile $state/sshd.pid
AuthorizedKeysFile $state/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
MaxStartups 200:30:400
MaxSessions 200
LogLevel ERROR
Subsystem sftp internal-sftp
CFG
    "$sshd_bin" -f "$state/sshd_config" -E "$state/sshd.log"
    echo "$port" > "$state/port"
    for _ in $(seq 1 50); do
      if ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
          -i "$state/id_ed25519" -p "$port" "$(id -un)@127.0.0.1" true 2>/dev/null; then
        echo "$port"; exit 0
      fi
      sleep 0.1
    done
    echo "sshd did not accept a login on 127.0.0.1:$port; see $state/sshd.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$state/sshd.pid" ]; then
      kill "$(cat "$state/sshd.pid")" 2>/dev/null || true
      rm -f "$state/sshd.pid"
    fi
    ;;
  vars)
    state=$(cd "$state" && pwd)
    echo "ansible_connection=ssh"
    echo "ansible_host=127.0.0.1"
    echo "ansible_port=$(cat "$state/port")"
    echo "ansible_user=$(id -un)"
    echo "ansible_ssh_private_key_file=$state/id_ed25519"
    echo "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'"
    ;;
  *) echo "usage: $0 start|stop|vars STATE_DIR [PORT]" >&2; exit 2 ;;
esac
