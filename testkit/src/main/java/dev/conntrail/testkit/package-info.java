/** Test fixtures (test scope only): the tests' shared broker and registry, and the Apicurio registry runner. */
package dev.conntrail.testkit;
