#!/bin/sh
# expect_run.sh success|failure PATTERN... -- COMMAND...
# Runs COMMAND and passes when it succeeds (or fails, as asked) and every
# extended regex PATTERN matches some line of its output. ctest's TIMEOUT
# bounds how long it may take: the fault tests are about failing, not hanging.
expected=$1
shift
patterns=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  patterns="$patterns
$1"
  shift
done
[ "$1" = "--" ] && shift
output=$("$@" 2>&1)
status=$?
printf '%s\n' "$output"
if [ "$expected" = success ] && [ $status -ne 0 ]; then
  echo "expect_run: expected success, got exit status $status"
  exit 1
fi
if [ "$expected" = failure ] && [ $status -eq 0 ]; then
  echo "expect_run: expected a failure, got exit status 0"
  exit 1
fi
failed=0
while IFS= read -r pattern; do
  [ -z "$pattern" ] && continue
  if ! printf '%s\n' "$output" | grep -Eq "$pattern"; then
    echo "expect_run: no output line matches '$pattern'"
    failed=1
  fi
done <<PATTERNS
$patterns
PATTERNS
[ $failed -eq 0 ] && echo "expect_run: $expected (exit status $status) as expected"
exit $failed
