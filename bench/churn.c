// Loopback TCP churn for bench/tracer-bench.sh: one process, an accept thread and a connecting
// loop. Each connection: connect, accept, client closes with SO_LINGER 0 (RST, so no TIME_WAIT
// exhausts the ephemeral ports), server closes. Bounded by count and time.
//   churn COUNT MAX_SECONDS [RATE_PER_SEC]   (rate 0: as fast as possible)
// Prints: conns=N secs=S rate=R
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

static int listener;

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
	long count = atol(argv[1]);
	double max_secs = atof(argv[2]);
	double rate = argc > 3 ? atof(argv[3]) : 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(listener, (struct sockaddr *)&a, sizeof(a)) || listen(listener, 4096) ||
	    getsockname(listener, (struct sockaddr *)&a, &len)) {
		perror("listen");
		return 1;
	}
	pthread_t t;
	pthread_create(&t, NULL, acceptor, NULL);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	double start = now();
	long n = 0;
	for (; n < count; n++) {
		double t0 = now();
		if (t0 - start > max_secs)
			break;
		if (rate > 0) {
			double due = start + n / rate;
			if (due > t0)
				usleep((useconds_t)((due - t0) * 1e6));
		}
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a))) {
			perror("connect");
			return 1;
		}
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
	}
	double secs = now() - start;
	printf("conns=%ld secs=%.3f rate=%.0f\n", n, secs, n / secs);
	return 0;
}
