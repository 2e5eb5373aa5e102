package dev.conntrail.producer.container;

/** A process's cgroup v2 id (null when it has none to give) and the container that cgroup is (null: none). */
public record CgroupMembership(Long cgroupId, String container) {
    public static final CgroupMembership NONE = new CgroupMembership(null, null);
}
