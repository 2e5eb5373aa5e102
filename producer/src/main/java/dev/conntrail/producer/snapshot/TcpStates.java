package dev.conntrail.producer.snapshot;

import dev.conntrail.avro.TcpState;

/**
 * The kernel's TCP state numbers (include/net/tcp_states.h) and which of them a snapshot keeps
 * (docs/design.md, rule 2 (snapshot content)).
 */
public final class TcpStates {
    public static final int ESTABLISHED = 1;
    public static final int SYN_SENT = 2;
    public static final int SYN_RECV = 3;
    public static final int FIN_WAIT1 = 4;
    public static final int FIN_WAIT2 = 5;
    public static final int TIME_WAIT = 6;
    public static final int CLOSE = 7;
    public static final int CLOSE_WAIT = 8;
    public static final int LAST_ACK = 9;
    public static final int LISTEN = 10;
    public static final int CLOSING = 11;
    public static final int NEW_SYN_RECV = 12;

    /** Bit (1 << state) set for the connected states design rule 2 (snapshot content) lists. */
    public static final int CONNECTED_MASK = 1 << ESTABLISHED | 1 << FIN_WAIT1 | 1 << FIN_WAIT2
            | 1 << CLOSE_WAIT | 1 << LAST_ACK | 1 << CLOSING;

    private TcpStates() {
    }

    public static boolean isConnected(int state) {
        return state > 0 && state < 32 && (CONNECTED_MASK & (1 << state)) != 0;
    }

    public static TcpState toAvro(int state) {
        return switch (state) {
            case ESTABLISHED -> TcpState.ESTABLISHED;
            case SYN_SENT -> TcpState.SYN_SENT;
            case SYN_RECV -> TcpState.SYN_RECV;
            case FIN_WAIT1 -> TcpState.FIN_WAIT1;
            case FIN_WAIT2 -> TcpState.FIN_WAIT2;
            case TIME_WAIT -> TcpState.TIME_WAIT;
            case CLOSE -> TcpState.CLOSE;
            case CLOSE_WAIT -> TcpState.CLOSE_WAIT;
            case LAST_ACK -> TcpState.LAST_ACK;
            case LISTEN -> TcpState.LISTEN;
            case CLOSING -> TcpState.CLOSING;
            case NEW_SYN_RECV -> TcpState.NEW_SYN_RECV;
            default -> TcpState.UNKNOWN;
        };
    }
}
