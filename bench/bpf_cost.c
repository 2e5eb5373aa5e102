// Kernel-side cost of the tracer's state program, for bench/tracer-bench.sh and by hand (not a test).
// Loads a tracer object with libbpf exactly as the Java side does (a 4 MiB ring per CPU on 2 CPUs, or one
// 8 MiB ring for an object from before the per-CPU rings; 1 MiB wake-up threshold, default accept-pid
// mode, tp_btf program), drains the ring buffers on a thread (not merged by time), turns on
// BPF run-time statistics (BPF_ENABLE_STATS: for as long as this process holds the fd) and runs the
// churn. Prints the program's runs, ns per run and runs per connection from the kernel's own counters.
//   bpf_cost OBJECT CHURN COUNT [REPEATS]
//   bpf_cost OBJECT hold      attach and read (no statistics) until SIGINT/SIGTERM: the kernel side with a
//                             minimal C reader, as a tracer stand-in for the bench's saturation rounds.
//                             Prints "tracer attached", and records=E at exit.
// CT_MMAP=1: read like the Java reader (mapped, batch pause) instead of libbpf's ring_buffer__poll.
// CT_CLIENTS=N: the churn's connecting threads (default 1). CT_RING_BYTES, CT_WAKEUP_BYTES: sizes.
// Prints one line per repeat: rate=R runs=N ns_per_run=X runs_per_conn=Y ns_per_conn=Z records=E
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile int running = 1;
static long records;

static int on_record(void *ctx, void *data, size_t len)
{
	(void)ctx, (void)data, (void)len;
	records++;
	return 0;
}

/* The Java reader's loop (PerCpuRings + Tracer.readLoop) in C, without the merge by time: each ring
 * mapped and read in place; after a drain, sleep 10 ms if records are still arriving, else poll all
 * rings for a wake-up. CT_BATCH_CONSUMER=1: publish the consumer position once per drain, not per record. */
static int rb_fds[1024], nrings, rb_size, sleeping_fd = -1;
static void *drain_mmap(void *arg)
{
	(void)arg;
	long page = sysconf(_SC_PAGESIZE);
	int batch = getenv("CT_BATCH_CONSUMER") && atoi(getenv("CT_BATCH_CONSUMER"));
	volatile unsigned long *cons[1024];
	unsigned char *prodmap[1024];
	struct pollfd pfd[1024];
	for (int i = 0; i < nrings; i++) {
		cons[i] = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, rb_fds[i], 0);
		prodmap[i] = mmap(NULL, page + 2L * rb_size, PROT_READ, MAP_SHARED, rb_fds[i], page);
		pfd[i] = (struct pollfd){.fd = rb_fds[i], .events = POLLIN};
	}
	while (running) {
		int left = 0;
		for (int i = 0; i < nrings; i++) {
			volatile unsigned long *prod = (volatile unsigned long *)prodmap[i];
			unsigned long c = __atomic_load_n(cons[i], __ATOMIC_ACQUIRE), p;
			while ((p = __atomic_load_n(prod, __ATOMIC_ACQUIRE)) > c) {
				while (c < p) {
					unsigned int len = __atomic_load_n((unsigned int *)(prodmap[i] + page + (c & (rb_size - 1))),
									   __ATOMIC_ACQUIRE);
					if (len & (1u << 31))
						goto done;
					if (!(len & (1u << 30)))
						records++;
					c += ((len & ~(3u << 30)) + 8 + 7) & ~7UL;
					if (!batch)
						__atomic_store_n(cons[i], c, __ATOMIC_RELEASE);
				}
				__atomic_store_n(cons[i], c, __ATOMIC_RELEASE);
			}
done:
			__atomic_store_n(cons[i], c, __ATOMIC_RELEASE);
			left |= __atomic_load_n(prod, __ATOMIC_ACQUIRE) != c;
		}
		if (left) {
			usleep(10000);
		} else {
			__u32 zero = 0, one = 1; /* one wake-up for this sleep, as the Java reader asks */
			if (sleeping_fd >= 0)
				bpf_map_update_elem(sleeping_fd, &zero, &one, 0);
			poll(pfd, nrings, 100);
		}
	}
	return NULL;
}

static void *drain(void *arg)
{
	struct ring_buffer *rb = arg;
	__u32 zero = 0, one = 1;
	while (running) {
		ring_buffer__consume(rb);
		if (sleeping_fd >= 0) /* one wake-up for this sleep, as the Java reader asks */
			bpf_map_update_elem(sleeping_fd, &zero, &one, 0);
		ring_buffer__poll(rb, 100);
	}
	ring_buffer__consume(rb);
	return NULL;
}

static int prog_stats(int fd, __u64 *cnt, __u64 *ns)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return 0;
}

