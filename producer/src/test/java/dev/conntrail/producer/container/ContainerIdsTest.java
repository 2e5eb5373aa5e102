package dev.conntrail.producer.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Container ids from the cgroup paths runtimes make (shapes from docker, containerd, CRI-O, podman and systemd hosts). */
class ContainerIdsTest {
    static final String ID = "4a6c1e0e1b8c0a7f5c3a7e1d2b9f8a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a";
    static final String OUTER = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // docker, systemd cgroup driver (v2 and v1)
        "/system.slice/docker-ID.scope",
        "/system.slice/docker-ID.scope/init.scope",
        // docker, cgroupfs driver
        "/docker/ID",
        "/docker/OUTER/docker/ID",
        // containerd / CRI, systemd driver
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8d4b6c7e_2f1a_4b3c_9d8e_7f6a5b4c3d2e.slice/cri-containerd-ID.scope",
        "/kubepods.slice/kubepods-pod8d4b6c7e_2f1a_4b3c_9d8e_7f6a5b4c3d2e.slice/cri-containerd-ID.scope",
        // containerd / CRI, cgroupfs driver
        "/kubepods/burstable/pod8d4b6c7e-2f1a-4b3c-9d8e-7f6a5b4c3d2e/ID",
        "/kubepods/besteffort/pod8d4b6c7e-2f1a-4b3c-9d8e-7f6a5b4c3d2e/ID",
        "/kubepods/pod8d4b6c7e-2f1a-4b3c-9d8e-7f6a5b4c3d2e/ID",
        // CRI-O
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod8d4b6c7e_2f1a_4b3c_9d8e_7f6a5b4c3d2e.slice/crio-ID.scope",
        // podman: rootful, rootless, cgroupfs, and the cgroup podman makes inside the container's
        "/machine.slice/libpod-ID.scope",
        "/machine.slice/libpod-ID.scope/container",
        "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-ID.scope",
        "/libpod_parent/libpod-ID",
    })
    void namesTheContainer(String shape) {
        assertThat(ContainerIds.fromPath(shape.replace("OUTER", OUTER).replace("ID", ID))).isEqualTo(ID);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "/",
        "/init.scope",
        "/system.slice/nginx.service",
        "/system.slice/docker.service",
        "/user.slice/user-1000.slice/session-3.scope",
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8d4b6c7e_2f1a_4b3c_9d8e_7f6a5b4c3d2e.slice",
        // the runtimes' monitors hold no container's sockets
        "/machine.slice/libpod-conmon-ID.scope",
        "/kubepods.slice/kubepods-besteffort.slice/crio-conmon-ID.scope",
        // not an id: too short, upper case, a suffix
        "/docker/4a6c1e0e1b8c0a7f5c3a7e1d2b9f8a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0",
        "/docker/4A6C1E0E1B8C0A7F5C3A7E1D2B9F8A6C5D4E3F2A1B0C9D8E7F6A5B4C3D2E1F0A",
        "/system.slice/docker-ID.scope.bak",
        "/system.slice/rkt-ID.scope",
    })
    void namesNoContainer(String shape) {
        assertThat(ContainerIds.fromPath(shape.replace("ID", ID))).isNull();
    }

    @Test
    void aProcessIsNamedByItsV2PathElseByAV1Path() {
        ProcessCgroups hybrid = ProcessCgroups.parse("12:memory:/docker/" + ID + "\n1:name=systemd:/docker/" + ID + "\n0::/\n");
        assertThat(hybrid.unified()).isEqualTo("/");
        assertThat(hybrid.v1()).containsExactly("/docker/" + ID, "/docker/" + ID);
        assertThat(ContainerIds.of(hybrid)).isEqualTo(ID);
        ProcessCgroups v1Only = ProcessCgroups.parse("4:memory:/kubepods/burstable/pod1/" + ID + "\n3:cpu,cpuacct:/\n");
        assertThat(v1Only.unified()).isNull();
        assertThat(ContainerIds.of(v1Only)).isEqualTo(ID);
        ProcessCgroups v2 = ProcessCgroups.parse("0::/system.slice/docker-" + ID + ".scope\n");
        assertThat(v2.v1()).isEmpty();
        assertThat(ContainerIds.of(v2)).isEqualTo(ID);
        assertThat(ContainerIds.of(ProcessCgroups.parse("0::/system.slice/sshd.service\n"))).isNull();
    }

    @Test
    void linesThatAreNotCgroupsAreSkipped() {
        ProcessCgroups p = ProcessCgroups.parse("garbage\n\n7:pids\n5:cpu:relative\n0::/a.slice\n");
        assertThat(p.unified()).isEqualTo("/a.slice");
        assertThat(p.v1()).isEqualTo(List.of());
    }

    @Test
    void shortFormIsDockersTwelveDigits() {
        assertThat(ContainerIds.shortForm(ID)).isEqualTo("4a6c1e0e1b8c");
        assertThat(ContainerIds.shortForm(null)).isNull();
    }
}
