#!/usr/bin/env bash
# Fails (and lists the files) when a C++ file of the project is not formatted by .clang-format.
# Fix with: git ls-files '*.cc' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=()
while IFS= read -r f; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done < <(git ls-files '*.cc' '*.h' 2>/dev/null || find libs services tools tests bench -name '*.cc' -o -name '*.h')
if [ ${#unformatted[@]} -gt 0 ]; then
  printf 'not clang-formatted (run clang-format -i on them):\n' >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  exit 1
fi
echo "every C++ file is clang-formatted"
