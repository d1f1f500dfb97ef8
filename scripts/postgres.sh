#!/usr/bin/env bash
# A PostgreSQL server for the storage tests and CI, owned by an unprivileged user, listening
# on loopback only; prints the test database's URL on stdout (everything else on stderr).
#
# Idempotent: installs Debian's postgresql when no server binaries are found, creates the
# cluster in .venv/pg/ once, starts it when it is not running, and creates the test role
# and database when missing. initdb refuses to run as root, so as root the cluster belongs
# to a system user (rlsiron-pg) created for it. The superuser is reached only through the
# cluster's private socket directory (peer authentication); the test role logs in over TCP
# with a password generated once and kept in .venv/pg/password.
#
#   scripts/postgres.sh        ensure the server and print the URL
#   scripts/postgres.sh stop   stop the server if it runs (before removing .venv)
#   RLSIRON_PG_PORT            the port (default 54329, away from a system server's 5432)
set -euo pipefail

action="${1:-start}"
case "$action" in
  start | stop) ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

repo="$(cd "$(dirname "$0")/.." && pwd)"
port="${RLSIRON_PG_PORT:-54329}"
root="$repo/.venv/pg"
data="$root/data"
sockets="$root/run"
log="$root/server.log"
password_file="$root/password"
role=rlsiron_test
database=rlsiron_test
system_user=rlsiron-pg

say() { echo "postgres.sh: $*" >&2; }

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

server_bindir() {
  # The newest installed major version that has the server binaries.
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; fi
}

install_server() {
  # postgresql-common first, so that the package's own cluster on port 5432 is not created:
  # this script's cluster is the only one the tests need.
  say "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends postgresql-common >&2
  $sudo sed -i 's/^#\?\s*create_main_cluster\s*=.*/create_main_cluster = false/' \
    /etc/postgresql-common/createcluster.conf
  $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
}

mkdir -p "$repo/.venv"
# Two test runs starting at once must not both run initdb. The server must not inherit the
# lock's descriptor (9>&- where it starts), or it would hold the lock for its lifetime.
exec 9>"$repo/.venv/pg.lock"
flock 9

bindir="$(server_bindir)"
if [ "$action" = stop ] && { [ -z "$bindir" ] || [ ! -s "$data/postmaster.pid" ]; }; then
  exit 0  # nothing runs
fi
if [ -z "$bindir" ]; then
  install_server
  bindir="$(server_bindir)"
fi
if [ -z "$bindir" ]; then
  say "no PostgreSQL server binaries under /usr/lib/postgresql after installing"
  exit 1
fi

owner="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  owner="$system_user"
  if ! id -u "$owner" >/dev/null 2>&1; then
    say "creating the system user $owner"
    useradd --system --user-group --no-create-home --home-dir "$root" \
      --shell /usr/sbin/nologin "$owner"
  fi
fi

as_owner() {
  # Run in the cluster's directory: the owner may not be able to read the caller's.
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$root" && runuser -u "$owner" -- "$@")
  else
    (cd "$root" && "$@")
  fi
}

if [ "$action" = stop ]; then
  if as_owner "$bindir/pg_ctl" --pgdata="$data" status >/dev/null 2>&1; then
    say "stopping the server"
    as_owner "$bindir/pg_ctl" --pgdata="$data" --wait --silent stop >&2
  fi
  exit 0
fi

mkdir -p "$root"
if [ "$(id -u)" -eq 0 ]; then chown "$owner:" "$root"; fi
chmod 700 "$root"
if ! as_owner test -x "$root"; then
  say "$owner cannot reach $root: every directory above it must be searchable (chmod o+x)"
  exit 1
fi

if [ ! -s "$data/PG_VERSION" ]; then
  say "creating the cluster in $data"
  as_owner "$bindir/initdb" --pgdata="$data" --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >&2
fi

if ! as_owner "$bindir/pg_ctl" --pgdata="$data" status >/dev/null 2>&1; then
  say "starting the server on 127.0.0.1:$port"
  as_owner mkdir -p "$sockets"
  as_owner chmod 700 "$sockets"
  if ! as_owner "$bindir/pg_ctl" --pgdata="$data" --log="$log" --wait --silent \
    --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$sockets" \
    start >&2 9>&-; then
    say "the server did not start; the end of $log:"
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
fi

# A server started earlier on another port keeps it; the URL names the port it listens on.
running_port="$(as_owner sed -n 4p "$data/postmaster.pid")"
if [ "$running_port" != "$port" ]; then
  say "the server is already running on port $running_port (not $port); using it"
  port="$running_port"
fi

if [ ! -s "$password_file" ]; then
  (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$password_file")
fi
password="$(cat "$password_file")"

# The role's password is (re)set on every run, so a lost password file heals itself.
as_owner "$bindir/psql" --host="$sockets" --port="$port" --dbname=postgres --quiet \
  --no-psqlrc --set=ON_ERROR_STOP=1 --set=password="$password" >&2 <<SQL
SELECT 'CREATE ROLE $role LOGIN CREATEDB'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') \gexec
ALTER ROLE $role PASSWORD :'password';
SELECT 'CREATE DATABASE $database OWNER $role'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$database') \gexec
SQL

echo "postgresql+psycopg://$role:$password@127.0.0.1:$port/$database"
