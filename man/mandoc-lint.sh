#!/bin/sh
# The man pages must be mandoc -Tlint clean (warnings included).
out=$($MANDOC -Tlint -W warning privfsd.8 privfsd.conf.5 2>&1)
[ -z "$out" ] && exit 0
echo "$out"
exit 1
