/*
 * /init of the initramfs that made traces/linux-6.1-qemu-4cpu/ (see capture.sh there).
 *
 * No shell and no busybox: this one static program mounts what it needs, runs
 * /bin/tlbstorm (traces/tlbstorm.c) once per workload with tracing on, and sends each
 * trace and a facts section to the second serial port between `=====BEGIN name` and
 * `=====END name` lines. Around each run it reads the kernel's own counters of remote
 * flushes, so the traces can be checked against the kernel:
 *   /proc/vmstat nr_tlb_remote_flush / nr_tlb_remote_flush_received (only with
 *   CONFIG_DEBUG_TLBFLUSH; "absent" otherwise),
 *   /proc/interrupts TLB row (flush_tlb_func run for another CPU) and CAL row.
 *
 * Build: gcc -O2 -static -o init init.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define T "/sys/kernel/tracing"
#define NCPU 4
#define ITERS 200

static FILE *facts;
static int out = -1;

static void fact(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(facts, fmt, ap);
	va_end(ap);
	fputc('\n', facts);
	fflush(facts);
}

/* The whole of a small file, newlines kept, or "" when it cannot be read. */
static char *slurp(const char *path)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	size_t n = 0;
	ssize_t r;
	buf[0] = 0;
	if (fd < 0)
		return buf;
	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd);
	return buf;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		fact("write %s failed: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* The first line of `text` that starts with `key`, without its newline. */
static void line_of(const char *text, const char *key, char *dst, size_t cap)
{
	const char *p = text;
	dst[0] = 0;
	while (p && *p) {
		const char *s = p;
		while (*s == ' ')
			s++;
		if (!strncmp(s, key, strlen(key))) {
			size_t n = strcspn(p, "\n");
			if (n >= cap)
				n = cap - 1;
			memcpy(dst, p, n);
			dst[n] = 0;
			return;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	snprintf(dst, cap, "%s absent", key);
}

static void counters(const char *when, const char *name)
{
	char a[256], b[256], c[512], d[512];
	char *vm = slurp("/proc/vmstat");
	line_of(vm, "nr_tlb_remote_flush ", a, sizeof a);
	line_of(vm, "nr_tlb_remote_flush_received", b, sizeof b);
	char *irq = slurp("/proc/interrupts");
	line_of(irq, "TLB:", c, sizeof c);
	line_of(irq, "CAL:", d, sizeof d);
	fact("run %s: %s: vmstat [%s] [%s] interrupts [%s] [%s]", name, when, a, b, c, d);
}

static void send(const char *name, const char *path)
{
	char buf[1 << 16];
	ssize_t r;
	int fd = open(path, O_RDONLY);
	dprintf(out, "=====BEGIN %s\n", name);
	while (fd >= 0 && (r = read(fd, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)r) < 0)
			break;
	if (fd >= 0)
		close(fd);
	dprintf(out, "=====END %s\n", name);
}

static void run(const char *mode, int npages)
{
	char name[64], arg_np[16], arg_it[16], arg_cpu[16], result[512];
	int pipefd[2];
	snprintf(name, sizeof name, "%s-%dcpu-%dpages", mode, NCPU, npages);
	snprintf(arg_np, sizeof arg_np, "%d", npages);
	snprintf(arg_it, sizeof arg_it, "%d", ITERS);
	snprintf(arg_cpu, sizeof arg_cpu, "%d", NCPU);
	put(T "/trace", "");
	put(T "/tracing_on", "1");
	counters("before", name);
	if (pipe(pipefd) != 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl("/bin/tlbstorm", "tlbstorm", mode, arg_np, arg_it, arg_cpu, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	ssize_t n = read(pipefd[0], result, sizeof result - 1);
	result[n > 0 ? n : 0] = 0;
	result[strcspn(result, "\n")] = 0;
	close(pipefd[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	counters("after", name);
	put(T "/tracing_on", "0");
	fact("run %s: cmd=[/bin/tlbstorm %s %d %d %d] result=[%s] status=%d", name, mode, npages, ITERS, NCPU,
	     result, status);
	for (int c = 0; c < NCPU; c++) {
		char path[128], e[128], o[128], dr[128];
		snprintf(path, sizeof path, T "/per_cpu/cpu%d/stats", c);
		char *s = slurp(path);
		line_of(s, "entries:", e, sizeof e);
		line_of(s, "overrun:", o, sizeof o);
		line_of(s, "dropped events:", dr, sizeof dr);
		fact("run %s: cpu%d [%s] [%s] [%s]", name, c, e, o, dr);
	}
	send(name, T "/trace");
}

int main(void)
{
	struct utsname u;
	char buf[1024];
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("tracefs", T, "tracefs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	out = open("/dev/ttyS1", O_WRONLY | O_NOCTTY);
	facts = fopen("/tmp/facts", "w+");
	if (out < 0 || !facts) {
		printf("init: no /dev/ttyS1 or /tmp: %s\n", strerror(errno));
		reboot(RB_POWER_OFF);
	}
	uname(&u);
	fact("uname -r: %s", u.release);
	fact("uname -a: %s %s %s %s %s", u.sysname, u.nodename, u.release, u.version, u.machine);
	fact("online: %s", strtok(slurp("/sys/devices/system/cpu/online"), "\n"));
	fact("cmdline: %s", strtok(slurp("/proc/cmdline"), "\n"));
	line_of(slurp("/proc/cpuinfo"), "model name", buf, sizeof buf);
	fact("cpu %s", buf);
	line_of(slurp("/proc/cpuinfo"), "flags", buf, sizeof buf);
	fact("cpu %s", buf);
	fact("tlb_single_page_flush_ceiling: %s",
	     strtok(slurp("/sys/kernel/debug/x86/tlb_single_page_flush_ceiling"), "\n"));
	fact("events enabled from kernel cmdline:\n%s", slurp(T "/set_event"));
	fact("trace_clock: %s", strtok(slurp(T "/trace_clock"), "\n"));
	fact("buffer_size_kb/cpu: %s", strtok(slurp(T "/buffer_size_kb"), "\n"));
	/* Which of the 6.4+ events this kernel has (none expected on 6.1). */
	{
		char *ev = slurp(T "/available_events");
		char *save, *l;
		fprintf(facts, "available ipi/csd/tlb events:");
		for (l = strtok_r(ev, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (!strncmp(l, "ipi:", 4) || !strncmp(l, "csd:", 4) || !strncmp(l, "tlb:", 4))
				fprintf(facts, " %s", l);
		fprintf(facts, "\n");
	}
	const char *modes[] = { "munmap", "mprotect", "madvise" };
	for (int m = 0; m < 3; m++)
		run(modes[m], 4);
	run("madvise", 64);
	fact("ALL DONE");
	fflush(facts);
	send("guest-facts", "/tmp/facts");
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
