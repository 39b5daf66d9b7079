#!/usr/bin/env bash
# Writes out the service's declaration of its environment variables
# (src/config/variables.rs) where the rest of the repository reads it:
#   src/config/variables.txt   the names, one per line (scripts/run.sh passes these through)
#   README.md                  the Configuration table, between its two marker comments
# Both are the service's own output (`edge_service --print-env-spec[=markdown]`, built
# natively; the deployment tests check that the .wasm prints the same). Run it after
# changing the declaration; the service's unit tests fail until both files match it.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO_ROOT" || exit 1

build_native_service
spec() { "$(native_service_bin)" "$@" || die "edge_service $* failed (output above)"; }

step "Writing src/config/variables.txt and the README's Configuration table"
names="$(spec --print-env-spec)"
table="$(spec --print-env-spec=markdown)"
printf '%s\n' "$names" >src/config/variables.txt
TABLE="$table" python3 - README.md <<'PY' || die "README.md has no '<!-- edge_service --print-env-spec=markdown -->' block"
import os, sys
path = sys.argv[1]
begin = "<!-- edge_service --print-env-spec=markdown -->\n"
end = "<!-- end of edge_service --print-env-spec=markdown -->"
text = open(path, encoding="utf-8").read()
start, stop = text.index(begin) + len(begin), text.index(end)
open(path, "w", encoding="utf-8").write(text[:start] + os.environ["TABLE"] + "\n" + text[stop:])
PY
info "$(wc -l <src/config/variables.txt) variables; git diff shows what changed"
