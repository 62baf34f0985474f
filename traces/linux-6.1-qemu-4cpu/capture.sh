#!/usr/bin/env bash
# Capture the Linux 6.1 traces of this directory: Debian bookworm's own cloud kernel
# (6.1 LTS, no ipi_send_cpu/ipi_send_cpumask/csd events) under qemu-system-x86_64 (TCG,
# 4 CPUs), an initramfs of two static programs: init.c (this directory) and
# ../tlbstorm.c. The kernel package is downloaded and unpacked, never installed.
#
#   sudo traces/linux-6.1-qemu-4cpu/capture.sh [OUTDIR]
#
# Writes OUTDIR/MODE-4cpu-NPAGESpages.trace (munmap, mprotect, madvise at 4 pages,
# madvise at 64), OUTDIR/guest-facts.txt and OUTDIR/console.txt. Not run in CI.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-"$PWD/capture-6.1-$(date -u +%Y%m%d-%H%M%S)"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends qemu-system-x86 gcc libc6-dev cpio gzip

# The metapackage of bookworm itself (not backports) names the 6.1 image package.
image_pkg=$(apt-cache depends linux-image-cloud-amd64/bookworm 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$image_pkg" ] || image_pkg=$(apt-cache depends linux-image-cloud-amd64 |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
echo "== kernel $image_pkg"
(cd "$work" && apt-get download "$image_pkg/bookworm" 2>/dev/null || apt-get download "$image_pkg")
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
vmlinuz=$(find "$work/kernel/boot" -name 'vmlinuz-*' | head -n 1)
config=$(find "$work/kernel/boot" -name 'config-*' | head -n 1)
grep -E 'CONFIG_DEBUG_TLBFLUSH|CONFIG_FTRACE=|CONFIG_FUNCTION_GRAPH_TRACER' "$config" >"$out/kernel-config-excerpt.txt" || true

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
gcc -O2 -static -o "$root/init" "$here/init.c"
gcc -O2 -static -pthread -o "$root/bin/tlbstorm" "$here/../tlbstorm.c"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$work/initrd.gz"

events=tlb:tlb_flush,irq_vectors:call_function_entry,irq_vectors:call_function_exit
events=$events,irq_vectors:call_function_single_entry,irq_vectors:call_function_single_exit
events=$events,irq_vectors:reschedule_entry,irq_vectors:reschedule_exit,sched:sched_switch
cmdline="console=ttyS0 loglevel=4 panic=-1 rdinit=/init trace_event=$events"
cmdline="$cmdline trace_buf_size=16384K trace_clock=global"

echo "== boot (TCG, 4 CPUs on one host thread)"
serial="$work/serial1.txt"
# thread=single: the capture machine's two cores were shared; one host thread is enough.
# -cx16: QEMU 7.2's TCG mis-emulates cmpxchg16b (double faults in most boots).
timeout 1200 qemu-system-x86_64 -machine pc -accel tcg,thread=single -cpu qemu64,-cx16 -smp 4 -m 1024 \
	-kernel "$vmlinuz" -initrd "$work/initrd.gz" -append "$cmdline" \
	-display none -monitor none -no-reboot \
	-serial stdio -serial "file:$serial" </dev/null >"$out/console.txt" 2>&1 || true

tr -d '\r' <"$serial" | awk -v dir="$out" '
	$1 == "=====BEGIN" { name = $2; file = dir "/" name (name == "guest-facts" ? ".txt" : ".trace"); printf "" > file; next }
	$1 == "=====END" { close(file); file = ""; n++; next }
	file != "" { print > file }
	END { if (n < 5) { print "capture.sh: only " n " of 5 sections arrived; see console.txt" > "/dev/stderr"; exit 1 } }
'
ls -l "$out"
