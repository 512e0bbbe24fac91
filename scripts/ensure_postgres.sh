#!/usr/bin/env bash
# The PostgreSQL tests start a throwaway server of their own (tests/pgserver.py): they need
# PostgreSQL's server programs initdb and pg_ctl, not a running cluster. Find them (PG_BINDIR,
# else the newest /usr/lib/postgresql/*/bin); if they are missing and this is root with apt-get,
# install the Debian package `postgresql`; otherwise stop with a message saying what to do.
# Never a silent skip. The Debian cluster service is never started here, and never used.
set -euo pipefail

# Prints the folder holding initdb and pg_ctl, or nothing.
find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        if [ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ]; then
            echo "$PG_BINDIR"
        fi
        return 0
    fi
    local dir
    # Newest major version first (15 before 9.6: a version sort, not a text sort).
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
}

if [ -n "$(find_bindir)" ]; then
    exit 0
fi

if [ -n "${PG_BINDIR:-}" ]; then
    cat >&2 <<MESSAGE
error: PG_BINDIR=$PG_BINDIR has no executable initdb and pg_ctl.
  Point PG_BINDIR to the folder holding PostgreSQL's server programs (for example
  /usr/lib/postgresql/15/bin), or unset it to use Debian's /usr/lib/postgresql/*/bin.
MESSAGE
    exit 1
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "The PostgreSQL tests need PostgreSQL's server programs: installing Debian's package" \
        "(apt-get install -y --no-install-recommends postgresql)..."
    export DEBIAN_FRONTEND=noninteractive
    # A machine whose package lists were never fetched knows no `postgresql` yet: update, retry.
    apt-get install -y --no-install-recommends postgresql \
        || { apt-get update && apt-get install -y --no-install-recommends postgresql; } || true
    if [ -n "$(find_bindir)" ]; then
        exit 0
    fi
    echo "apt-get could not install postgresql (its messages are above)." >&2
fi

cat >&2 <<MESSAGE
error: the PostgreSQL tests need initdb and pg_ctl (in /usr/lib/postgresql/*/bin), and they
are not there.
  On Debian or Ubuntu, as root:   apt-get install -y --no-install-recommends postgresql
  (or with sudo:                  sudo apt-get install -y --no-install-recommends postgresql)
  With PostgreSQL elsewhere, point to its programs:   make test PG_BINDIR=/path/to/bin
The tests start their own throwaway server; no running cluster is needed or used.
MESSAGE
exit 1
