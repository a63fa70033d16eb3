#!/bin/sh
# The man page must be mandoc -Tlint clean (warnings included).
out=$($MANDOC -Tlint -W warning privfsd.8 2>&1)
[ -z "$out" ] && exit 0
echo "$out"
exit 1
