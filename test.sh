#!/usr/bin/env bash
# RxChat's test command (README, Quick start; CI runs it through .ci/run): installs what the tests need when it is
# missing, builds with warnings as errors, runs every test, and ends with one line "N passed, N failed" (and
# ", N skipped" where some were).
#
# Tests that need a program from outside .NET carry an NUnit category named for it; each category below names the
# commands it needs and the Debian packages that provide them. Installing needs root and apt-get; without them this
# says exactly what to install and runs the tests that need only the .NET SDK (dotnet test --filter "Category!=...").
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# category | commands it needs | Debian packages | system services the packages start (stopped again: the tests
# start their own servers on ephemeral loopback ports)
needs=(
  "Redis|redis-server|redis-server|redis-server"
  "OpenSsl|openssl|openssl|"
  "IrcClient|ii|ii|"
  "Browser|chromium,chromedriver|chromium,chromium-driver|"
)

say() { printf 'test.sh: %s\n' "$*" >&2; }

if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET SDK (dotnet) is not on PATH: install the .NET 10 SDK (https://dotnet.microsoft.com/download)"
  echo "0 passed, 1 failed"
  exit 1
fi

missing_commands() { local c; for c in $(tr ',' ' ' <<<"$1"); do command -v "$c" >/dev/null 2>&1 || printf '%s ' "$c"; done; }

can_install() { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; }

updated=no
excluded=()
for need in "${needs[@]}"; do
  IFS='|' read -r category commands packages services <<<"$need"
  [ -z "$(missing_commands "$commands")" ] && continue
  if can_install; then
    say "installing ${packages//,/ } (Debian) for the $category tests"
    if [ "$updated" = no ]; then apt-get update -qq >/dev/null 2>&1; updated=yes; fi
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages//,/ } >/dev/null 2>&1 ||
      say "apt-get install ${packages//,/ } failed"
    for service in $(tr ',' ' ' <<<"$services"); do
      { service "$service" stop || true; } >/dev/null 2>&1
    done
  fi
  still=$(missing_commands "$commands")
  if [ -n "$still" ]; then
    say "not running the $category tests: they need ${still% } (as root: apt-get install -y ${packages//,/ })"
    excluded+=("$category")
  fi
done

filter=""
for category in "${excluded[@]}"; do
  filter="${filter:+$filter&}Category!=$category"
done

dotnet restore || { echo "0 passed, 1 failed"; exit 1; }
dotnet build --no-restore -c Debug -warnaserror || { echo "0 passed, 1 failed"; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ -n "$filter" ]; then
  dotnet test --no-build --filter "$filter" 2>&1 | tee "$log"
else
  dotnet test --no-build 2>&1 | tee "$log"
fi
status=${PIPESTATUS[0]}

# Sum a count over every test project's summary line ("Passed!  - Failed: 0, Passed: 61, Skipped: 0, ...").
sum() { grep -E '^(Passed|Failed)! ' "$log" | grep -oE "$1: +[0-9]+" | awk '{ n += $2 } END { print n + 0 }'; }
passed=$(sum Passed); failed=$(sum Failed); skipped=$(sum Skipped)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

if [ -n "$filter" ]; then
  # The tests left out count as skipped, so that a partial run never reads as a full one.
  left=$(dotnet test --no-build --list-tests --filter "$(sed 's/!=/=/g; s/&/|/g' <<<"$filter")" 2>/dev/null |
    grep -cE '^    [^ ]')
  skipped=$((skipped + left))
  say "left out: ${excluded[*]} ($left tests); install what is named above to run them"
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
