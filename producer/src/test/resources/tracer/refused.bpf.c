// A program the verifier must refuse (dereferences a map value without a NULL check), plus a plain array map
// to exercise the map calls. Compiled by BpfObjectKernelTest with bpf/Makefile's flags.
#include "conntrail_kernel.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} numbers SEC(".maps");

SEC("tracepoint/sock/inet_sock_set_state")
int refused(void *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&numbers, &key);
	return *v; /* no NULL check: always refused */
}

SEC("tracepoint/sock/inet_sock_set_state")
int accepted(void *ctx)
{
	return 0;
}
