# dash-workload.sh: the dash workload of the real-world suite, run as `dash
# dash-workload.sh WORKDIR`: expansions, arithmetic, functions, traps, pipelines and
# subshells, here-documents, redirections, background jobs and wait, read, getopts,
# set -e/-u in subshells, signals to itself. Output is deterministic.
# It tries the shell's corners on purpose:
# shellcheck shell=sh disable=SC2145,SC2194,SC2046,SC2154,SC2071,SC2016,SC2034,SC2035
W=${1:?usage: dash dash-workload.sh WORKDIR}
cd "$W" || exit 1
say() { printf '%s\n' "$*"; }

# expansions
v=hello.world.txt
say "expand: ${v%.*} ${v%%.*} ${v#*.} ${v##*.} ${#v} ${unset:-dflt} ${v:+set}"
set -- a "b c" d
say "params: $# $1 $2 $3 [$*] [$@]"
for x in "$@"; do printf '<%s>' "$x"; done; echo
IFS=: read -r p1 p2 p3 <<EOT
one:two:three
EOT
say "read: $p1 $p2 $p3"
say "arith: $((7 * 6)) $((1 << 10)) $((-7 / 2)) $((-7 % 2)) $((0x1f)) $((010)) $(( (3 > 2) && (2 > 3) ))"
i=0; while [ $i -lt 5 ]; do i=$((i + 1)); done; say "while: $i"
case "abc.tar.gz" in *.tar.gz) say "case: tarball" ;; *) say "case: other" ;; esac
say "glob: $(echo *.none) $(set -f; echo *)"

# functions, locals, return codes
f() { local x=$1; x=$((x * 2)); echo "$x"; return 3; }
r=$(f 21); say "func: $r $?"
f 1 >/dev/null; say "status: $?"
g() { [ "$1" -gt 0 ] && { echo "$1"; g $(($1 - 1)); }; }
say "recursion: $(g 5 | tr '\n' ' ')"

# pipelines, subshells, command substitution
say "pipe: $(seq 1 100 | grep 7 | wc -l)"
(cd /; say "subshell: $(pwd)"); say "after: $([ "$(pwd)" = "$W" ] && echo back)"
x=$(echo outer $(echo inner $(echo deepest))); say "nested: $x"
say "pipestatus: $(false | true; echo $?) $(true | false; echo $?)"
out=$( { echo a; echo b >&2; } 2>&1 ); say "fd: $out" | tr '\n' ' '; echo

# here-documents and redirections
cat <<EOT >doc.txt
line 1 $v
	tabbed $((2 + 2))
EOT
cat <<-'EOT' >>doc.txt
	quoted $v
	EOT
say "heredoc: $(wc -l <doc.txt) $(tail -1 doc.txt)"
exec 3>fd3.txt; echo three >&3; exec 3>&-
say "exec fd: $(cat fd3.txt)"
{ echo first; echo second; } >group.txt; say "group: $(tr '\n' ' ' <group.txt)"
echo "noclobber" >nc.txt; (set -C; echo again >nc.txt) 2>/dev/null; say "set -C: $? $(cat nc.txt)"
say "missing: $(cat no-such-file 2>&1 >/dev/null | wc -l)"

# background jobs and wait
sleep 0.2 & p=$!
(exit 7) & q=$!
wait $q; rq=$?
wait $p; rp=$?
say "wait: $rq $rp"
for n in 1 2 3 4; do (echo "job $n" >job$n.txt) & done; wait
say "jobs: $(cat job1.txt job2.txt job3.txt job4.txt | wc -l)"

# traps and signals
trap 'say "trap: USR1"' USR1
kill -USR1 $$
trap - USR1
(trap 'echo "trap: EXIT in subshell"' EXIT; exit 0)
( sh -c 'kill -TERM $$'; say "killed: $?" )
t=$(dash -c 'trap "echo caught" INT; kill -INT $$; echo after' | tr '\n' ' '); say "trap INT: $t"

# getopts, set -e, set -u
parse() { OPTIND=1; while getopts "ab:c" o; do printf '%s%s ' "$o" "${OPTARG:-}"; unset OPTARG; done; shift $((OPTIND - 1)); echo "rest: $*"; }
say "getopts: $(parse -a -b val -c x y)"
(set -e; false; echo "not reached") ; say "set -e: $?"
(set -u; echo "$undefined_variable") 2>/dev/null; say "set -u: $?"
say "eval: $(eval 'a=1; b=2; echo $((a + b))')"
say "printf: $(printf '%05.2f|%-4s|%x|%c' 3.14159 ab 255 xyz)"
say "test: $([ -d . ] && echo dir) $([ -z "" ] && echo empty) $([ 3 -lt 10 ] && echo lt) $([ abc \< abd ] && echo lt2)"
say "command -v: $(command -v cat >/dev/null && echo found) $(command -v no-such-cmd || echo none)"
say "done"
