#!/usr/bin/env bash
# make run (bin/run.sh) as a person meets it: a busy port fails loudly, naming the port, and
# leaves nothing running; on a terminal (a pty from script(1)) Ctrl-C ends `make run` with
# exit 0 and a one-line summary, not make's "Interrupt".
# shellcheck source=tests/lib/helpers.sh
source "$(dirname "$0")/../lib/helpers.sh"

RUN=$ROOT/bin/run.sh
export BUILD

# A port something listens on: refused before anything starts.
start_bg listener python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(120)'
wait_until 10 test -s "$TMP/listener.out"
busy=$(cat "$TMP/listener.out")
rc=0
timeout 30 "$RUN" --port "$busy" >"$TMP/busy1.out" 2>"$TMP/busy1.err" </dev/null || rc=$?
check_eq "a port another process listens on: exit 1" 1 "$rc"
check "... and the reason on screen names the port" grep -q "port $busy is in use" "$TMP/busy1.err"
check "... and no success line" bash -c "! grep -q 'kgw-producer: http' '$TMP/busy1.out'"

# A port bound but not listening passes the first look; the producer's own bind fails, and
# run.sh must notice that its producer died rather than trust whatever answers.
start_bg binder python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True); time.sleep(120)'
wait_until 10 test -s "$TMP/binder.out"
bound=$(cat "$TMP/binder.out")
rc=0
timeout 60 "$RUN" --port "$bound" >"$TMP/busy2.out" 2>"$TMP/busy2.err" </dev/null || rc=$?
check_eq "a port the producer cannot bind: exit 1" 1 "$rc"
check "... naming the producer and quoting its fatal line" bash -c \
    "grep -q 'kgw-producer exited at startup' '$TMP/busy2.err' && grep -q 'port $bound: Address already in use' '$TMP/busy2.err'"
logs=$(sed -n 's/.*logs in \(.*\)$/\1/p' "$TMP/busy2.err")
check "... and the cluster it started is stopped" bash -c \
    "test -s '$logs/devcluster.out' && ! kcat -L -m 2 -b \"\$(head -1 '$logs/devcluster.out')\" >/dev/null 2>&1"

# Ctrl-C on a terminal, through make as `make run` runs it: script(1) gives the pty, and a
# ^C byte written to it is the terminal's SIGINT to its foreground process group.
port=$(free_port)
printf 'run:\n\t@%s --port %s\n' "$RUN" "$port" >"$TMP/run.mk"
mkfifo "$TMP/tty.in"
exec {tty}<>"$TMP/tty.in"
# A background job of a script starts with SIGINT ignored, which no shell can undo: reset it,
# as a terminal's login shell would have it.
start_bg pty env --default-signal=INT script -qefc "make -s -f '$TMP/run.mk' run; echo EXIT=\$?" /dev/null <&"$tty"
check "make run comes up on a terminal" wait_until 60 grep -q 'Ctrl-C stops all three' "$TMP/pty.out"
r=$(curl -s -H 'Content-Type: application/json' "http://127.0.0.1:$port/produce" \
    -d '{"topic":"events","key":"k1","payload":{"hello":"world"}}')
check "a record goes in" grep -q '"success":true' <<<"$r"
check "... and reaches the simulator" wait_until 30 grep -q 'webhook-simulator received' "$TMP/pty.out"
printf '\003' >&"$tty"
check "Ctrl-C ends it" wait_until 30 grep -q 'EXIT=' "$TMP/pty.out"
tr -d '\r' <"$TMP/pty.out" >"$TMP/screen.txt"
check_eq "make run's exit status after Ctrl-C" "EXIT=0" "$(grep -o 'EXIT=[0-9]*' "$TMP/screen.txt")"
check "no 'Interrupt' from make" bash -c "! grep -q 'Interrupt' '$TMP/screen.txt'"
check "one summary line with the counts" \
    grep -Eq '^make run: stopping\.\.\. stopped after [0-9]+ s: records: 1 produced, 1 delivered to the simulator; logs in ' "$TMP/screen.txt"
check "the port is free again" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null"
exec {tty}>&-
finish
