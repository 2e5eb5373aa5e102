package dev.conntrail.topology.graph;

import dev.conntrail.avro.Connection;
import dev.conntrail.avro.NatInfo;
import dev.conntrail.schemas.Addresses;
import java.util.Objects;

/**
 * The meeting key of a connection's end, {@code space|caddr|cport|saddr|sport}: the tuple the connection had on the
 * wire, client→server, with the address space it is unique in (docs/design.md, "The service graph"). Each end undoes
 * only its own side's NAT (design rule 7 (NAT)): a client by the reply tuple of an entry it initiated, a server by
 * the original tuple of an entry it responded to.
 */
final class MeetingKeys {
    private MeetingKeys() {
    }

    /** null when the row has no role or no full tuple. */
    static String of(Connection row) {
        Role role = Role.of(row.getDirection());
        if (role == null || row.getLaddr() == null || row.getLport() == null || row.getRaddr() == null || row.getRport() == null) {
            return null;
        }
        String laddr = Addresses.comparable(row.getLaddr());
        String raddr = Addresses.comparable(row.getRaddr());
        int lport = row.getLport();
        int rport = row.getRport();
        NatInfo nat = row.getNat();
        String caddr, saddr;
        int cport, sport;
        if (role == Role.CLIENT) {
            if (nat != null && same(nat.getOrigSrc(), nat.getOrigSport(), nat.getOrigDst(), nat.getOrigDport(), laddr, lport, raddr, rport)) {
                // initiated here: the reply tuple, reversed, is what left this side after its SNAT/DNAT
                caddr = Addresses.comparable(nat.getReplyDst());
                cport = nat.getReplyDport();
                saddr = Addresses.comparable(nat.getReplySrc());
                sport = nat.getReplySport();
            } else {
                caddr = laddr;
                cport = lport;
                saddr = raddr;
                sport = rport;
            }
        } else {
            if (nat != null && same(nat.getReplySrc(), nat.getReplySport(), nat.getReplyDst(), nat.getReplyDport(), laddr, lport, raddr, rport)) {
                // responded here: the original tuple is what arrived, before this side's DNAT
                caddr = Addresses.comparable(nat.getOrigSrc());
                cport = nat.getOrigSport();
                saddr = Addresses.comparable(nat.getOrigDst());
                sport = nat.getOrigDport();
            } else {
                caddr = raddr;
                cport = rport;
                saddr = laddr;
                sport = lport;
            }
        }
        String space = isLoopback(caddr) || isLoopback(saddr) ? row.getHost() + "/" + row.getNetns() : "";
        return space + '|' + caddr + '|' + cport + '|' + saddr + '|' + sport;
    }

    private static boolean same(String src, int sport, String dst, int dport, String laddr, int lport, String raddr, int rport) {
        return sport == lport && dport == rport && Objects.equals(Addresses.comparable(src), laddr)
                && Objects.equals(Addresses.comparable(dst), raddr);
    }

    /** Loopback tuples never leave their namespace: unique only within it. */
    static boolean isLoopback(String comparableAddress) {
        return comparableAddress.startsWith("127.") || comparableAddress.equals("::1");
    }
}
