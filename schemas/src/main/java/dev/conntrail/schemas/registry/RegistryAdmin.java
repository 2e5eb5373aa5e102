package dev.conntrail.schemas.registry;

import java.util.Collection;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the programs do to the registry at start (docs/design.md, "Topics", values in the Confluent wire format): set the
 * compatibility level of their subjects, and warn — not fail — when the registry refuses (a managed registry may
 * forbid it; the serde still works).
 */
public final class RegistryAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryAdmin.class);

    private final SchemaRegistryClient client;

    public RegistryAdmin(SchemaRegistryClient client) {
        this.client = client;
    }

    /** From the serde's configuration ({@code schema.registry.url}, auth, TLS). */
    public static RegistryAdmin fromConfig(Map<String, ?> configs) {
        return new RegistryAdmin(RegistryConfig.from(configs).newClient());
    }

    /** The subject of a topic's values (TopicNameStrategy). */
    public static String valueSubject(String topic) {
        return topic + "-value";
    }

    /** {@code PUT /config/{subject}}; throws the {@link RegistryException} the registry's answer calls for. */
    public void setCompatibility(String subject, CompatibilityLevel level) {
        client.setCompatibility(subject, level);
    }

    /**
     * Sets the level on each subject; logs a warning for each refusal and returns false if any was refused.
     * A registry that is unreachable is also only a warning here: the serde reports it on first use.
     */
    public boolean setCompatibilityOrWarn(Collection<String> subjects, CompatibilityLevel level) {
        boolean all = true;
        for (String subject : subjects) {
            try {
                client.setCompatibility(subject, level);
                LOG.info("schema registry {}: compatibility of {} set to {}", client.describe(), subject, level);
            } catch (RegistryException e) {
                all = false;
                LOG.warn("schema registry {} did not set compatibility {} on {}: {} — schema changes will not be"
                        + " checked as {}; ask the registry's operator to set it", client.describe(), level, subject,
                        e.getMessage(), level);
            }
        }
        return all;
    }

    /** Convenience for programs: FULL_TRANSITIVE on {@code <topic>-value} of each topic, warning on refusal. */
    public boolean requireFullTransitiveOnValues(Collection<String> topics) {
        return setCompatibilityOrWarn(topics.stream().map(RegistryAdmin::valueSubject).toList(),
                CompatibilityLevel.FULL_TRANSITIVE);
    }

    public CompatibilityLevel compatibility(String subject) {
        return client.compatibility(subject);
    }

    public SchemaRegistryClient client() {
        return client;
    }
}
