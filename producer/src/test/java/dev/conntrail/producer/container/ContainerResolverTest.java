package dev.conntrail.producer.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver over a directory tree laid out as a cgroup v2 hierarchy and a /proc with one process
 * (real directories: their inodes play the cgroup ids, as on cgroupfs), and a clock the test moves.
 */
class ContainerResolverTest {
    static final String ID = ContainerIdsTest.ID;
    @TempDir
    Path tmp;
    Path cgroupRoot;
    Path proc;
    final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    ContainerResolver resolver;

    @BeforeEach
    void tree() throws IOException {
        cgroupRoot = Files.createDirectories(tmp.resolve("sys-fs-cgroup"));
        Files.writeString(cgroupRoot.resolve("cgroup.controllers"), "cpu memory\n");
        Files.createDirectories(cgroupRoot.resolve("system.slice/docker-" + ID + ".scope"));
        Files.createDirectories(cgroupRoot.resolve("system.slice/nginx.service"));
        proc = Files.createDirectories(tmp.resolve("proc"));
        resolver = new ContainerResolver(proc, CgroupHierarchy.detect(cgroupRoot), clock::get);
    }

    long inode(String rel) throws IOException {
        return (Long) Files.getAttribute(cgroupRoot.resolve(rel), "unix:ino");
    }

    @Test
    void whatASnapshotTaughtIsAnsweredWithoutAWalk() throws IOException {
        long id = inode("system.slice/docker-" + ID + ".scope");
        resolver.learn(id, ID);
        resolver.learn(inode("system.slice/nginx.service"), null);
        assertThat(resolver.containerOf(id, 42)).isEqualTo(ID);
        assertThat(resolver.containerOf(inode("system.slice/nginx.service"), 42)).isNull();
        assertThat(resolver.misses()).isZero();
        assertThat(resolver.walks()).isZero();
    }

    @Test
    void aMissAsksTheEventsProcessFirst() throws IOException {
        Files.createDirectories(proc.resolve("42"));
        Files.writeString(proc.resolve("42/cgroup"), "0::/system.slice/docker-" + ID + ".scope\n");
        assertThat(resolver.containerOf(inode("system.slice/docker-" + ID + ".scope"), 42)).isEqualTo(ID);
        assertThat(resolver.misses()).isEqualTo(1);
        assertThat(resolver.walks()).isZero();
    }

    @Test
    void fromACgroupNamespaceOfItsOwnTheProcessIsBelieved() throws IOException {
        Files.createDirectories(proc.resolve("42"));
        // as an agent in a container sees a process of another container
        Files.writeString(proc.resolve("42/cgroup"), "0::/../../system.slice/docker-" + ID + ".scope\n");
        assertThat(resolver.containerOf(123_456L, 42)).isEqualTo(ID);
        assertThat(resolver.walks()).isZero();
    }

    @Test
    void aProcessNowInAnotherCgroupIsNotBelievedTheWalkDecides() throws IOException {
        Files.createDirectories(proc.resolve("42"));
        Files.writeString(proc.resolve("42/cgroup"), "0::/system.slice/nginx.service\n");
        assertThat(resolver.containerOf(inode("system.slice/docker-" + ID + ".scope"), 42)).isEqualTo(ID);
        assertThat(resolver.walks()).isEqualTo(1);
    }

    @Test
    void unknownIdsWalkAtMostOnceASecondAndAreRememberedAfterAWalk() throws IOException {
        long docker = inode("system.slice/docker-" + ID + ".scope");
        assertThat(resolver.containerOf(docker, null)).isEqualTo(ID); // the first miss walks
        assertThat(resolver.containerOf(987_654_321L, null)).isNull(); // gone: within the second, no walk
        assertThat(resolver.walks()).isEqualTo(1);
        assertThat(resolver.unresolved()).isEqualTo(1);
        String later = "f".repeat(64);
        Files.createDirectories(cgroupRoot.resolve("system.slice/docker-" + later + ".scope"));
        long laterId = inode("system.slice/docker-" + later + ".scope");
        assertThat(resolver.containerOf(laterId, null)).as("made after the walk, asked within the second").isNull();
        clock.addAndGet(ContainerResolver.WALK_INTERVAL_NANOS);
        assertThat(resolver.containerOf(laterId, null)).as("not remembered as none: the next walk finds it").isEqualTo(later);
        assertThat(resolver.walks()).isEqualTo(2);
        clock.addAndGet(ContainerResolver.WALK_INTERVAL_NANOS);
        assertThat(resolver.containerOf(987_654_321L, null)).isNull();
        assertThat(resolver.walks()).isEqualTo(3);
        clock.addAndGet(ContainerResolver.WALK_INTERVAL_NANOS);
        assertThat(resolver.containerOf(987_654_321L, null)).isNull();
        assertThat(resolver.walks()).as("no walk found it: remembered as none").isEqualTo(3);
    }

    @Test
    void idZeroAndHostsWithoutV2AreNoContainer() throws IOException {
        assertThat(resolver.containerOf(0, 42)).isNull();
        assertThat(resolver.misses()).isZero();
        Files.delete(cgroupRoot.resolve("cgroup.controllers"));
        ContainerResolver v1 = new ContainerResolver(proc, CgroupHierarchy.detect(cgroupRoot), clock::get);
        assertThat(v1.containerOf(inode("system.slice/docker-" + ID + ".scope"), null)).isNull();
        assertThat(v1.walks()).isZero();
    }

    @Test
    void theCacheIsBounded() {
        for (long id = 1; id <= ContainerResolver.CAPACITY + 100; id++) {
            resolver.learn(id, null);
        }
        assertThat(resolver.cached()).isEqualTo(ContainerResolver.CAPACITY);
        resolver.learn(5_000_000L, ID);
        assertThat(resolver.containerOf(5_000_000L, null)).isEqualTo(ID);
        assertThat(resolver.walks()).isZero();
    }

    @Test
    void theHierarchyNamesIdsAsProcDoes() throws IOException {
        CgroupHierarchy h = CgroupHierarchy.detect(cgroupRoot);
        assertThat(h.idOf("/system.slice/nginx.service")).isEqualTo(inode("system.slice/nginx.service"));
        assertThat(h.idOf("/system.slice/../system.slice")).as("outside the namespace: not guessed").isNull();
        assertThat(h.idOf("/gone.scope")).isNull();
        java.util.Map<String, Long> seen = new java.util.HashMap<>();
        assertThat(h.walk((path, id) -> seen.put(path, id))).isEqualTo(4);
        assertThat(seen).containsEntry("/system.slice/nginx.service", inode("system.slice/nginx.service")).containsKey("/");
    }
}
