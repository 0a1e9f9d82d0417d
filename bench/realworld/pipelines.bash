# pipelines.bash: the realworld benchmark's shell script: 100 small pipelines of busybox
# applets (2-3 processes each, some with a bash subshell), run by bash-static, on the
# host and under ukmon, where every process is a VM. Its output goes to /dev/null.
seq 1 50 | grep 7 | wc -l
echo 'hello world 1' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 2 | sort | head -1
seq 161 | awk '{s += $1} END {print s}'
echo 4 | sed 's/[0-9]/x/g' | rev
seq 1 235 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 7 * 7 )) | md5sum | cut -c1-8
seq 146 | paste -sd+ | bc
echo 9 | xargs printf '%05d\n'
seq 1 220 | grep 7 | wc -l
echo 'hello world 11' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 12 | sort | head -1
seq 131 | awk '{s += $1} END {print s}'
echo 14 | sed 's/[0-9]/x/g' | rev
seq 1 205 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 17 * 17 )) | md5sum | cut -c1-8
seq 116 | paste -sd+ | bc
echo 19 | xargs printf '%05d\n'
seq 1 190 | grep 7 | wc -l
echo 'hello world 21' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 22 | sort | head -1
seq 101 | awk '{s += $1} END {print s}'
echo 24 | sed 's/[0-9]/x/g' | rev
seq 1 175 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 27 * 27 )) | md5sum | cut -c1-8
seq 86 | paste -sd+ | bc
echo 29 | xargs printf '%05d\n'
seq 1 160 | grep 7 | wc -l
echo 'hello world 31' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 32 | sort | head -1
seq 71 | awk '{s += $1} END {print s}'
echo 34 | sed 's/[0-9]/x/g' | rev
seq 1 145 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 37 * 37 )) | md5sum | cut -c1-8
seq 56 | paste -sd+ | bc
echo 39 | xargs printf '%05d\n'
seq 1 130 | grep 7 | wc -l
echo 'hello world 41' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 42 | sort | head -1
seq 241 | awk '{s += $1} END {print s}'
echo 44 | sed 's/[0-9]/x/g' | rev
seq 1 115 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 47 * 47 )) | md5sum | cut -c1-8
seq 226 | paste -sd+ | bc
echo 49 | xargs printf '%05d\n'
seq 1 100 | grep 7 | wc -l
echo 'hello world 51' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 52 | sort | head -1
seq 211 | awk '{s += $1} END {print s}'
echo 54 | sed 's/[0-9]/x/g' | rev
seq 1 85 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 57 * 57 )) | md5sum | cut -c1-8
seq 196 | paste -sd+ | bc
echo 59 | xargs printf '%05d\n'
seq 1 70 | grep 7 | wc -l
echo 'hello world 61' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 62 | sort | head -1
seq 181 | awk '{s += $1} END {print s}'
echo 64 | sed 's/[0-9]/x/g' | rev
seq 1 55 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 67 * 67 )) | md5sum | cut -c1-8
seq 166 | paste -sd+ | bc
echo 69 | xargs printf '%05d\n'
seq 1 240 | grep 7 | wc -l
echo 'hello world 71' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 72 | sort | head -1
seq 151 | awk '{s += $1} END {print s}'
echo 74 | sed 's/[0-9]/x/g' | rev
seq 1 225 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 77 * 77 )) | md5sum | cut -c1-8
seq 136 | paste -sd+ | bc
echo 79 | xargs printf '%05d\n'
seq 1 210 | grep 7 | wc -l
echo 'hello world 81' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 82 | sort | head -1
seq 121 | awk '{s += $1} END {print s}'
echo 84 | sed 's/[0-9]/x/g' | rev
seq 1 195 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 87 * 87 )) | md5sum | cut -c1-8
seq 106 | paste -sd+ | bc
echo 89 | xargs printf '%05d\n'
seq 1 180 | grep 7 | wc -l
echo 'hello world 91' | tr a-z A-Z | cut -d' ' -f2
printf '%s\n' c b a 92 | sort | head -1
seq 91 | awk '{s += $1} END {print s}'
echo 94 | sed 's/[0-9]/x/g' | rev
seq 1 165 | tail -3 | tr '\n' ' '
printf 'a b\nc d\n' | while read x y; do echo $y$x; done | sort -r
echo $(( 97 * 97 )) | md5sum | cut -c1-8
seq 76 | paste -sd+ | bc
echo 99 | xargs printf '%05d\n'
echo done
