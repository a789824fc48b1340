#!/usr/bin/env bash
# Self-test of scripts/check-includes: runs it on small fake trees in a
# temporary directory and asserts on its exit status and output.  Not a
# Check suite: the checker is a script, and so is its test.
# Usage: tests/check_includes.sh   (exit 0 when every case passes)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
checker=$here/scripts/check-includes
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# A tree that keeps the rule: one file per module, each including what it may.
make_good_tree() {
    local t=$1
    mkdir -p "$t"/{base,model,symbolizer,output,agent,hooks,tests,scripts,build}
    echo '#include <stdint.h>'                 > "$t/base/leaf.h"
    echo '#include "model/other.h"'            > "$t/model/kinds.h"
    echo '/* plain data */'                    > "$t/model/other.h"
    printf '#include "base/leaf.h"\n#include "symbolizer/sym.h"\n' > "$t/symbolizer/sym.c"
    echo '#include "base/leaf.h"'              > "$t/symbolizer/sym.h"
    printf '#include "sink.h"\n#include "model/kinds.h"\n#include "symbolizer/sym.h"\n' \
                                               > "$t/output/render.c"
    echo '/* sink */'                          > "$t/output/sink.h"
    printf '#include "agent/agent.h"\n#include "output/sink.h"\n' > "$t/agent/dumpwriter.c"
    printf '#include "model/kinds.h"\n#include <pthread.h>\n' > "$t/agent/agent.h"
    echo '#include "agent/agent.h"'            > "$t/hooks/mutex.c"
    echo '#include "output/anything.h"'        > "$t/tests/check_x.c"
    echo '#include "output/nothing.h"'         > "$t/build/gen.c"
    mkdir -p "$t/.ci"
    echo '#include "output/sink.h"'            > "$t/.ci/hidden.c"
}

# expect NAME TREE STATUS PATTERN...: runs the checker on TREE and wants
# exit STATUS and every PATTERN (an extended regex) to match a line.
expect() {
    local name=$1 tree=$2 want=$3
    shift 3
    local out rc
    out=$("$checker" "$tree" 2>&1)
    rc=$?
    local ok=1
    [ "$rc" -eq "$want" ] || { ok=0; echo "   exit $rc, wanted $want"; }
    for pat in "$@"; do
        printf '%s\n' "$out" | grep -Eq -- "$pat" ||
            { ok=0; echo "   no line matches: $pat"; }
    done
    if [ $ok -eq 1 ]; then
        echo "ok   $name"
    else
        echo "FAIL $name"
        printf '%s\n' "$out" | sed 's/^/   | /'
        failed=$((failed + 1))
    fi
}

# 1. A clean tree passes.
good=$tmp/good
make_good_tree "$good"
expect clean_tree_passes "$good" 0 'every include allowed'

# 2. One bad include: agent/ (not the dump writer) reaching into output/.
bad=$tmp/bad
make_good_tree "$bad"
printf '#include "agent/agent.h"\n#include "output/sink.h"\n' > "$bad/agent/lockprof.c"
expect bad_include_reported "$bad" 1 \
    '^agent/lockprof\.c:2: includes output/sink\.h: agent/ may include agent/, model/, base/, symbolizer/ \(see docs/architecture\.md\)$' \
    '^check-includes: 1 problem in '
out=$("$checker" "$bad")
[ "$(printf '%s\n' "$out" | grep -c ': includes ')" -eq 1 ] ||
    { echo "FAIL bad_include_only_one_line"; failed=$((failed + 1)); }

# 3. An include of a file the tree does not have.
missing=$tmp/missing
make_good_tree "$missing"
echo '#include "base/gone.h"' > "$missing/base/other.c"
expect missing_file_reported "$missing" 1 '^base/other\.c:1: includes base/gone\.h: no such file in the tree'

# 4. Hooks may include only the umbrella header.
hooks=$tmp/hooks
make_good_tree "$hooks"
echo '/* internal */' > "$hooks/agent/internal.h"
echo '#include "agent/internal.h"' > "$hooks/hooks/cond.c"
expect hook_reaching_past_umbrella "$hooks" 1 '^hooks/cond\.c:1: includes agent/internal\.h: hooks/ may include agent/agent\.h '

# 5. A project header spelt with <...> is still checked; model/ stays a leaf.
angled=$tmp/angled
make_good_tree "$angled"
echo '#include <base/leaf.h>' > "$angled/model/snapshot.h"
expect angled_project_include "$angled" 1 '^model/snapshot\.h:1: includes base/leaf\.h: model/ may include model/ '

# 6. A source file in a directory the rule does not know.
stray=$tmp/stray
make_good_tree "$stray"
mkdir -p "$stray/render"
echo '/* new module */' > "$stray/render/x.c"
expect unknown_directory_reported "$stray" 1 '^render/x\.c: not in any directory of the include rule'

# 7. model/ is plain data: a .c file there is reported.
code=$tmp/code
make_good_tree "$code"
echo '#include "model/kinds.h"' > "$code/model/kinds.c"
expect code_in_model_reported "$code" 1 '^model/kinds\.c: code in model/, which holds plain data in headers only'

if [ $failed -ne 0 ]; then
    echo "check_includes: $failed failed"
    exit 1
fi
echo "check_includes: all passed"
