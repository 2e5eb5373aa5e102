package dev.conntrail.topology.graph;

import dev.conntrail.avro.Direction;

/** Which end of a connection a row is: the one that connected, or the one that accepted. */
enum Role {
    CLIENT('c'), SERVER('s');

    final char code;

    Role(char code) {
        this.code = code;
    }

    /** null for a row that says neither (direction UNKNOWN or missing): it meets nothing. */
    static Role of(Direction direction) {
        if (direction == Direction.OUTGOING) return CLIENT;
        if (direction == Direction.INCOMING) return SERVER;
        return null;
    }

    static Role ofCode(char code) {
        return code == 'c' ? CLIENT : code == 's' ? SERVER : null;
    }
}
