package dev.conntrail.producer.netlink;

/**
 * The one exception the netlink parsers throw on bytes they cannot make sense of (truncated
 * header, length out of bounds, attribute too short). Callers count it and skip the message.
 */
public class NetlinkParseException extends Exception {
    public NetlinkParseException(String message) {
        super(message);
    }
}
