package dev.conntrail.producer.bpf.libbpf;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.conntrail.producer.sys.LibC;

/** One map of a {@link BpfObject}: sizing before load, element calls by fd after. */
public final class BpfMap {
    private final Libbpf lib;
    private final Pointer map;
    private final String name;

    BpfMap(Libbpf lib, Pointer map, String name) {
        this.lib = lib;
        this.map = map;
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Before load only. */
    public void setMaxEntries(int maxEntries) {
        int rc = lib.bpf_map__set_max_entries(map, maxEntries);
        if (rc < 0) {
            throw new BpfException("setting max_entries of map " + name + " to " + maxEntries, rc);
        }
    }

    /** Before load, for a map of maps: the map whose kind and size its values have (its template). */
    public void setInnerMapFd(int fd) {
        int rc = lib.bpf_map__set_inner_map_fd(map, fd);
        if (rc < 0) {
            throw new BpfException("setting the inner map of map " + name, rc);
        }
    }

    public int maxEntries() {
        return lib.bpf_map__max_entries(map);
    }

    public int keySize() {
        return lib.bpf_map__key_size(map);
    }

    public int valueSize() {
        return lib.bpf_map__value_size(map);
    }

    /** The map's file descriptor (after load). */
    public int fd() {
        return lib.bpf_map__fd(map);
    }

    /** bpf_map_update_elem; flags {@link Libbpf#BPF_ANY} etc. Throws on failure (E2BIG: map full). */
    public void update(byte[] key, byte[] value, long flags) {
        Memory k = copy(key);
        Memory v = copy(value);
        int rc = lib.bpf_map_update_elem(fd(), k, v, flags);
        if (rc < 0) {
            throw new BpfException("updating map " + name, rc);
        }
    }

    /**
     * bpf_map_lookup_elem into a buffer of {@code valueBytes} (for per-CPU maps: value size rounded
     * up to 8, times the number of possible CPUs). Null when the key is absent.
     */
    public byte[] lookup(byte[] key, int valueBytes) {
        Memory k = copy(key);
        Memory v = new Memory(valueBytes);
        int rc = lib.bpf_map_lookup_elem(fd(), k, v);
        if (rc < 0) {
            if (-rc == LibC.ENOENT || Native.getLastError() == LibC.ENOENT && rc == -1) {
                return null;
            }
            throw new BpfException("looking up in map " + name, rc);
        }
        return v.getByteArray(0, valueBytes);
    }

    /** True if the key was there. */
    public boolean delete(byte[] key) {
        int rc = lib.bpf_map_delete_elem(fd(), copy(key));
        if (rc < 0) {
            if (-rc == LibC.ENOENT) {
                return false;
            }
            throw new BpfException("deleting from map " + name, rc);
        }
        return true;
    }

    /** The key after {@code key} (null: the first key), or null at the end. */
    public byte[] nextKey(byte[] key) {
        Memory next = new Memory(keySize());
        int rc = lib.bpf_map_get_next_key(fd(), key == null ? Pointer.NULL : copy(key), next);
        if (rc < 0) {
            if (-rc == LibC.ENOENT) {
                return null;
            }
            throw new BpfException("iterating map " + name, rc);
        }
        return next.getByteArray(0, keySize());
    }

    private static Memory copy(byte[] bytes) {
        Memory m = new Memory(Math.max(1, bytes.length));
        m.write(0, bytes, 0, bytes.length);
        return m;
    }
}
