#!/usr/bin/env bash
# Make sure the system programs a make target needs are on this machine, before anything runs.
#
#   tools/ensure-deps.sh postgres           (make demo: the throwaway PostgreSQL of the live audit)
#   tools/ensure-deps.sh postgres chromium  (make test: also the headless browser of the HTML test)
#
# Why a script and not a README line: the README's two commands must work by themselves on a
# fresh machine. As root with apt-get, what is missing is installed from Debian's packages;
# otherwise the script stops before any test runs and prints the exact command to run.
# SCHEMA_AUDIT_TEST_DSN (a server you run) makes the local PostgreSQL binaries unnecessary.
set -euo pipefail

have_postgres() {
    if [ -n "${SCHEMA_AUDIT_TEST_DSN:-}" ]; then return 0; fi
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then return 0; fi
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then return 0; fi
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

have_chromium() {
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || command -v google-chrome >/dev/null 2>&1
}

missing=()
for need in "$@"; do
    case "$need" in
        postgres) have_postgres || missing+=("postgresql") ;;
        chromium) have_chromium || missing+=("chromium") ;;
        *) echo "ensure-deps: unknown dependency '$need'" >&2; exit 2 ;;
    esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing ${missing[*]} (Debian packages)" >&2
    apt-get update -qq >/dev/null
    # Debian's postgresql package would start a system cluster we do not use: the tests start
    # their own throwaway one. policy-rc.d keeps services from starting during the install.
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    status=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null || status=$?
    [ "$made_policy" = 1 ] && rm -f "$policy"
    if [ "$status" != 0 ]; then
        echo "ensure-deps: apt-get install ${missing[*]} failed (exit $status)" >&2
        exit 1
    fi
    exit 0
fi

echo "ensure-deps: missing ${missing[*]}. Install first, then run make again:" >&2
echo "    sudo apt-get install ${missing[*]}        # Debian/Ubuntu" >&2
case " ${missing[*]} " in
    *" postgresql "*) echo "    brew install postgresql                   # macOS (server binaries)" >&2
                      echo "  or point the tests at a server you run: SCHEMA_AUDIT_TEST_DSN=postgresql://…" >&2 ;;
esac
exit 1
