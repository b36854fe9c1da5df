# Sourced by bench scripts that charge a server for every process it runs.

# descendants PID: PID and every process below it (a cluster's detached workers, nginx's
# worker process), as a space-separated list.
descendants() {
  local all=" $1 " grew=1 pid ppid
  while ((grew)); do
    grew=0
    while read -r pid ppid; do
      if [[ "$all" == *" $ppid "* && "$all" != *" $pid "* ]]; then all+="$pid "; grew=1; fi
    done < <(ps -e -o pid=,ppid=)
  done
  echo $all
}

# cpu_ticks PID...: user + system clock ticks of the processes (those gone count 0).
cpu_ticks() {
  local p t=0
  for p in "$@"; do [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
  echo "$t"
}
