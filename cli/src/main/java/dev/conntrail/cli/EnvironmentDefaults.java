package dev.conntrail.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Every option also from the environment: {@code --schema-registry-url} reads {@code CONNTRAIL_SCHEMA_REGISTRY_URL}. */
public final class EnvironmentDefaults implements CommandLine.IDefaultValueProvider {
    private final Map<String, String> env;

    public EnvironmentDefaults() {
        this(System.getenv());
    }

    public EnvironmentDefaults(Map<String, String> env) {
        this.env = env;
    }

    public static String variableFor(String longOptionName) {
        return "CONNTRAIL_" + longOptionName.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
    }

    @Override
    public String defaultValue(ArgSpec argSpec) {
        if (argSpec instanceof OptionSpec option) {
            String value = env.get(variableFor(option.longestName()));
            if (value != null) {
                return value;
            }
        }
        return argSpec.defaultValue();
    }
}
