#!/usr/bin/env bash
# Structure checks that neither the type checker nor Biome makes, for src/ and
# tools/: no file over 700 lines (one job per file), no line over 120
# characters except lines holding a URL (the formatter does not break
# strings and comments). Prints every offence; exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
while IFS= read -r f; do
  n=$(wc -l < "$f")
  if [ "$n" -gt 700 ]; then
    echo "$f: $n lines (at most 700: split it by job)"
    status=1
  fi
done < <(find src tools -name '*.ts' | sort)

long=$(grep -rnE --include='*.ts' '^.{121,}$' src tools | grep -vE 'https?://' || true)
if [ -n "$long" ]; then
  echo "$long" | cut -c1-160 | sed 's/$/ ... (over 120 characters)/'
  status=1
fi
exit "$status"
