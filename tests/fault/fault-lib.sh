# shellcheck shell=bash
# Helpers for the fault tests; sources tests/driver/lib-driver.sh (and so tests/lib.sh).
#
#   drv_start SOCK          start "vu-fault shell" on SOCK as a coprocess
#   drv CMD...              send one command, answer in ANS; 0 when it starts with "ok"
#   want_ok WHAT CMD...     the command must answer ok (else fail)
#   want_err ERR WHAT CMD...  it must answer "err ERR"
#   tree_pids PID           PID and every process below it
#   gone_within SECONDS PIDS  0 once none of PIDS is running (zombies count as gone)
#   privfsd_exit SECONDS    wait for the broker; sets BACKEND_STATUS ("exit N"/"running")
DRIVER_BACKEND=privfsd
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"

FAULT_BIN=${PRIVFSD_TESTS_BUILDDIR:-.}/fault/vu-fault
[ -x "$FAULT_BIN" ] || skip "no $FAULT_BIN"

drv_start() {
	coproc DRV { exec "$FAULT_BIN" --socket="$1" shell 2>"$T/drv.err"; }
	DRV_PID=$DRV_PID
	at_exit "kill $DRV_PID 2>/dev/null"
}

drv() {
	ANS=""
	echo "$*" >&"${DRV[1]}" 2>/dev/null || { ANS="bad driver gone"; return 1; }
	IFS= read -r -t 60 ANS <&"${DRV[0]}" || ANS="bad no answer to: $*"
	case $ANS in ok*) return 0 ;; *) return 1 ;; esac
}

# The value fields of the last answer: F1 F2 F3 after "ok" or "err NAME".
_fields() { set -- $ANS; shift; case $ANS in err*) shift ;; esac; F1=${1:-} F2=${2:-} F3=${3:-}; }

want_ok() {
	local what=$1
	shift
	drv "$@" || fail "$what: $* answered: $ANS"
	_fields
	echo "ok - $what"
}

want_err() {
	local err=$1 what=$2
	shift 2
	drv "$@"
	case $ANS in "err $err"|"err $err "*) ;; *) fail "$what: $* answered '$ANS', want err $err" ;; esac
	_fields
	echo "ok - $what (err $err)"
}

tree_pids() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END { for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q];
			if (q == root) print p } }'
}

gone_within() {
	local s=$1 p
	shift
	for p in "$@"; do dead "$p" "$s" || return 1; done
	return 0
}
