#!/usr/bin/env bash
# Fresh-machine check: runs the README's quick start on a minimal Debian 12 made by debootstrap, as a
# new user would, and says which step failed. Root only (debootstrap, chroot, mounts).
#
#   bash scripts/fresh-check.sh [all|readme|worker]      (make fresh-check, make fresh-check-worker)
#
#   readme  a fresh root that has only what the README's "Quick start" asks for (python3, make, git):
#           a clean clone of HEAD in /root/poster-engine, then `make build`, then `make test`
#   worker  another fresh root: the build system packages (scripts/install-system-deps.sh build),
#           a venv with `pip install -c constraints.txt '.[distributed]'` (not editable), then
#           `dask worker --help` and `import distributed; from poster_engine.batch import executors`
#           from outside the clone
#
# Each step runs in `chroot` with a clean environment (env -i, HOME, PATH) and a time limit, its
# output shown and kept in $CACHE/runs/<date>/<step>.log; /proc, /sys, /dev, /dev/pts and /dev/shm
# are mounted for it and unmounted afterwards, even on failure or Ctrl-C. A root lives on a tmpfs
# (up to ~2 GB of memory), gone when unmounted; FRESH_KEEP=1 puts it on disk instead and keeps it
# for a look (chroot into it).
#
# The minimal root (debootstrap --variant=minbase + python3 make git, ~30 s to make) is cached as a
# tarball in $CACHE (default ~/.cache/poster-engine/fresh-check), remade after 30 days or with
# FRESH_REFRESH=1; each run unpacks a fresh copy of it.
#
# How the root reaches the package registries is copied from this machine, as a new machine on the
# same network would be set up: /etc/resolv.conf; the Debian mirror of this machine's apt sources
# (FRESH_MIRROR, FRESH_SECURITY_MIRROR override), written as a stock Debian 12 debian.sources
# (bookworm, bookworm-updates, bookworm-security); apt's proxy and Release-validity settings
# (`apt-config dump`); pip's index, proxy, timeout and certificate settings (`pip config list`, from
# pip.conf files and PIP_* variables; local file:// indexes left out) written to the root's
# /etc/pip.conf, with the certificate files they name; local CAs in /usr/local/share/ca-certificates;
# http(s)_proxy/no_proxy variables, passed to each step.
#
# Other settings: FRESH_AS_USER=1 runs the README's commands as a user who may sudo (sudo is then
# installed as a prerequisite) instead of root; FRESH_STEP_TIMEOUT (s, default 1800).
set -euo pipefail

what=${1:-all}
case "$what" in all|readme|worker) ;; *) echo "usage: $0 [all|readme|worker]" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "fresh-check: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$repo" rev-parse HEAD)
SUITE=bookworm
PREREQS="python3 make git"          # README, "Quick start": what a machine has before `make build`
[ "${FRESH_AS_USER:-0}" = 1 ] && PREREQS="$PREREQS sudo"
CACHE=${FRESH_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/poster-engine/fresh-check}
STEP_TIMEOUT=${FRESH_STEP_TIMEOUT:-1800}
PATH_IN_ROOT=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
start=$(date +%s)
mkdir -p "$CACHE/runs"

if [ -t 1 ]; then say() { printf '\033[1mfresh-check:\033[0m %s\n' "$*"; }; else say() { echo "fresh-check: $*"; }; fi
dur() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    say "uncommitted changes are not checked: the root gets a clone of HEAD ($commit)"
fi