int main(int argc, char **argv)
{
	int hold = argc == 3 && strcmp(argv[2], "hold") == 0;
	if (argc < 4 && !hold) {
		fprintf(stderr, "usage: bpf_cost OBJECT CHURN COUNT [REPEATS] | bpf_cost OBJECT hold\n");
		return 2;
	}
	long count = hold ? 0 : atol(argv[3]);
	int repeats = argc > 4 ? atoi(argv[4]) : 3;
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		perror("open");
		return 1;
	}
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, strcmp(bpf_program__name(p), "ct_state_btf") == 0);
	struct bpf_map *events = bpf_object__find_map_by_name(obj, "events");
	int per_cpu = bpf_map__type(events) == BPF_MAP_TYPE_ARRAY_OF_MAPS;
	int ncpu = libbpf_num_possible_cpus();
	/* CT_RING_BYTES: the ring size (per CPU for a per-CPU object; default 8 MiB in all) */
	int ring_bytes = getenv("CT_RING_BYTES") ? atoi(getenv("CT_RING_BYTES")) : (per_cpu ? (8 << 20) / ncpu : 8 << 20);
	if (per_cpu) {
		/* the inner template as a real ring (libbpf 1.1 crashes on bpf_map__set_max_entries of its own) */
		int first = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ct_ring", 0, 0, ring_bytes, NULL);
		if (first < 0 || bpf_map__set_inner_map_fd(events, first)) {
			perror("inner ring");
			return 1;
		}
		rb_fds[0] = first;
		bpf_map__set_max_entries(events, 2 * ncpu); /* as the Java side: the accept exits' set after */
	} else {
		bpf_map__set_max_entries(events, ring_bytes);
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "load failed\n");
		return 1;
	}
	struct ring_buffer *rb;
	pthread_t t;
	if (per_cpu) {
		rb = NULL;
		for (int c = 0; c < ncpu; c++) {
			int fd = c == 0 ? rb_fds[0] : bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ct_ring", 0, 0, ring_bytes, NULL);
			if (fd < 0 || bpf_map_update_elem(bpf_map__fd(events), &c, &fd, 0)) {
				perror("ring");
				return 1;
			}
			if (!rb)
				rb = ring_buffer__new(fd, on_record, NULL, NULL);
			else
				ring_buffer__add(rb, fd, on_record, NULL);
			rb_fds[nrings++] = fd;
		}
	} else {
		rb = ring_buffer__new(bpf_map__fd(events), on_record, NULL, NULL);
		rb_fds[nrings++] = bpf_map__fd(events);
	}
	/* CT_WAKEUP_BYTES: the wake-up threshold (default the Java tracer's, 1 MiB; at most a quarter of a ring) */
	/* struct ct_config: wake-up threshold, exact mode, cpus (the accept exits' ring set starts there); an
	 * object from before the per-CPU rings reads only the first two */
	__u32 wakeup = getenv("CT_WAKEUP_BYTES") ? atoi(getenv("CT_WAKEUP_BYTES")) : 1024 * 1024;
	__u32 zero = 0, cfg[3] = {wakeup < (__u32)ring_bytes / 4 ? wakeup : (__u32)ring_bytes / 4, 0, (__u32)ncpu};
	struct bpf_map *config = bpf_object__find_map_by_name(obj, "config");
	if (config && bpf_map_update_elem(bpf_map__fd(config), &zero, cfg, 0)) {
		perror("config");
		return 1;
	}
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "ct_state_btf");
	struct bpf_link *link = bpf_program__attach(prog);
	if (!link) {
		fprintf(stderr, "attach failed\n");
		return 1;
	}
	rb_size = ring_bytes;
	struct bpf_map *sleeping = bpf_object__find_map_by_name(obj, "reader_sleeping");
	sleeping_fd = sleeping ? bpf_map__fd(sleeping) : -1;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (hold)
		pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the reader thread exists: it inherits the mask */
	pthread_create(&t, NULL, getenv("CT_MMAP") ? drain_mmap : drain, rb);
	if (hold) {
		printf("tracer attached\n");
		fflush(stdout);
		/* CT_TOGGLE_MS: detach and re-attach every so often, printing each switch's CLOCK_MONOTONIC time as
		 * `conntrail trace --toggle-attach` does (bench/tracer_toggle.py READER=c) */
		long toggle = getenv("CT_TOGGLE_MS") ? atol(getenv("CT_TOGGLE_MS")) : 0;
		struct timespec wait = {.tv_sec = toggle / 1000, .tv_nsec = toggle % 1000 * 1000000L};
		while (sigtimedwait(&set, NULL, toggle ? &wait : NULL) < 0) {
			struct timespec n;
			if (link) {
				bpf_link__destroy(link);
				link = NULL;
			} else if (!(link = bpf_program__attach(prog))) {
				fprintf(stderr, "re-attach failed\n");
				break;
			}
			clock_gettime(CLOCK_MONOTONIC, &n);
			printf("conntrail trace: %s at %lld\n", link ? "attached" : "detached", (long long)n.tv_sec * 1000000000LL + n.tv_nsec);
			fflush(stdout);
		}
		goto out;
	}
	int stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0) {
		perror("bpf_enable_stats");
		return 1;
	}
	char cmd[4096];
	/* CT_CLIENTS: the churn's connecting threads (default 1; 2 keeps both cores emitting at once) */
	snprintf(cmd, sizeof(cmd), "%s %ld 60 0 %d", argv[2], count, getenv("CT_CLIENTS") ? atoi(getenv("CT_CLIENTS")) : 1);
	for (int r = 0; r < repeats; r++) {
		__u64 c0, n0, c1, n1;
		prog_stats(bpf_program__fd(prog), &c0, &n0);
		long rec0 = records;
		FILE *f = popen(cmd, "r");
		char line[256] = "";
		if (!f || !fgets(line, sizeof(line), f)) {
			fprintf(stderr, "churn failed\n");
			return 1;
		}
		pclose(f);
		prog_stats(bpf_program__fd(prog), &c1, &n1);
		usleep(200000);
		const char *rate = strstr(line, "rate=");
		long conns = atol(strstr(line, "conns=") + 6);
		double runs = (double)(c1 - c0);
		printf("rate=%ld runs=%.0f ns_per_run=%.0f runs_per_conn=%.2f ns_per_conn=%.0f records=%ld\n",
		       rate ? atol(rate + 5) : 0, runs, (n1 - n0) / runs, runs / conns, (n1 - n0) / (double)conns,
		       records - rec0);
		fflush(stdout);
	}
	close(stats);
out:
	running = 0;
	pthread_join(t, NULL);
	if (hold)
		printf("records=%ld\n", records);
	if (link)
		bpf_link__destroy(link);
	bpf_object__close(obj);
	return 0;
}
