#!/bin/sh
# The PostgreSQL compose files name this script; the engine in db.env decides the probe.
exec "$(dirname "$0")/wait_on_mysql.sh" "$@"
