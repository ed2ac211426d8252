#!/usr/bin/env bash
# A try-out of FlashCache behind twemproxy (docs/TWEMPROXY.md): starts N
# FlashCache nodes and Debian's nutcracker in front of them, all on 127.0.0.1,
# prints how to connect, and stops everything on Ctrl-C.
#
#   npm run tryout:twemproxy                      # builds, then 3 nodes, data in a temporary directory
#   npm run tryout:twemproxy -- -n 4 -d ./shards  # 4 nodes, data kept in ./shards/node1..node4
#
# Options:
#   -n N      nodes (default 3)
#   -d DIR    directory for the nodes' data, their logs, nutcracker.yml and nutcracker.log
#             (default: a temporary directory, removed on exit; a given one is kept)
#   -p PORT   nutcracker's client port (default 22121)
#   -b PORT   node i listens on PORT+i (default 7000: 7001, 7002, ...)
#   -s PORT   nutcracker's stats port, JSON on connect (default 22222)
# Needs `npm run build` first (the npm script does it) and nutcracker (apt-get install nutcracker).
set -euo pipefail
cd "$(dirname "$0")/.."

nodes=3 dir="" proxy_port=22121 base_port=7000 stats_port=22222
while getopts "n:d:p:b:s:h" opt; do
  case "$opt" in
    n) nodes=$OPTARG ;;
    d) dir=$OPTARG ;;
    p) proxy_port=$OPTARG ;;
    b) base_port=$OPTARG ;;
    s) stats_port=$OPTARG ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done

nutcracker=$(command -v nutcracker || true)
[ -z "$nutcracker" ] && [ -x /usr/sbin/nutcracker ] && nutcracker=/usr/sbin/nutcracker
if [ -z "$nutcracker" ]; then
  echo "nutcracker is not installed: apt-get install nutcracker (Debian's twemproxy 0.5.0)" >&2
  exit 1
fi
[ -f dist/src/cli.js ] || { echo "dist/src/cli.js is missing: run npm run build first" >&2; exit 1; }

keep=1
if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/flashcache-twemproxy-XXXXXX")
  keep=0
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping nutcracker and ${nodes} nodes"
  # SIGTERM: each node takes a snapshot and exits; nutcracker exits at once.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$keep" = 0 ]; then rm -rf "$dir"; else echo "data kept in $dir"; fi
}
trap stop EXIT
trap 'exit 130' INT TERM

# Waits until 127.0.0.1:$1 answers PING with +PONG (sent as a RESP array: nutcracker reads no inline commands);
# fails at once, showing the end of its log $3, if process $2 has exited.
wait_pong() {
  for _ in $(seq 1 300); do
    if ! kill -0 "$2" 2>/dev/null; then
      echo "the process for port $1 exited; the end of $3:" >&2
      tail -n 5 "$3" >&2
      return 1
    fi
    if { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null; then
      printf '*1\r\n$4\r\nPING\r\n' >&3
      local line=""
      read -r -t 1 line <&3 || true
      exec 3>&-
      [ "${line%$'\r'}" = "+PONG" ] && return 0
    fi
    sleep 0.1
  done
  echo "nothing answers PING on port $1 (see the logs in $dir)" >&2
  return 1
}

servers=""
for i in $(seq 1 "$nodes"); do
  port=$((base_port + i))
  mkdir -p "$dir/node$i"
  node dist/src/cli.js --port "$port" --dir "$dir/node$i" >"$dir/node$i.log" 2>&1 &
  pids+=($!)
  # The name after the weight is what ketama hashes: the ring stays the same if addresses change.
  servers+="    - 127.0.0.1:${port}:1 node${i}"$'\n'
done
for i in $(seq 1 "$nodes"); do wait_pong $((base_port + i)) "${pids[$((i - 1))]}" "$dir/node$i.log"; done

cat >"$dir/nutcracker.yml" <<EOF
flashcache:
  listen: 127.0.0.1:${proxy_port}
  redis: true
  hash: fnv1a_64
  hash_tag: "{}"
  distribution: ketama
  auto_eject_hosts: true
  server_failure_limit: 2
  server_retry_timeout: 2000
  timeout: 2000
  servers:
${servers}
EOF
if ! out=$("$nutcracker" -t -c "$dir/nutcracker.yml" 2>&1); then echo "$out" >&2; exit 1; fi
"$nutcracker" -c "$dir/nutcracker.yml" -a 127.0.0.1 -s "$stats_port" -o "$dir/nutcracker.log" &
pids+=($!)
wait_pong "$proxy_port" "$!" "$dir/nutcracker.log"

cat <<EOF

nutcracker on 127.0.0.1:${proxy_port} in front of ${nodes} FlashCache nodes (127.0.0.1:$((base_port + 1))..$((base_port + nodes))).
Configuration: $dir/nutcracker.yml; logs: $dir/nutcracker.log, $dir/node<i>.log; data: $dir/node<i>.

  redis-cli -p ${proxy_port} SET greeting hello          # through the proxy
  redis-cli -p ${proxy_port} MGET greeting a b c         # split over the nodes, merged
  redis-cli -p $((base_port + 1)) DBSIZE                      # one node, directly
  curl -s --http0.9 127.0.0.1:${stats_port}              # nutcracker's stats (JSON)
  ioredis:    new Redis({ port: ${proxy_port}, protocol: 2, enableReadyCheck: false, disableClientInfo: true })
  node-redis: createClient({ socket: { port: ${proxy_port} }, disableClientInfo: true })

Ctrl-C stops everything.
EOF
# Returns when Ctrl-C arrives or a process exits; stop() then ends the others.
wait -n "${pids[@]}" || true
echo "a node or nutcracker exited (logs in $dir)" >&2
