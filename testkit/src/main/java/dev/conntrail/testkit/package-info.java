/** A real KRaft broker in the JVM and the Apicurio registry runner: real parts for tests and the local mode. */
package dev.conntrail.testkit;
