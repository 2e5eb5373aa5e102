// Loopback TCP churn for bench/tracer-bench.sh: one process, connecting threads and as many accepting
// threads. Each connection: connect, accept, client closes with SO_LINGER 0 (RST, so no TIME_WAIT
// exhausts the ephemeral ports), server closes. Bounded by count and time.
//   churn COUNT MAX_SECONDS [RATE_PER_SEC] [CLIENTS]   (rate 0: as fast as possible; CLIENTS connecting
//   threads, each with its own accepting thread, sharing COUNT and the rate; default 1)
// Prints: conns=N secs=S rate=R. Env CHURN_TICK_MS=T: also prints on stderr, every T ms, "tick MONO_NS STARTED CPU_NS"
// (CLOCK_MONOTONIC, connections started so far, this process's CPU time), for bench/tracer_toggle.py.
//   churn syscalls COUNT   an unrelated syscall-heavy loop (getppid), for the tax syscall tracepoints put
//                          on every syscall of the host (exact accept-pid mode). Prints: calls=N ns_per_call=X
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <stdatomic.h>

static int listener;
static long count;
static double max_secs, rate, start;
static atomic_long started;
static struct sockaddr_in a = {.sin_family = AF_INET};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *acceptor(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(listener, NULL, NULL);
		if (c < 0)
			return NULL;
		close(c);
	}
}

static void *ticker(void *arg)
{
	long step = (long)arg * 1000000L;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	for (;;) {
		t.tv_nsec += step;
		while (t.tv_nsec >= 1000000000L) {
			t.tv_nsec -= 1000000000L;
			t.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
		struct timespec n, cpu;
		clock_gettime(CLOCK_MONOTONIC, &n);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu); /* the BPF programs run in this process's context */
		fprintf(stderr, "tick %lld %ld %lld\n", (long long)n.tv_sec * 1000000000LL + n.tv_nsec, atomic_load(&started),
			(long long)cpu.tv_sec * 1000000000LL + cpu.tv_nsec);
	}
	return NULL;
}

/* Connects until COUNT connections are made by all clients together (or MAX_SECONDS pass); returns how many
 * this thread made. The rate is shared: connection k of all is due at start + k / rate. */
static void *client(void *arg)
{
	(void)arg;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	long mine = 0;
	for (;;) {
		long k = atomic_fetch_add(&started, 1);
		if (k >= count)
			break;
		double t0 = now();
		if (t0 - start > max_secs)
			break;
		if (rate > 0) {
			double due = start + k / rate;
			if (due > t0)
				usleep((useconds_t)((due - t0) * 1e6));
		}
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a))) {
			perror("connect");
			return (void *)-1;
		}
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
		mine++;
	}
	return (void *)mine;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: churn COUNT MAX_SECONDS [RATE] | churn syscalls COUNT\n");
		return 2;
	}
	if (strcmp(argv[1], "syscalls") == 0) {
		long calls = atol(argv[2]);
		double t0 = now();
		for (long i = 0; i < calls; i++)
			syscall(SYS_getppid); /* not cached by libc: a real syscall each time */
		printf("calls=%ld ns_per_call=%.1f\n", calls, (now() - t0) * 1e9 / calls);
		return 0;
	}
	count = atol(argv[1]);
	max_secs = atof(argv[2]);
	rate = argc > 3 ? atof(argv[3]) : 0;
	int clients = argc > 4 ? atoi(argv[4]) : 1;
	if (clients < 1 || clients > 16) {
		fprintf(stderr, "CLIENTS: 1..16\n");
		return 2;
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(listener, (struct sockaddr *)&a, sizeof(a)) || listen(listener, 4096) ||
	    getsockname(listener, (struct sockaddr *)&a, &len)) {
		perror("listen");
		return 1;
	}
	pthread_t t[32];
	for (int i = 0; i < clients; i++)
		pthread_create(&t[clients + i], NULL, acceptor, NULL);
	start = now();
	const char *tick = getenv("CHURN_TICK_MS");
	if (tick && atol(tick) > 0) {
		pthread_t tt;
		pthread_create(&tt, NULL, ticker, (void *)atol(tick));
		pthread_detach(tt);
	}
	for (int i = 0; i < clients; i++)
		pthread_create(&t[i], NULL, client, NULL);
	long n = 0;
	for (int i = 0; i < clients; i++) {
		void *r;
		pthread_join(t[i], &r);
		if (r == (void *)-1)
			return 1;
		n += (long)r;
	}
	double secs = now() - start;
	printf("conns=%ld secs=%.3f rate=%.0f\n", n, secs, n / secs);
	return 0;
}
