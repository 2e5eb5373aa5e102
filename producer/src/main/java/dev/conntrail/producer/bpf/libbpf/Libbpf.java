package dev.conntrail.producer.bpf.libbpf;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * JNA bindings to the installed {@code libbpf.so.1} (1.1 API), only the calls conntrail uses.
 * Pointer-returning calls return null on failure and set errno ({@link Native#getLastError()});
 * int-returning calls return a negative errno. Use {@link #load()} to get the instance: it turns a
 * missing library into a clear {@link BpfUnavailableException}. Prefer {@link BpfObject}.
 */
public interface Libbpf extends Library {
    /** {@code libbpf_print_fn_t}: level, printf format, va_list. */
    interface PrintFn extends Callback {
        int invoke(int level, String format, Pointer vaList);
    }

    /** {@code ring_buffer_sample_fn}: ctx, record data, size. */
    interface RingBufferSampleFn extends Callback {
        int invoke(Pointer ctx, Pointer data, long size);
    }

    int LIBBPF_WARN = 0;
    int LIBBPF_INFO = 1;
    int LIBBPF_DEBUG = 2;

    // objects
    Pointer bpf_object__open_mem(Pointer objBuf, long objBufSize, Pointer opts);
    int bpf_object__load(Pointer obj);
    void bpf_object__close(Pointer obj);
    Pointer bpf_object__find_program_by_name(Pointer obj, String name);
    Pointer bpf_object__find_map_by_name(Pointer obj, String name);
    Pointer bpf_object__next_program(Pointer obj, Pointer prev);
    Pointer bpf_object__next_map(Pointer obj, Pointer prev);

    // programs
    String bpf_program__name(Pointer prog);
    int bpf_program__set_autoload(Pointer prog, boolean autoload);
    boolean bpf_program__autoload(Pointer prog);
    int bpf_program__fd(Pointer prog);
    Pointer bpf_program__attach(Pointer prog);
    Pointer bpf_program__attach_iter(Pointer prog, Pointer opts);

    int bpf_obj_get_info_by_fd(int fd, Pointer info, int[] infoLen);

    // links
    int bpf_link__fd(Pointer link);
    int bpf_link__destroy(Pointer link);
    int bpf_iter_create(int linkFd);

    // maps
    String bpf_map__name(Pointer map);
    int bpf_map__fd(Pointer map);
    int bpf_map__set_max_entries(Pointer map, int maxEntries);
    int bpf_map__set_inner_map_fd(Pointer map, int fd);
    int bpf_map_create(int mapType, String name, int keySize, int valueSize, int maxEntries, Pointer opts);
    int bpf_map__max_entries(Pointer map);
    int bpf_map__value_size(Pointer map);
    int bpf_map__key_size(Pointer map);
    int bpf_map_update_elem(int fd, Pointer key, Pointer value, long flags);
    int bpf_map_lookup_elem(int fd, Pointer key, Pointer value);
    int bpf_map_delete_elem(int fd, Pointer key);
    int bpf_map_get_next_key(int fd, Pointer key, Pointer nextKey);

    // ring buffer (libbpf's reader; RingBufferReader maps the buffer itself and is the default)
    Pointer ring_buffer__new(int mapFd, RingBufferSampleFn sampleCb, Pointer ctx, Pointer opts);
    int ring_buffer__add(Pointer rb, int mapFd, RingBufferSampleFn sampleCb, Pointer ctx);
    int ring_buffer__poll(Pointer rb, int timeoutMs);
    int ring_buffer__consume(Pointer rb);
    void ring_buffer__free(Pointer rb);

    // misc
    Pointer libbpf_set_print(PrintFn fn);
    int libbpf_num_possible_cpus();
    int libbpf_major_version();
    int libbpf_minor_version();

    long BPF_ANY = 0;
    long BPF_NOEXIST = 1;
    long BPF_EXIST = 2;

    /** The process-wide instance; throws {@link BpfUnavailableException} when libbpf.so.1 cannot be loaded. */
    static Libbpf load() {
        return Holder.get();
    }

    /** Lazily loads the library once and remembers the failure. */
    final class Holder {
        private static Libbpf instance;
        private static Throwable failure;

        private Holder() {
        }

        static synchronized Libbpf get() {
            if (instance == null && failure == null) {
                String name = System.getProperty("conntrail.libbpf", "bpf.so.1");
                try {
                    // "bpf.so.1" makes JNA look for libbpf.so.1 (the runtime package, libbpf1), not libbpf.so (-dev).
                    instance = Native.load(name.startsWith("/") ? name : "bpf.so.1".equals(name) ? "libbpf.so.1" : name,
                            Libbpf.class);
                } catch (UnsatisfiedLinkError e) {
                    failure = e;
                }
            }
            if (instance == null) {
                throw new BpfUnavailableException(BpfUnavailableException.Reason.LIBBPF_MISSING,
                        "libbpf.so.1 not found (" + failure.getMessage().lines().findFirst().orElse("")
                                + "); install libbpf 1.x (Debian/Ubuntu: apt-get install libbpf1)", failure);
            }
            return instance;
        }
    }
}
