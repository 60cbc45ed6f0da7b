# shellcheck shell=bash
# bin/lib.sh: shell helpers shared by bin/run.sh and bin/e2e.sh (sourced, not run).

# stop_pids PID...: stops each process in the reverse of the given order (the last
# started first): SIGTERM, up to 10 s to exit, then SIGKILL; reaps it.
stop_pids() {
    local pids=("$@") i pid
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid=${pids[$i]}
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
