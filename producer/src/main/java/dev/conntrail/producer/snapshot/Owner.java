package dev.conntrail.producer.snapshot;

/** A process holding a socket: pid (tgid) and comm. */
public record Owner(int pid, String comm) {
}
