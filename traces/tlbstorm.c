/*
 * tlbstorm: make TLB shootdowns on purpose, for trace captures (see capture-linux.sh).
 *
 *   tlbstorm MODE NPAGES ITERS NCPU      MODE = munmap | mprotect | madvise
 *
 * The main thread is pinned to CPU 0 and maps NPAGES anonymous pages; one worker per
 * other CPU keeps touching them, so every CPU has the mm loaded and TLB entries for the
 * range. The main thread then repeats ITERS times a change that forces the kernel to
 * flush those entries on every worker's CPU:
 *   munmap:   munmap + mmap(MAP_FIXED) + memset  (workers may fault in the hole: SIGSEGV
 *             is caught and counted)
 *   mprotect: mprotect(PROT_READ) + mprotect(PROT_READ|PROT_WRITE) + memset (two flushes)
 *   madvise:  madvise(MADV_DONTNEED) + memset
 * Start and end markers go to /sys/kernel/tracing/trace_marker when it can be opened.
 * With NPAGES above tlb_single_page_flush_ceiling (33 by default) the kernel flushes the
 * whole TLB instead of page by page.
 *
 * Build: cc -O2 -static -pthread -o tlbstorm tlbstorm.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_CPUS 64

static volatile unsigned char *region;
static size_t region_len;
static atomic_int stop;
static atomic_ulong touches;
static atomic_ulong segvs;
static int marker_fd = -1;
static __thread sigjmp_buf fault_jump;
static __thread int in_worker;

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Not fatal: on a machine with fewer CPUs the run still makes shootdowns. */
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		fprintf(stderr, "tlbstorm: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
}

static void mark(const char *fmt, const char *mode, int npages, int iters, int ncpu)
{
	char buf[256];
	int n;
	if (marker_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), fmt, mode, npages, iters, ncpu);
	if (n > 0 && write(marker_fd, buf, (size_t)n) < 0)
		marker_fd = -1;
}

static void on_segv(int sig)
{
	(void)sig;
	/* Only a worker touching the munmap hole is expected to fault. */
	if (!in_worker)
		abort();
	siglongjmp(fault_jump, 1);
}

static void *worker(void *arg)
{
	int cpu = (int)(long)arg;
	volatile unsigned long local = 0;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	pin(cpu);
	in_worker = 1;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (sigsetjmp(fault_jump, 1)) {
			atomic_fetch_add(&segvs, 1);
			continue;
		}
		for (size_t off = 0; off < region_len; off += page) {
			(void)region[off];
			local++;
		}
		if ((local & 0xffff) == 0) {
			atomic_fetch_add(&touches, local);
			local = 0;
		}
	}
	atomic_fetch_add(&touches, local);
	return NULL;
}

static void *map_fixed(void *at)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0);
	void *p = mmap(at, region_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		perror("tlbstorm: mmap");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	pthread_t threads[MAX_CPUS];
	struct sigaction sa;
	struct timespec t0, t1;
	const char *mode;
	int npages, iters, ncpu;

	if (argc != 5) {
		fprintf(stderr, "usage: tlbstorm munmap|mprotect|madvise NPAGES ITERS NCPU\n");
		return 2;
	}
	mode = argv[1];
	npages = atoi(argv[2]);
	iters = atoi(argv[3]);
	ncpu = atoi(argv[4]);
	if (strcmp(mode, "munmap") && strcmp(mode, "mprotect") && strcmp(mode, "madvise")) {
		fprintf(stderr, "tlbstorm: unknown mode %s\n", mode);
		return 2;
	}
	if (npages < 1 || iters < 1 || ncpu < 2 || ncpu > MAX_CPUS) {
		fprintf(stderr, "tlbstorm: need NPAGES >= 1, ITERS >= 1, 2 <= NCPU <= %d\n", MAX_CPUS);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);

	marker_fd = open("/sys/kernel/tracing/trace_marker", O_WRONLY);
	pin(0);
	region_len = (size_t)npages * (size_t)sysconf(_SC_PAGESIZE);
	region = map_fixed(NULL);
	memset((void *)region, 1, region_len);

	for (int c = 1; c < ncpu; c++)
		pthread_create(&threads[c], NULL, worker, (void *)(long)c);
	/* Let every worker load the mm and fill its TLB before the first change. */
	usleep(20000);

	mark("tlbstorm start mode=%s npages=%d iters=%d ncpu=%d\n", mode, npages, iters, ncpu);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < iters; i++) {
		if (!strcmp(mode, "munmap")) {
			munmap((void *)region, region_len);
			map_fixed((void *)region);
		} else if (!strcmp(mode, "mprotect")) {
			mprotect((void *)region, region_len, PROT_READ);
			mprotect((void *)region, region_len, PROT_READ | PROT_WRITE);
		} else {
			madvise((void *)region, region_len, MADV_DONTNEED);
		}
		memset((void *)region, 1, region_len);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mark("tlbstorm end mode=%s npages=%d iters=%d ncpu=%d\n", mode, npages, iters, ncpu);

	atomic_store(&stop, 1);
	for (int c = 1; c < ncpu; c++)
		pthread_join(threads[c], NULL);
	printf("TLBSTORM mode=%s npages=%d iters=%d ncpu=%d elapsed_s=%.6f worker_touches=%lu worker_segv=%lu\n",
	       mode, npages, iters, ncpu,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       atomic_load(&touches), atomic_load(&segvs));
	return 0;
}
