/**
 * The family conformance kit: {@link dev.dllm.conformance.FamilyConformanceTestCase}, an abstract
 * JUnit 5 test that checks what every {@link dev.dllm.api.DiffusionFamily} owes (found by name, DJL
 * loss = float64 NELBO, ONNX logits = DJL logits, samples without MASK and independent of the
 * thread count, export metadata round trip, bit-exact resume), after Lucene's {@code
 * BasePostingsFormatTestCase}.
 *
 * <p><b>Module layout.</b> The kit needs the trainer, the exporter and runtime-onnx, whose own
 * tests depend on {@code family-ar} and {@code family-mdlm}; so a family module cannot depend on
 * the kit without a cycle, and the kit lives in this separate {@code conformance} module with JUnit
 * as a compile dependency (as Lucene's test-framework). Our own families are checked here, in
 * {@code conformance/src/test/java} ({@code ArConformanceTest}, {@code MdlmConformanceTest}, ...),
 * and {@code EveryFamilyIsCoveredTest} fails when a family registered through the {@link
 * java.util.ServiceLoader} has no conformance subclass. A third-party family module, which the
 * trainer's tests do not depend on, can instead depend on {@code dev.dllm:conformance} in test
 * scope and extend the kit in its own tests.
 */
package dev.dllm.conformance;