# ---------------------------------------------------------------------------------------------
# Safety: mounts and processes under a root are undone before anything there is deleted.
roots=()
mounts_under() { awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r; }
release_root() {
    local r=$1 pid m
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
        case "$(readlink "/proc/$pid/root" 2>/dev/null)" in "$r"|"$r"/*) kill -KILL "$pid" 2>/dev/null || true ;; esac
    done
    for m in $(mounts_under "$r"); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}
remove_root() {  # never rm -rf a tree that still has a mount (a bind of /dev!) under it
    local r=$1
    release_root "$r"
    if [ -n "$(mounts_under "$r")" ]; then
        echo "fresh-check: $r still has mounts, not deleted:" >&2; mounts_under "$r" >&2
        return 1
    fi
    rm -rf --one-file-system "$r"
}
cleanup() {
    local rc=$? r
    for r in "${roots[@]}"; do
        if [ "${FRESH_KEEP:-0}" = 1 ] && [ -d "$r/etc" ]; then
            release_root "$r"; say "kept $r"
        else
            remove_root "$r" || true
        fi
    done
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# The host's registries.
host_uris=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
    | awk '/^[[:space:]]*(deb[[:space:]]|URIs:)/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) print $i }' || true)
MIRROR=${FRESH_MIRROR:-$(echo "$host_uris" | grep -E '/debian/?$' | head -n1 || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${FRESH_SECURITY_MIRROR:-$(echo "$host_uris" | grep -E '/debian-security/?$' | head -n1 || true)}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
proxy_env=()
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    [ -n "${!v:-}" ] && proxy_env+=("$v=${!v}")
done

configure_network() {  # copy how this machine reaches Debian and PyPI into root $1
    local r=$1 line key val w vals kept
    cat /etc/resolv.conf > "$r/etc/resolv.conf"
    cat > "$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    rm -f "$r/etc/apt/sources.list"
    apt-config dump 2>/dev/null \
        | grep -E '^Acquire::(https?|ftp)::Proxy|^Acquire::(Check-Valid-Until|Check-Date|Retries|ForceIPv4)' \
        > "$r/etc/apt/apt.conf.d/99host-network" || true
    if [ -d /usr/local/share/ca-certificates ]; then
        mkdir -p "$r/usr/local/share/ca-certificates"
        cp -a /usr/local/share/ca-certificates/. "$r/usr/local/share/ca-certificates/"
    fi
    declare -A pip=()
    while IFS= read -r line; do                  # scope.key='value', later scopes win
        key=${line#*.}; key=${key%%=*}; val=${line#*=\'}; val=${val%\'}
        case "$key" in
            index-url|extra-index-url)
                kept=""; for w in $val; do case "$w" in http://*|https://*) kept="$kept $w" ;; esac; done
                val=${kept# } ;;
            cert|client-cert)
                [ -f "$val" ] || continue
                mkdir -p "$r$(dirname "$val")"; cp -L "$val" "$r$val" ;;
            trusted-host|proxy|timeout|default-timeout|retries) ;;
            *) continue ;;
        esac
        [ -n "$val" ] && pip[$key]=$val
    done < <(python3 -m pip config list 2>/dev/null || true)
    { echo "# this machine's pip network settings, copied by scripts/fresh-check.sh"; echo "[global]"
      for key in "${!pip[@]}"; do echo "$key = ${pip[$key]}"; done; } > "$r/etc/pip.conf"
}

# ---------------------------------------------------------------------------------------------
# The cached minimal root.
key=$(echo "$SUITE minbase $PREREQS $MIRROR" | sha256sum | cut -c1-10)
tarball="$CACHE/debian-$SUITE-minbase-$key.tar"
make_tarball() {
    local tmp t0
    tmp=$(mktemp -d "$CACHE/debootstrap.XXXXXX"); roots+=("$tmp")
    command -v debootstrap >/dev/null 2>&1 || { say "installing debootstrap"; apt-get update -qq; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
    say "making the minimal root: debootstrap --variant=minbase --include=${PREREQS// /,} $SUITE ($MIRROR)"
    t0=$(date +%s)
    debootstrap --variant=minbase --include="${PREREQS// /,}" "$SUITE" "$tmp/root" "$MIRROR" \
        > "$CACHE/debootstrap.log" 2>&1 || { tail -n 30 "$CACHE/debootstrap.log"; say "debootstrap failed (log: $CACHE/debootstrap.log)"; exit 1; }
    release_root "$tmp/root"
    # what a Debian installer or image writes and debootstrap does not
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$tmp/root/etc/hosts"
    echo fresh > "$tmp/root/etc/hostname"
    rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*_*
    tar -C "$tmp/root" --numeric-owner -cf "$tmp/root.tar" .
    mv "$tmp/root.tar" "$tarball"
    say "minimal root made in $(dur $(($(date +%s) - t0))), cached: $tarball ($(du -h "$tarball" | cut -f1))"
    remove_root "$tmp"
}
exec 9> "$CACHE/.lock"   # one maker of the tarball at a time (worktrees share the cache)
flock 9
if [ "${FRESH_REFRESH:-0}" = 1 ] || [ -z "$(find "$tarball" -mtime -30 2>/dev/null)" ]; then
    rm -f "$tarball"
    find "$CACHE" -maxdepth 1 -name 'debian-*-minbase-*.tar' -mtime +30 -delete   # other, old keys
    make_tarball
fi
flock -u 9

# ---------------------------------------------------------------------------------------------
# Runs.
run_dir="$CACHE/runs/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$run_dir"
ls -1dt "$CACHE"/runs/*/ 2>/dev/null | tail -n +6 | while read -r old; do
    [ -z "$(mounts_under "${old%/}")" ] && rm -rf --one-file-system "${old%/}"
done
results=()
failed=""

new_root() {  # $1: name; sets $root, $home, $chroot_user, $run_env
    root="$run_dir/$1-root"; roots+=("$root")
    local t0; t0=$(date +%s)
    mkdir -p "$root"
    # in memory unless kept: unpacking, apt and pip are faster there, and deleting ~1.5 GB of files
    # from disk took a minute on the shared machine
    [ "${FRESH_KEEP:-0}" = 1 ] || mount -t tmpfs -o size=8g,mode=0755 fresh-root "$root"
    tar -C "$root" --numeric-owner -xpf "$tarball"
    configure_network "$root"
    # as the Debian installer does: the host name resolves (sudo asks); the root shares the host's
    printf '127.0.1.1\t%s\n' "$(cat /proc/sys/kernel/hostname)" >> "$root/etc/hosts"
    mount -t proc proc "$root/proc"
    mount --bind /sys "$root/sys"
    mount --bind /dev "$root/dev"
    mount --bind /dev/pts "$root/dev/pts"
    mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
    home=/root; chroot_user=()
    if [ "${FRESH_AS_USER:-0}" = 1 ] && [ "$1" = readme ]; then
        chroot "$root" useradd -m -s /bin/bash dev
        echo 'dev ALL=(ALL) NOPASSWD:ALL' > "$root/etc/sudoers.d/dev"; chmod 0440 "$root/etc/sudoers.d/dev"
        home=/home/dev; chroot_user=(--userspec=dev:dev)
    fi
    git clone -q --no-checkout "$repo" "$root$home/poster-engine"
    git -C "$root$home/poster-engine" checkout -q --detach "$commit"
    [ "$home" = /root ] || chroot "$root" chown -R dev:dev "$home/poster-engine"
    run_env=(env -i "HOME=$home" "PATH=$PATH_IN_ROOT" "${proxy_env[@]}")
    results+=("$(printf '%-44s %-6s %s' "$1: fresh root (cached tarball)" ok "$(dur $(($(date +%s) - t0)))")")
}

step() {  # $1: stage, $2: label, $3: shell command run in the clone inside the root
    local name=$1 label=$2 cmd=$3 t0 rc log
    [ -n "$failed" ] && return 0
    log="$run_dir/$name-$(echo "$label" | tr -cs 'a-zA-Z0-9' '-' | sed 's/-$//').log"
    say "[$name] $label"
    t0=$(date +%s)
    set +e
    timeout --kill-after=30 "$STEP_TIMEOUT" \
        chroot "${chroot_user[@]}" "$root" "${run_env[@]}" sh -c "cd $home/poster-engine && $cmd" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    local d; d=$(dur $(($(date +%s) - t0)))
    if [ "$rc" -eq 0 ]; then
        results+=("$(printf '%-44s %-6s %s' "$name: $label" ok "$d")")
    else
        [ "$rc" -eq 124 ] && rc="timeout after ${STEP_TIMEOUT}s"
        results+=("$(printf '%-44s %-6s %s  (exit %s; log %s)' "$name: $label" FAILED "$d" "$rc" "$log")")
        failed="$name: $label"; failed_log=$log
    fi
}

if [ "$what" = all ] || [ "$what" = readme ]; then
    new_root readme
    step readme "make build" "make build"
    step readme "make test" "make test"
    [ "${FRESH_KEEP:-0}" = 1 ] || remove_root "$root" || true
fi
if [ "$what" = all ] || [ "$what" = worker ]; then
    [ -n "$failed" ] || new_root worker
    step worker "system packages (build)" "sh scripts/install-system-deps.sh build"
    step worker "pip install '.[distributed]'" \
        "python3 -m venv /opt/worker && /opt/worker/bin/python -m pip install -q -c constraints.txt --upgrade pip \
         && /opt/worker/bin/python -m pip install -q -c constraints.txt '.[distributed]'"
    step worker "dask worker --help" "/opt/worker/bin/dask worker --help >/dev/null && echo 'dask worker --help: ok'"
    step worker "import distributed, executors" \
        "cd / && /opt/worker/bin/python -c 'import distributed; from poster_engine.batch import executors; print(\"distributed\", distributed.__version__, \"and\", executors.__name__, \"import\")'"
fi

total=$(dur $(($(date +%s) - start)))
verdict=$([ -z "$failed" ] && echo pass || echo "FAILED at $failed")
{
    echo
    echo "fresh-check $what of ${commit:0:10} on Debian $SUITE minbase + $PREREQS, $(date -u '+%Y-%m-%d %H:%M UTC'), $total: $verdict"
    printf '  %s\n' "${results[@]}"
} | tee "$run_dir/summary.txt"
cp "$run_dir/summary.txt" "$CACHE/last-result.txt"
if [ -n "$failed" ]; then
    echo
    say "$failed failed; the end of its log ($failed_log):"
    tail -n 25 "$failed_log" | sed 's/^/    /'
    exit 1
fi
