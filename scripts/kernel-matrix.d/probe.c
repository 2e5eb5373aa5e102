// SPDX-License-Identifier: Apache-2.0
/*
 * kernel-matrix probe: for every program of every BPF object named on the command line, on the
 * running kernel: does it load (alone: only its autoload on), does it attach, and does it produce
 * output. Built static by scripts/kernel-matrix so the same binary runs on the host and inside a
 * minimal guest (busybox initramfs).
 *
 * Nothing here names a program: each program is tried as its section says.
 *   - tracepoint / tp_btf on inet_sock_set_state (the tracer's state programs): attached with the
 *     object's rings and config set up as the Java side does (Tracer.java, EventRings.java), then a
 *     loopback TCP connection (127.0.0.1, and ::1 when IPv6 is up) must come out of the rings as
 *     CONNECT, ACCEPT and two CLOSEs (bpf/tracer.h).
 *   - the accept()/accept4() exit tracepoints: only emit in exact accept-pid mode, for an ACCEPT the
 *     state program held; so the events check loads each with a state program of the same object
 *     and expects the ACCEPT, with our pid, in the accept exits' rings.
 *   - iterators: a link, then one pass read; output must not be empty. iter/task_file and iter/task
 *     output in bpf/sockiter.h's layout is also searched for our own listening socket / process.
 *   - anything else: load and attach only.
 *
 * Output, one tab-separated line each:
 *   kmatrix-info  <key>  <value>
 *   kmatrix-row   <object>  <program>  <section>  <loads yes|no>  <attaches yes|no|->  <events yes|no|n.a.>  <note>
 *   kmatrix-log   <object>  <program>  <libbpf / verifier log line>      (the tail of a failure's log)
 * Exit status: 0 when every row was produced (refusals are results), 1 on the probe's own failures.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tracer.h"
#include "sockiter.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

#define RING_BYTES (1u << 20) /* EventRings.MIN_DEFAULT_BYTES: any power of two the kernel takes will do */
#define LOG_TAIL_LINES 40

/* ---- libbpf's log, captured per attempt ---- */

static char *logbuf;
static size_t loglen, logcap;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	char line[8192];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (loglen + n + 1 > logcap) {
		if (logcap >= (16u << 20))
			return 0; /* enough */
		size_t cap = logcap ? logcap * 2 : 65536;
		while (cap < loglen + n + 1)
			cap *= 2;
		char *p = realloc(logbuf, cap);
		if (!p)
			return 0;
		logbuf = p;
		logcap = cap;
	}
	memcpy(logbuf + loglen, line, n);
	loglen += n;
	logbuf[loglen] = 0;
	return 0;
}

static void log_reset(void)
{
	loglen = 0;
	if (logbuf)
		logbuf[0] = 0;
}

