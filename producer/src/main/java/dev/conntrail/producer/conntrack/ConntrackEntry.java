package dev.conntrail.producer.conntrack;

import dev.conntrail.avro.Family;
import dev.conntrail.avro.NatEntry;
import java.time.Instant;

/**
 * One TCP conntrack entry: original and reply tuples (contract address text), its zone, the
 * namespace whose table holds it, and the kernel's id (null when absent).
 */
public record ConntrackEntry(long netns, int zone, boolean ipv6, String origSrc, int origSport, String origDst,
                             int origDport, String replySrc, int replySport, String replyDst, int replyDport,
                             Long conntrackId) {
    /** True when the reply tuple is not the inverse of the original: the kernel translated it (NAT). */
    public boolean natTranslated() {
        return !(replySrc.equals(origDst) && replySport == origDport && replyDst.equals(origSrc) && replyDport == origSport);
    }

    public NatEntry toNatEntry(String host, long timestampMillis) {
        return NatEntry.newBuilder()
                .setHost(host)
                .setNetns(netns)
                .setZone(zone)
                .setTimestamp(Instant.ofEpochMilli(timestampMillis))
                .setFamily(ipv6 ? Family.IPV6 : Family.IPV4)
                .setOrigSrc(origSrc).setOrigSport(origSport).setOrigDst(origDst).setOrigDport(origDport)
                .setReplySrc(replySrc).setReplySport(replySport).setReplyDst(replyDst).setReplyDport(replyDport)
                .setConntrackId(conntrackId)
                .build();
    }
}
