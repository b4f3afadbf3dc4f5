#!/bin/sh
# Stand-in for the image's wait_on_mysql.sh: wait until the database named in db.env speaks its
# protocol, then exec the command given as arguments. busybox nc has no -z (lab-facts §9), so
# MySQL is ready when its greeting arrives (the server speaks first), PostgreSQL when it answers an
# SSLRequest (8 bytes: length 8, code 80877103) with 'S' or 'N'.
host="${WA_DB_HOSTNAME:?WA_DB_HOSTNAME is not set (db.env)}"
port="${WA_DB_PORT:?WA_DB_PORT is not set (db.env)}"
if command -v busybox >/dev/null 2>&1; then nc="busybox nc"; else nc="nc"; fi
probe() {
    case "$WA_DB_ENGINE" in
        PGSQL|pgsql) printf '\000\000\000\010\004\322\026\057' | timeout 3 $nc -w 2 "$host" "$port" 2>/dev/null | head -c 1 ;;
        *) timeout 3 $nc -w 2 "$host" "$port" </dev/null 2>/dev/null | head -c 1 ;;
    esac
}
echo "Waiting for database $host:$port ..."
tries=0
while [ -z "$(probe)" ]; do
    tries=$((tries + 1))
    if [ $((tries % 10)) -eq 0 ]; then echo "Still waiting for database $host:$port ($tries attempts)"; fi
    sleep 1
done
exec "$@"
