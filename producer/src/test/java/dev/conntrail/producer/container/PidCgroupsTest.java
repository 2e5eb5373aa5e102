package dev.conntrail.producer.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One snapshot pass's cgroups over a /proc and a hierarchy laid out as real directories (their inodes play the ids). */
class PidCgroupsTest {
    static final String ID = ContainerIdsTest.ID;
    @TempDir
    Path tmp;

    private Path proc(int pid, String cgroupFile) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("proc").resolve(Integer.toString(pid)));
        Files.writeString(dir.resolve("cgroup"), cgroupFile);
        return tmp.resolve("proc");
    }

    @Test
    void aV2HostGivesTheIdAndTheContainer() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("cg"));
        Files.writeString(root.resolve("cgroup.controllers"), "");
        Path scope = Files.createDirectories(root.resolve("system.slice/docker-" + ID + ".scope"));
        Path proc = proc(10, "0::/system.slice/docker-" + ID + ".scope\n");
        proc(11, "0::/system.slice/docker-" + ID + ".scope\n");
        proc(12, "0::/../../elsewhere.slice/docker-" + ID + ".scope\n");
        PidCgroups p = new PidCgroups(proc, CgroupHierarchy.detect(root));
        p.newPass();
        long inode = (Long) Files.getAttribute(scope, "unix:ino");
        assertThat(p.of(10)).isEqualTo(new CgroupMembership(inode, ID));
        assertThat(p.of(11)).isEqualTo(new CgroupMembership(inode, ID));
        assertThat(p.of(12)).as("outside this cgroup namespace: no id, still the container").isEqualTo(new CgroupMembership(null, ID));
        assertThat(p.of(99)).as("gone").isEqualTo(CgroupMembership.NONE);
        assertThat(p.withoutId()).isEqualTo(1);
        p.newPass();
        assertThat(p.withoutId()).isZero();
    }

    @Test
    void aV1OnlyHostGivesNoIdButTheContainerFromAV1Path() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("cg-v1")); // no cgroup.controllers anywhere
        Path proc = proc(10, "11:memory:/docker/" + ID + "\n1:name=systemd:/docker/" + ID + "\n");
        proc(11, "11:memory:/docker/" + ID + "\n1:name=systemd:/docker/" + ID + "\n");
        PidCgroups p = new PidCgroups(proc, CgroupHierarchy.detect(root));
        p.newPass();
        assertThat(p.of(10)).isEqualTo(new CgroupMembership(null, ID));
        assertThat(p.of(11)).isEqualTo(new CgroupMembership(null, ID));
        assertThat(p.withoutId()).as("counted per process").isEqualTo(2);
    }
}
