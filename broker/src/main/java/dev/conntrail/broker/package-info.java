/** A real KRaft broker in the JVM: what {@code conntrail local} runs, and the tests' broker (through the testkit). */
package dev.conntrail.broker;