/* Copies s into out (size n), without tabs or newlines and trimmed. */
static void clean(char *out, size_t n, const char *s, size_t len)
{
	size_t j = 0;
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	for (size_t i = 0; i < len && j + 1 < n; i++)
		out[j++] = (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') ? ' ' : s[i];
	while (j && out[j - 1] == ' ')
		j--;
	out[j] = 0;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Lines of the captured log, as [start, end) offsets. */
struct lines {
	size_t n;
	size_t *start, *end;
};

static struct lines split_log(void)
{
	struct lines l = {0};
	size_t cap = 0;
	size_t i = 0;
	while (logbuf && i < loglen) {
		size_t e = i;
		while (e < loglen && logbuf[e] != '\n')
			e++;
		if (l.n == cap) {
			cap = cap ? cap * 2 : 256;
			l.start = realloc(l.start, cap * sizeof(size_t));
			l.end = realloc(l.end, cap * sizeof(size_t));
			if (!l.start || !l.end) {
				fprintf(stderr, "probe: out of memory\n");
				exit(1);
			}
		}
		l.start[l.n] = i;
		l.end[l.n] = e;
		l.n++;
		i = e + 1;
	}
	return l;
}

static void line_text(const struct lines *l, size_t k, char *out, size_t n)
{
	const char *s = logbuf + l->start[k];
	size_t len = l->end[k] - l->start[k];
	if (len >= 8 && starts(s, "libbpf: ")) {
		s += 8;
		len -= 8;
	}
	clean(out, n, s, len);
}

/* Verifier log lines that only summarise. */
static bool verifier_noise(const char *t)
{
	return !*t || starts(t, "processed ") || starts(t, "verification time") || starts(t, "stack depth") ||
	       starts(t, "-- END") || starts(t, "mark_precise") || starts(t, "Validating ") ||
	       starts(t, "Func#") || starts(t, "func#");
}

static bool contains(const char *s, const char *w)
{
	return strcasestr(s, w) != NULL;
}

/* Helper names by id, from the uapi header's list (which is in id order). */
#define HELPER_NAME(x) [BPF_FUNC_##x] = "bpf_" #x
static const char *const helper_names[] = {__BPF_FUNC_MAPPER(HELPER_NAME)};
#undef HELPER_NAME

/*
 * The first meaningful error line of the captured log: inside a verifier log, its last line that
 * is not a summary (the refusal), prefixed with the BPF helper call it is about; otherwise the first
 * libbpf line that reports a failure and is not the generic "failed to load object".
 */
static void reason(char *out, size_t n, int err)
{
	struct lines l = split_log();
	char t[1024], prev[1024];
	out[0] = 0;
	size_t begin = l.n, end = l.n;
	for (size_t k = 0; k < l.n; k++) {
		line_text(&l, k, t, sizeof(t));
		if (strstr(t, "-- BEGIN PROG LOAD LOG --"))
			begin = k + 1, end = l.n;
		else if (begin < l.n && strstr(t, "-- END PROG LOAD LOG --") && end == l.n)
			end = k;
	}
	if (begin < end) {
		for (size_t k = end; k-- > begin;) {
			line_text(&l, k, t, sizeof(t));
			if (verifier_noise(t))
				continue;
			const char *call = NULL;
			if (k > begin) {
				line_text(&l, k - 1, prev, sizeof(prev));
				call = strstr(prev, ") call ");
			}
			if (call)
				snprintf(out, n, "verifier: %s: %s", call + 7, t);
			else
				snprintf(out, n, "verifier: %s", t);
			break;
		}
	}
	if (!out[0]) {
		static const char *words[] = {"missing", "not found", "unknown", "invalid", "unsupported",
					      "not supported", "failed", "error", "can't", "cannot", NULL};
		for (size_t k = 0; k < l.n && !out[0]; k++) {
			line_text(&l, k, t, sizeof(t));
			if (contains(t, "failed to load object") || contains(t, "failed to load BPF skeleton"))
				continue;
			for (int w = 0; words[w]; w++) {
				if (contains(t, words[w])) {
					snprintf(out, n, "%s", t);
					break;
				}
			}
		}
	}
	if (!out[0] && err)
		snprintf(out, n, "%s", strerror(err < 0 ? -err : err));
	/* A kernel older than a helper calls it unknown#ID: name it from our headers. */
	const char *u = strstr(out, "unknown#");
	if (u) {
		unsigned id = strtoul(u + 8, NULL, 10);
		size_t len = strlen(out);
		if (id < sizeof(helper_names) / sizeof(helper_names[0]) && helper_names[id])
			snprintf(out + len, n - len, " (helper #%u is %s)", id, helper_names[id]);
	}
	free(l.start);
	free(l.end);
}

static void print_log_tail(const char *obj, const char *prog)
{
	struct lines l = split_log();
	char t[1024];
	size_t from = l.n > LOG_TAIL_LINES ? l.n - LOG_TAIL_LINES : 0;
	for (size_t k = from; k < l.n; k++) {
		line_text(&l, k, t, sizeof(t));
		printf("kmatrix-log\t%s\t%s\t%s\n", obj, prog, t);
	}
	free(l.start);
	free(l.end);
}

/* ---- the tracer's ABI (bpf/tracer.h), set up as Tracer.load does ---- */

struct setup {
	int cpus;
	struct bpf_map *ring_map; /* libbpf forgets a map of maps' inner map once it is created */
	int nrings;
	int ring_fds[1024];
};

static bool is_ring_array(struct bpf_map *m)
{
	enum bpf_map_type t = bpf_map__type(m);
	if (t != BPF_MAP_TYPE_ARRAY_OF_MAPS && t != BPF_MAP_TYPE_HASH_OF_MAPS)
		return false;
	struct bpf_map *inner = bpf_map__inner_map(m);
	return inner && bpf_map__type(inner) == BPF_MAP_TYPE_RINGBUF;
}

static void close_rings(struct setup *s)
{
	for (int i = 0; i < s->nrings; i++)
		if (s->ring_fds[i] >= 0)
			close(s->ring_fds[i]);
	s->nrings = 0;
}

/* Before load: one ring per slot, 2 per CPU (state program's, accept exits'), the first as the
 * map of maps' template (EventRings.configure). */
static int before_load(struct bpf_object *obj, struct setup *s)
{
	struct bpf_map *m;
	s->nrings = 0;
	bpf_object__for_each_map(m, obj) {
		if (!is_ring_array(m))
			continue;
		if (s->nrings) {
			fprintf(stderr, "probe: more than one map of ring buffers in an object\n");
			return -1;
		}
		int want = 2 * s->cpus;
		if (want > (int)(sizeof(s->ring_fds) / sizeof(s->ring_fds[0])))
			want = sizeof(s->ring_fds) / sizeof(s->ring_fds[0]);
		for (int i = 0; i < want; i++) {
			int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ct_events", 0, 0, RING_BYTES, NULL);
			if (fd < 0)
				return fd; /* reported by the caller as the load's failure */
			s->ring_fds[s->nrings++] = fd;
		}
		s->ring_map = m;
		int err = bpf_map__set_inner_map_fd(m, s->ring_fds[0]);
		if (!err)
			err = bpf_map__set_max_entries(m, want);
		if (err)
			return err;
	}
	return 0;
}

/* After load: rings into their slots; struct ct_config into a 1-entry `config` of its size. */
static int after_load(struct bpf_object *obj, struct setup *s, bool exact)
{
	struct bpf_map *m;
	bpf_object__for_each_map(m, obj) {
		if (m == s->ring_map) {
			for (__u32 slot = 0; slot < (__u32)s->nrings; slot++) {
				int err = bpf_map_update_elem(bpf_map__fd(m), &slot, &s->ring_fds[slot], BPF_ANY);
				if (err)
					return err;
			}
		} else if (strcmp(bpf_map__name(m), "config") == 0 &&
			   bpf_map__value_size(m) == sizeof(struct ct_config)) {
			struct ct_config c = {.wakeup_bytes = 0, .accept_exact = exact ? 1 : 0, .cpus = s->cpus};
			__u32 zero = 0;
			int err = bpf_map_update_elem(bpf_map__fd(m), &zero, &c, BPF_ANY);
			if (err)
				return err;
		}
	}
	return 0;
}

/* ---- loopback TCP ---- */

struct conn_ports {
	int family;
	__u16 server, client;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int loopback_addr(int family, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*len = sizeof(*a);
	}
	return 0;
}

static __u16 port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A listening socket on the loopback address of `family`, port chosen by the kernel; -1 on error. */
static int listen_loopback(int family)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -1;
	loopback_addr(family, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	set_timeouts(fd);
	return fd;
}

/* accept_nr: 0 for libc's accept(), else the syscall to accept with (SYS_accept / SYS_accept4). */
static int do_accept(int lfd, long accept_nr)
{
	if (accept_nr == SYS_accept4)
		return syscall(SYS_accept4, lfd, NULL, NULL, SOCK_CLOEXEC);
	if (accept_nr == SYS_accept)
		return syscall(SYS_accept, lfd, NULL, NULL);
	return accept(lfd, NULL, NULL);
}

/*
 * One connection on loopback: listen, connect, accept, the client closes, then the server side.
 * Fills the ports; returns 0, or -1 with a message in err.
 */
static int one_connection(int family, long accept_nr, struct conn_ports *p, char *err, size_t errn)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lfd = listen_loopback(family), cfd = -1, afd = -1;
	if (lfd < 0) {
		snprintf(err, errn, "listen: %s", strerror(errno));
		return -1;
	}
	p->family = family;
	p->server = port_of(lfd);
	loopback_addr(family, &ss, &len);
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(p->server);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(p->server);
	cfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (cfd < 0 || (set_timeouts(cfd), connect(cfd, (struct sockaddr *)&ss, len))) {
		snprintf(err, errn, "connect: %s", strerror(errno));
		goto fail;
	}
	p->client = port_of(cfd);
	afd = do_accept(lfd, accept_nr);
	if (afd < 0) {
		snprintf(err, errn, "accept: %s", strerror(errno));
		goto fail;
	}
	close(cfd);
	cfd = -1;
	char c;
	set_timeouts(afd);
	(void)!read(afd, &c, 1); /* the client's FIN: 0 bytes */
	close(afd);
	close(lfd);
	return 0;
fail:
	if (cfd >= 0)
		close(cfd);
	if (afd >= 0)
		close(afd);
	close(lfd);
	return -1;
}

static bool ipv6_up(void)
{
	int fd = listen_loopback(AF_INET6);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* ---- reading the tracer's rings ---- */

struct seen {
	int cpus;
	struct conn_ports conns[2];
	int nconns;
	/* per connection: counts of what matched it */
	int connect[2], accept[2], close_[2], accept_exact[2];
	int owner_ok[2], cookie[2];
	int counters[2]; /* CLOSEs carrying the socket's counters (segments in and out seen) */
	long records, malformed;
	long exit_ring_records; /* records in the accept exits' rings (slot >= cpus) */
};

struct ring_ctx {
	struct seen *seen;
	int slot;
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct ring_ctx *rc = ctx;
	struct seen *s = rc->seen;
	s->records++;
	if (rc->slot >= s->cpus)
		s->exit_ring_records++;
	if (size < sizeof(struct ct_event)) {
		s->malformed++;
		return 0;
	}
	const struct ct_event *e = data;
	__u32 me = getpid();
	for (int i = 0; i < s->nconns; i++) {
		const struct conn_ports *c = &s->conns[i];
		if (e->family != c->family)
			continue;
		bool client_side = e->lport == c->client && e->rport == c->server;
		bool server_side = e->lport == c->server && e->rport == c->client;
		if (!client_side && !server_side)
			continue;
		bool owned = (e->flags & CT_HAS_OWNER) && e->pid == me;
		if (e->flags & CT_HAS_COOKIE && e->cookie)
			s->cookie[i]++;
		if (e->type == CT_CONNECT && client_side) {
			s->connect[i]++;
			s->owner_ok[i] += owned;
		} else if (e->type == CT_ACCEPT && server_side) {
			s->accept[i]++;
			s->owner_ok[i] += owned;
			if (rc->slot >= s->cpus && owned)
				s->accept_exact[i]++;
		} else if (e->type == CT_CLOSE) {
			s->close_[i]++;
			if ((e->flags & CT_HAS_COUNTERS) && e->counters.segs_in && e->counters.segs_out)
				s->counters[i]++;
		}
	}
	return 0;
}

static long counter_sum(struct bpf_object *obj, __u32 idx, int cpus)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "counters");
	if (!m || bpf_map__type(m) != BPF_MAP_TYPE_PERCPU_ARRAY || bpf_map__value_size(m) != 8)
		return -1;
	__u64 v[cpus];
	if (bpf_map_lookup_elem(bpf_map__fd(m), &idx, v))
		return -1;
	long sum = 0;
	for (int c = 0; c < cpus; c++)
		sum += v[c];
	return sum;
}

