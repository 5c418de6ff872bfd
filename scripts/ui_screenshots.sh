#!/usr/bin/env bash
# Copy the screenshots the browser tests saved (test-artifacts/ui/*.png) to docs/ui/, where
# docs/ui.md shows them. Run the browser tests first:
#     python -m pytest -m browser tests/web && scripts/ui_screenshots.sh
# Extra arguments name the screenshots to copy (e.g. "dashboard settings"); default: all.
set -euo pipefail
cd "$(dirname "$0")/.."
src=test-artifacts/ui
mkdir -p docs/ui
if [ "$#" -gt 0 ]; then
    names=("$@")
else
    shopt -s nullglob
    names=()
    for file in "$src"/*.png; do names+=("$(basename "$file" .png)"); done
fi
if [ "${#names[@]}" -eq 0 ]; then
    echo "no screenshots in $src: run 'python -m pytest -m browser tests/web' first" >&2
    exit 1
fi
for name in "${names[@]}"; do
    cp "$src/$name.png" "docs/ui/$name.png"
    echo "docs/ui/$name.png"
done
