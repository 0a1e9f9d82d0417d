#!/usr/bin/env bash
# known.sh: known.txt anew from the last run's results: its header, then each case
# that failed under ukmon (and was not listed before: listed ones are skipped, so they
# are carried over as they are, unless they passed) with its cause, from the trace of
# its run (busybox: the causes in its applet's trace). Review the diff before
# committing it.
# Usage: tests/realworld/known.sh BUILD_DIR > tests/realworld/known.txt
set -u
B=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
RES=$B/realworld/results
grep '^#' "$HERE/known.txt"
passed=$(cat "$RES"/*.counts 2>/dev/null | sed -n 's/^note \([^\t]*\)\t.*/\1/p')
{
    grep -v '^#' "$HERE/known.txt" | awk -F'\t' -v p="$passed" 'BEGIN { n = split(p, a, "\n"); for (i = 1; i <= n; i++) gone[a[i]] = 1 }
        !($1 in gone)'
    for f in "$RES"/*.counts; do
        grep '^fail ' "$f" | sed 's/^fail //' | while IFS=$'\t' read -r key why; do
            case $key in
                busybox:*)
                    a=${key#busybox: }
                    a=${a%%: *}
                    c=$(awk -F'\t' -v a="$a" '$1 == a { print $2 }' "$RES/busybox/causes.tsv" 2>/dev/null |
                        paste -sd';' - | sed 's/;/; /g')
                    case $why in TIMEOUT*) c="hang: the applet's time limit ran out${c:+; $c}" ;; esac
                    ;;
                *)
                    c=${why#*cause: }
                    [ "$c" = "$why" ] && c=$why
                    case $why in hangs*) [[ $c == hang* ]] || c="hang: $c" ;; esac
                    ;;
            esac
            printf '%s\t%s\n' "$key" "${c:-$why}"
        done
    done
} | awk -F'\t' '!seen[$1]++'