/*
 * Makes the connections and reads the rings. exact_nr: 0 for the state programs' check, else the
 * accept syscall whose exit program is under test (exact mode). Writes yes/no into events and a
 * summary into note.
 */
static void check_events(struct bpf_object *obj, struct setup *st, long exact_nr, char *events, size_t en,
			 char *note, size_t nn)
{
	struct seen s = {.cpus = st->cpus};
	struct ring_ctx ctx[sizeof(st->ring_fds) / sizeof(st->ring_fds[0])];
	struct ring_buffer *rb = NULL;
	char err[256] = "";
	int families[2] = {AF_INET, AF_INET6};
	int nfam = ipv6_up() ? 2 : 1;

	if (!st->nrings) {
		snprintf(events, en, "n.a.");
		snprintf(note, nn, "no ring buffer map in the object");
		return;
	}
	for (int i = 0; i < st->nrings; i++) {
		ctx[i].seen = &s;
		ctx[i].slot = i;
		if (!rb)
			rb = ring_buffer__new(st->ring_fds[i], on_record, &ctx[i], NULL);
		else if (ring_buffer__add(rb, st->ring_fds[i], on_record, &ctx[i]))
			rb = NULL;
		if (!rb) {
			snprintf(events, en, "no");
			snprintf(note, nn, "probe: cannot map ring %d: %s", i, strerror(errno));
			return;
		}
	}
	for (int f = 0; f < nfam; f++) {
		if (one_connection(families[f], exact_nr, &s.conns[s.nconns], err, sizeof(err))) {
			snprintf(events, en, "no");
			snprintf(note, nn, "probe: %s %s", families[f] == AF_INET ? "IPv4" : "IPv6", err);
			ring_buffer__free(rb);
			return;
		}
		s.nconns++;
	}
	/* The events are written in the state changes themselves; a short wait covers a CLOSE still
	 * on its way (the server side's, after the FIN crossed loopback). */
	double deadline = now_s() + 3.0;
	bool done = false;
	while (!done && now_s() < deadline) {
		ring_buffer__consume(rb);
		done = true;
		for (int i = 0; i < s.nconns; i++) {
			if (exact_nr ? !s.accept_exact[i] : (!s.connect[i] || !s.accept[i] || s.close_[i] < 2))
				done = false;
		}
		if (!done)
			usleep(20000);
	}
	ring_buffer__consume(rb);
	ring_buffer__free(rb);

	long counted = counter_sum(obj, CTR_EVENTS, st->cpus);
	bool ok = true;
	char what[512] = "";
	size_t w = 0;
	for (int i = 0; i < s.nconns; i++) {
		const char *fam = s.conns[i].family == AF_INET ? "IPv4" : "IPv6";
		bool got = exact_nr ? s.accept_exact[i] > 0 : (s.connect[i] && s.accept[i] && s.close_[i] >= 2);
		ok = ok && got;
		if (exact_nr)
			w += snprintf(what + w, sizeof(what) - w, "%s%s: ACCEPT with our pid from the exit %s", i ? "; " : "",
				      fam, s.accept_exact[i] ? "yes" : "no");
		else
			w += snprintf(what + w, sizeof(what) - w,
				      "%s%s: CONNECT %d ACCEPT %d CLOSE %d, owner %s, cookie %s, counters %s",
				      i ? "; " : "", fam, s.connect[i], s.accept[i], s.close_[i],
				      s.owner_ok[i] >= 2 ? "yes" : s.owner_ok[i] ? "partly" : "no",
				      s.cookie[i] ? "yes" : "no",
				      s.counters[i] >= 2 ? "yes" : s.counters[i] ? "partly" : "no");
		if (w >= sizeof(what))
			w = sizeof(what) - 1;
	}
	snprintf(events, en, "%s", ok ? "yes" : "no");
	snprintf(note, nn, "%s (%ld records, counter %ld%s)", what, s.records, counted,
		 s.malformed ? ", some too short" : "");
}

