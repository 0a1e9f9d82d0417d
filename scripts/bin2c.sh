#!/bin/sh
# bin2c.sh NAME FILE: FILE's bytes as C source: const unsigned char NAME[], NAME_size.
set -eu
name=$1
file=$2
echo "/* Generated from $file by scripts/bin2c.sh: do not edit. */"
echo "#include <stddef.h>"
echo "const unsigned char ${name}[] = {"
od -An -v -tx1 "$file" | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1, /g' -e 's/, $/,/'
echo "};"
echo "const size_t ${name}_size = sizeof(${name});"
