package dev.conntrail.topology.errors;

import dev.conntrail.schemas.registry.RegistryException;
import dev.conntrail.schemas.registry.UnknownSchemaIdException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;

/**
 * Tells "the schema registry failed us" (never dead-letter: the bytes may be fine) from "these bytes
 * cannot be decoded" (dead-letter). Looks through the cause chain: a registry error of the serde
 * (unreachable, gave up after retries, refused the credentials, throttled, answered something
 * unexpected) or a network failure is the registry's; the registry's definitive "no such schema id"
 * ({@link UnknownSchemaIdException}, thrown by the retrying client only after its grace) is the
 * record's.
 */
public final class RegistryFailures {
    private RegistryFailures() {
    }

    /** True when the failure says nothing about the record's bytes, only about the registry. */
    public static boolean isRegistryFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UnknownSchemaIdException) {
                return false;
            }
            if (c instanceof RegistryException
                    || c instanceof ConnectException || c instanceof SocketTimeoutException
                    || c instanceof HttpTimeoutException || c instanceof UnknownHostException
                    || (c instanceof IOException && c.getClass().getName().startsWith("java.net.http"))) {
                return true;
            }
            if (c.getCause() == c) break;
        }
        return false;
    }

    /** Same as {@link #isRegistryFailure}. */
    public static boolean isUnreachable(Throwable t) {
        return isRegistryFailure(t);
    }

    /** The failure of type {@code type} in the cause chain, or null. */
    static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) return type.cast(c);
            if (c.getCause() == c) break;
        }
        return null;
    }
}
