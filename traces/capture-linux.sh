#!/usr/bin/env bash
# Capture real Linux TLB-shootdown traces like traces/linux-6.12-qemu-4cpu/ on a fresh
# Debian 12 (bookworm) machine, from Debian packages only: the bookworm-backports cloud
# kernel (6.12, which has the ipi_send_* and csd:* events), qemu-system-x86 (TCG),
# busybox-static for the initramfs, and traces/tlbstorm.c as the workload.
#
#   sudo traces/capture-linux.sh [OUTDIR]
#
# Writes OUTDIR/MODE-4cpu-NPAGESpages.trace for MODE in munmap mprotect madvise and
# NPAGES in 4 64, and OUTDIR/guest-facts.txt. The host kernel is not changed: the guest
# kernel package is downloaded and unpacked, never installed. Not run in CI.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-"$PWD/capture-$(date -u +%Y%m%d-%H%M%S)"}
ncpu=4
iters=200
# The guest prints each trace between these lines on its second serial port.
begin_mark='=====BEGIN'
end_mark='=====END'

if [ "$(id -u)" -ne 0 ]; then
	echo "capture-linux.sh: run as root (it installs Debian packages)" >&2
	exit 2
fi
if ! grep -q '^VERSION_CODENAME=bookworm' /etc/os-release; then
	echo "capture-linux.sh: warning: written for Debian bookworm; continuing" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

echo "== packages"
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	echo 'deb http://deb.debian.org/debian bookworm-backports main' >/etc/apt/sources.list.d/backports.list
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q qemu-system-x86 busybox-static gcc libc6-dev cpio gzip

# The metapackage names the versioned image package (e.g. linux-image-6.12.x+bpo-cloud-amd64).
image_pkg=$(apt-cache -t bookworm-backports depends linux-image-cloud-amd64 |
	awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$image_pkg" ]; then
	echo "capture-linux.sh: no cloud kernel image in bookworm-backports" >&2
	exit 1
fi
echo "== kernel $image_pkg"
(cd "$work" && apt-get download -t bookworm-backports "$image_pkg")
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
vmlinuz=$(find "$work/kernel/boot" -name 'vmlinuz-*' | head -n 1)

echo "== workload and initramfs"
root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$root/bin/busybox"
gcc -O2 -static -pthread -o "$root/bin/tlbstorm" "$here/tlbstorm.c"

cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
T=/sys/kernel/tracing
# Facts are collected apart and sent last: the trace sections must not nest in them.
facts() { echo "\$*" >>/tmp/facts; }
facts "uname -r: \$(uname -r)"
facts "uname -a: \$(uname -a)"
facts "nproc: \$(nproc) online: \$(cat /sys/devices/system/cpu/online)"
facts "cmdline: \$(cat /proc/cmdline)"
facts "cpu model: \$(grep -m1 'model name' /proc/cpuinfo)"
facts "cpu flags: \$(grep -m1 '^flags' /proc/cpuinfo)"
facts "tlb_single_page_flush_ceiling: \$(cat /sys/kernel/debug/x86/tlb_single_page_flush_ceiling 2>/dev/null || echo unknown)"
facts "events enabled from kernel cmdline: \$(cat \$T/set_event | tr '\n' ' ')"
facts "trace_clock: \$(cat \$T/trace_clock) buffer_size_kb/cpu: \$(cat \$T/buffer_size_kb)"
for mode in munmap mprotect madvise; do
	for npages in 4 64; do
		name=\$mode-${ncpu}cpu-\${npages}pages
		echo > \$T/trace
		up0=\$(cut -d' ' -f1 /proc/uptime)
		result=\$(/bin/tlbstorm \$mode \$npages $iters $ncpu)
		up1=\$(cut -d' ' -f1 /proc/uptime)
		echo 0 > \$T/tracing_on
		stats=""
		for c in \$(seq 0 \$((\$(nproc) - 1))); do
			s=\$(grep -E '^(entries|overrun|dropped events):' \$T/per_cpu/cpu\$c/stats | tr '\n' ' ')
			stats="\$stats cpu\$c[\$s]"
		done
		facts "run \$name: cmd=[/bin/tlbstorm \$mode \$npages $iters $ncpu] result=[\$result] uptime \$up0 -> \$up1"
		facts "run \$name: per-cpu stats:\$stats"
		echo "$begin_mark \$name" >/dev/ttyS1
		cat \$T/trace >/dev/ttyS1
		echo "$end_mark \$name" >/dev/ttyS1
		facts "run \$name: dumped"
		echo 1 > \$T/tracing_on
	done
done
facts "ALL DONE"
echo "$begin_mark guest-facts" >/dev/ttyS1
cat /tmp/facts >/dev/ttyS1
echo "$end_mark guest-facts" >/dev/ttyS1
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) >"$work/initrd.gz"

events=tlb:tlb_flush,ipi:ipi_send_cpu,ipi:ipi_send_cpumask,ipi:ipi_raise,ipi:ipi_entry,ipi:ipi_exit
events=$events,csd:csd_queue_cpu,csd:csd_function_entry,csd:csd_function_exit
events=$events,irq_vectors:call_function_entry,irq_vectors:call_function_exit
events=$events,irq_vectors:call_function_single_entry,irq_vectors:call_function_single_exit
events=$events,irq_vectors:reschedule_entry,irq_vectors:reschedule_exit,sched:sched_switch
cmdline="console=ttyS0 loglevel=4 panic=-1 rdinit=/init no_hash_pointers trace_event=$events"
cmdline="$cmdline trace_buf_size=16384K trace_clock=global"

echo "== boot (TCG, $ncpu CPUs; a few minutes)"
serial="$work/serial1.txt"
# -cx16: QEMU 7.2's TCG mis-emulates cmpxchg16b (double faults in most boots).
timeout 1800 qemu-system-x86_64 -machine pc -accel tcg -cpu qemu64,-cx16 -smp "$ncpu" -m 1024 \
	-kernel "$vmlinuz" -initrd "$work/initrd.gz" -append "$cmdline" \
	-display none -monitor none -no-reboot \
	-serial stdio -serial "file:$serial" </dev/null >"$work/console.txt" 2>&1 || true

echo "== split"
tr -d '\r' <"$serial" | awk -v dir="$out" -v b="$begin_mark" -v e="$end_mark" '
	$1 == b { name = $2; file = dir "/" name (name == "guest-facts" ? ".txt" : ".trace"); printf "" > file; next }
	$1 == e { close(file); file = ""; n++; next }
	file != "" { print > file }
	END { if (n < 7) { print "capture-linux.sh: only " n " of 7 sections arrived; see the console log" > "/dev/stderr"; exit 1 } }
' || {
	cp "$work/console.txt" "$out/console.txt"
	exit 1
}
cp "$work/console.txt" "$out/console.txt"
echo "== done: $out"
ls -l "$out"
