/** Version of agentsight-otel, reported as the instrumentation scope version (checked against package.json by the tests). */
export const AGENTSIGHT_OTEL_VERSION = '0.1.0';
