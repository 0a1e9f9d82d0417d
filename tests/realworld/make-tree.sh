#!/bin/sh
# make-tree.sh: writes the small source tree that GNU make builds in the real-world suite
# and its benchmark: sh make-tree.sh DIR N   (N sources, at least 10; a Makefile with
# pattern rules, order-only prerequisites, generated rules ($(eval)), $(shell), and a
# sub-make through the jobserver). Recipes use busybox's applets only. `make` in DIR
# ends with all.sum, whose text depends on every source.
# shellcheck shell=sh
d=${1:?usage: make-tree.sh DIR N}
n=${2:-40}
mkdir -p "$d/src" "$d/sub" || exit 1
i=0
while [ $i -lt "$n" ]; do
    k=0 body=""
    while [ $k -lt 20 ]; do
        body="$body
line $k of source $i: the quick brown fox $(( (i * 31 + k * 7) % 97 ))"
        k=$((k + 1))
    done
    printf '%s\n' "$body" >"$d/src/$(printf '%03d' $i).txt"
    i=$((i + 1))
done
cat >"$d/Makefile" <<'MK'
# The tree of make-tree.sh. SHELL comes from the command line (make SHELL=/path/sh).
SRCS := $(sort $(wildcard src/*.txt))
OBJS := $(SRCS:src/%.txt=obj/%.o)
GROUPS := 0 1 2 3
HOSTNAME_LEN := $(shell printf 'abc' | wc -c)

all: all.sum sub/sub.sum

obj lib:
	mkdir -p $@

obj/%.o: src/%.txt | obj
	sed -e 's/[aeiou]/_/g' $< | sort | uniq -c | tr 'a-z' 'A-Z' >$@

define group_rule
lib/g$(1).lib: $$(filter obj/%$(1).o obj/%$(shell expr $(1) + 4).o obj/%$(shell expr $(1) + 8).o,$$(OBJS)) | lib
	cat $$^ | md5sum | cut -c1-16 >$$@
	echo "$$(words $$^) objects" >>$$@
endef
$(foreach g,$(GROUPS),$(eval $(call group_rule,$(g))))

all.sum: $(GROUPS:%=lib/g%.lib)
	cat $^ | sort | md5sum | cut -c1-32 >$@
	echo "$(words $(OBJS)) sources, shell says $(HOSTNAME_LEN)" >>$@

sub/sub.sum:
	$(MAKE) -C sub

clean:
	rm -rf obj lib all.sum sub/*.out sub/sub.sum
MK
cat >"$d/sub/Makefile" <<'MK'
OUTS := $(foreach i,1 2 3 4 5 6 7 8,$(i).out)
sub.sum: $(OUTS)
	cat $^ >$@
%.out:
	echo "part $*: $$(expr $* \* $*)" >$@
MK