/* ---- iterators ---- */

/* Reads one pass of the iterator; returns bytes read or -errno. buf grows. */
static long read_iter(struct bpf_link *link, char **buf, size_t *cap)
{
	int fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return fd;
	size_t len = 0;
	double deadline = now_s() + 30.0;
	for (;;) {
		if (len + 65536 > *cap) {
			size_t c = *cap ? *cap * 2 : (1u << 20);
			char *p = realloc(*buf, c);
			if (!p) {
				close(fd);
				return -ENOMEM;
			}
			*buf = p;
			*cap = c;
		}
		ssize_t n = read(fd, *buf + len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			long e = -errno;
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		len += n;
		if (now_s() > deadline || len > (256u << 20))
			break; /* bounded: an iterator that never ends is reported by its size */
	}
	close(fd);
	return len;
}

static __u32 own_netns(void)
{
	struct stat st;
	if (stat("/proc/self/ns/net", &st))
		return 0;
	return st.st_ino;
}

/* Our listener in iter/task_file output in sockiter_rec layout: 0 not found, 1 found; its cookie. */
static int find_own_socket(const char *buf, long len, __u16 port, __u64 *cookie)
{
	if (len <= 0 || len % sizeof(struct sockiter_rec))
		return 0;
	for (long off = 0; off < len; off += sizeof(struct sockiter_rec)) {
		struct sockiter_rec r;
		memcpy(&r, buf + off, sizeof(r));
		if (r.tgid == (__u32)getpid() && r.family == AF_INET && r.lport == port) {
			*cookie = r.cookie;
			return 1;
		}
	}
	return 0;
}

static void check_iterator(const char *section, struct bpf_link *link, char *events, size_t en, char *note,
			   size_t nn)
{
	static char *buf;
	static size_t cap;
	/* A TCP socket of ours for socket iterators to find. */
	int lfd = listen_loopback(AF_INET);
	__u16 port = lfd >= 0 ? port_of(lfd) : 0;
	long len = read_iter(link, &buf, &cap);
	if (len < 0) {
		snprintf(events, en, "no");
		snprintf(note, nn, "read: %s", strerror(-len));
		goto out;
	}
	snprintf(events, en, "%s", len > 0 ? "yes" : "no");
	int w = snprintf(note, nn, "%ld bytes", len);
	if (strcmp(section, "iter/task_file") == 0 && lfd >= 0) {
		__u64 c1 = 0, c2 = 0, want = 0;
		socklen_t sl = sizeof(want);
		int found = find_own_socket(buf, len, port, &c1);
		/* The kernel hands out a socket's cookie on first use: the pass above may be that use,
		 * else this getsockopt is, and a second pass must then show it. */
		bool have = getsockopt(lfd, SOL_SOCKET, SO_COOKIE, &want, &sl) == 0;
		long len2 = found && have ? read_iter(link, &buf, &cap) : -1;
		int found2 = len2 > 0 ? find_own_socket(buf, len2, port, &c2) : 0;
		if (!found)
			snprintf(note + w, nn - w, "; our socket: not found in sockiter_rec layout");
		else if (!have)
			snprintf(note + w, nn - w, "; our socket: found (SO_COOKIE unavailable)");
		else if (c1 == want)
			snprintf(note + w, nn - w, "; our socket: cookie = SO_COOKIE");
		else if (c1 == 0 && found2 && c2 == want)
			snprintf(note + w, nn - w, "; our socket: cookie 0 until first used, then = SO_COOKIE");
		else
			snprintf(note + w, nn - w, "; our socket: cookie %llu, SO_COOKIE %llu",
				 (unsigned long long)(c2 ? c2 : c1), (unsigned long long)want);
	} else if (strcmp(section, "iter/task") == 0 && len > 0 && len % sizeof(struct nsiter_rec) == 0) {
		__u32 ns = own_netns();
		bool found = false;
		for (long off = 0; off < len && !found; off += sizeof(struct nsiter_rec)) {
			struct nsiter_rec r;
			memcpy(&r, buf + off, sizeof(r));
			found = r.tgid == (__u32)getpid() && r.netns == ns;
		}
		snprintf(note + w, nn - w, "; %ld processes, ours %s", len / (long)sizeof(struct nsiter_rec),
			 found ? "with its netns" : "not found");
	}
out:
	if (lfd >= 0)
		close(lfd);
}

/* ---- one program ---- */

struct progname {
	char name[128];
	char section[256];
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool is_state_section(const char *sec)
{
	return strstr(sec, "inet_sock_set_state") != NULL;
}

/* The accept syscall of an accept exit tracepoint section, else 0. */
static long accept_exit_nr(const char *sec)
{
	const char *p = strstr(sec, "sys_exit_accept");
	if (!p)
		return 0;
	p += strlen("sys_exit_accept");
	if (*p == '4' && p[1] == 0)
		return SYS_accept4;
	return *p == 0 ? SYS_accept : 0;
}

struct attempt {
	struct bpf_object *obj;
	struct bpf_link *links[2];
	int nlinks;
	struct setup st;
	char loads[8], attaches[8];
	char note[1024];
	bool failed;
};

static void attempt_close(struct attempt *a)
{
	for (int i = 0; i < a->nlinks; i++)
		bpf_link__destroy(a->links[i]);
	a->nlinks = 0;
	if (a->obj)
		bpf_object__close(a->obj);
	a->obj = NULL;
	close_rings(&a->st);
}

/*
 * Opens `path` with only the programs in `names` autoloaded, loads, sets up the tracer's maps
 * (exact: accept-pid mode), attaches them in the order given. Fills loads/attaches/note; the
 * caller closes with attempt_close.
 */
static void attempt_run(struct attempt *a, const char *path, const char *const *names, int nnames, bool exact,
			int cpus)
{
	memset(a, 0, sizeof(*a));
	a->st.cpus = cpus;
	snprintf(a->loads, sizeof(a->loads), "no");
	snprintf(a->attaches, sizeof(a->attaches), "-");
	log_reset();
	a->obj = bpf_object__open_file(path, NULL);
	if (!a->obj) {
		int e = -errno;
		reason(a->note, sizeof(a->note), e);
		a->failed = true;
		return;
	}
	struct bpf_program *p;
	bpf_object__for_each_program(p, a->obj) {
		bool want = false;
		for (int i = 0; i < nnames; i++)
			want = want || strcmp(bpf_program__name(p), names[i]) == 0;
		bpf_program__set_autoload(p, want);
	}
	int err = before_load(a->obj, &a->st);
	if (!err)
		err = bpf_object__load(a->obj);
	if (!err)
		err = after_load(a->obj, &a->st, exact);
	if (err) {
		reason(a->note, sizeof(a->note), err);
		a->failed = true;
		return;
	}
	snprintf(a->loads, sizeof(a->loads), "yes");
	snprintf(a->attaches, sizeof(a->attaches), "no");
	log_reset();
	for (int i = 0; i < nnames; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(a->obj, names[i]);
		struct bpf_link *l = prog ? bpf_program__attach(prog) : NULL;
		if (!l) {
			int e = -errno;
			reason(a->note, sizeof(a->note), e);
			if (nnames > 1)
				snprintf(a->note + strlen(a->note), sizeof(a->note) - strlen(a->note), " (%s)", names[i]);
			a->failed = true;
			return;
		}
		a->links[a->nlinks++] = l;
	}
	snprintf(a->attaches, sizeof(a->attaches), "yes");
}

static void row(const char *obj, const struct progname *pn, const char *loads, const char *attaches,
		const char *events, const char *note)
{
	printf("kmatrix-row\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", obj, pn->name, pn->section, loads, attaches, events, note);
	fflush(stdout);
}

static void probe_program(const char *path, const struct progname *all, int nall, int k, int cpus)
{
	const struct progname *pn = &all[k];
	const char *obj = base_name(path);
	const char *names[2] = {pn->name, NULL};
	struct attempt a;
	char events[8] = "n.a.", note[1200] = "";
	long accept_nr = accept_exit_nr(pn->section);

	attempt_run(&a, path, names, 1, false, cpus);
	if (a.failed) {
		row(obj, pn, a.loads, a.attaches, "n.a.", a.note);
		print_log_tail(obj, pn->name);
		attempt_close(&a);
		return;
	}
	enum bpf_attach_type at = bpf_program__expected_attach_type(bpf_object__find_program_by_name(a.obj, pn->name));
	if (bpf_program__type(bpf_object__find_program_by_name(a.obj, pn->name)) == BPF_PROG_TYPE_TRACING &&
	    at == BPF_TRACE_ITER) {
		check_iterator(pn->section, a.links[0], events, sizeof(events), note, sizeof(note));
	} else if (is_state_section(pn->section)) {
		check_events(a.obj, &a.st, 0, events, sizeof(events), note, sizeof(note));
	} else if (accept_nr) {
		/* Exact mode needs a state program to hold the ACCEPT: the first of the object's that
		 * goes with this one. */
		attempt_close(&a);
		snprintf(note, sizeof(note), "no state program of this object loads here to pair with");
		for (int j = 0; j < nall; j++) {
			if (!is_state_section(all[j].section))
				continue;
			const char *pair[2] = {all[j].name, pn->name};
			attempt_run(&a, path, pair, 2, true, cpus);
			if (a.failed) {
				snprintf(note, sizeof(note), "with %s: %s", all[j].name, a.note);
				attempt_close(&a);
				continue;
			}
			char n2[1024];
			check_events(a.obj, &a.st, accept_nr, events, sizeof(events), n2, sizeof(n2));
			snprintf(note, sizeof(note), "exact mode with %s: %s", all[j].name, n2);
			break;
		}
	}
	attempt_close(&a);
	row(obj, pn, "yes", "yes", events, note);
}

static int list_programs(const char *path, struct progname **out)
{
	log_reset();
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return -errno;
	int n = 0;
	struct bpf_program *p;
	bpf_object__for_each_program(p, obj) n++;
	*out = calloc(n ? n : 1, sizeof(**out));
	int i = 0;
	bpf_object__for_each_program(p, obj) {
		snprintf((*out)[i].name, sizeof((*out)[i].name), "%s", bpf_program__name(p));
		snprintf((*out)[i].section, sizeof((*out)[i].section), "%s", bpf_program__section_name(p));
		i++;
	}
	bpf_object__close(obj);
	return n;
}

static void info(void)
{
	struct utsname u;
	uname(&u);
	printf("kmatrix-info\tkernel\t%s\n", u.release);
	printf("kmatrix-info\tbtf\t%s\n", access("/sys/kernel/btf/vmlinux", R_OK) == 0 ? "yes" : "no");
	printf("kmatrix-info\tcpus\t%d\n", libbpf_num_possible_cpus());
	printf("kmatrix-info\tipv6\t%s\n", ipv6_up() ? "yes" : "no");
	bool tracefs = access("/sys/kernel/tracing/events", R_OK) == 0 ||
		       access("/sys/kernel/debug/tracing/events", R_OK) == 0;
	printf("kmatrix-info\ttracefs\t%s\n", tracefs ? "yes" : "no");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJECT.bpf.o...\n", argv[0]);
		return 1;
	}
	struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
	setrlimit(RLIMIT_MEMLOCK, &rl); /* kernels before 5.11 charge BPF memory to it */
	alarm(600); /* the whole probe; a hang inside the kernel is the caller's timeout's */
	libbpf_set_print(capture_print);
	info();
	int cpus = libbpf_num_possible_cpus();
	if (cpus <= 0) {
		fprintf(stderr, "probe: cannot tell the number of CPUs: %d\n", cpus);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (access(argv[i], R_OK)) {
			fprintf(stderr, "probe: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		struct progname *progs = NULL;
		int n = list_programs(argv[i], &progs);
		if (n <= 0) {
			char why[1024];
			reason(why, sizeof(why), n);
			struct progname none = {.name = "(none)", .section = "-"};
			row(base_name(argv[i]), &none, "no", "-", "n.a.", n == 0 ? "no programs" : why);
			print_log_tail(base_name(argv[i]), "(none)");
			free(progs);
			continue;
		}
		for (int k = 0; k < n; k++)
			probe_program(argv[i], progs, n, k, cpus);
		free(progs);
	}
	printf("kmatrix-done\n");
	return 0;
}
