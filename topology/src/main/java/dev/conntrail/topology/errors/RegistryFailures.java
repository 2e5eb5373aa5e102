package dev.conntrail.topology.errors;

import dev.conntrail.schemas.registry.RegistryUnavailableException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;

/**
 * Tells "the schema registry could not be reached" (retry; never dead-letter: the bytes are fine)
 * from "these bytes cannot be decoded" (dead-letter). Looks through the cause chain for the
 * serde's {@link RegistryUnavailableException}, or for the network failures behind it.
 */
public final class RegistryFailures {
    private RegistryFailures() {
    }

    public static boolean isUnreachable(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof RegistryUnavailableException
                    || c instanceof ConnectException || c instanceof SocketTimeoutException
                    || c instanceof HttpTimeoutException || c instanceof UnknownHostException
                    || (c instanceof IOException && c.getClass().getName().startsWith("java.net.http"))) {
                return true;
            }
            if (c.getCause() == c) break;
        }
        return false;
    }
}
