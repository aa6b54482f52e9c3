package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.Backbone;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.family.mdlm.MdlmFamily;
import dev.dllm.trainer.Objectives;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The kit is not vacuous: MDLM wrapped in a single fault fails exactly the check that owns it. (The
 * faulty kits are anonymous classes, which neither Surefire nor the coverage scan pick up.)
 */
class KitCatchesFaultsTest {

  @Test
  void aNelboOffByOnePercentFailsTheLossCheck() {
    DiffusionFamily faulty =
        new Wrapped() {
          @Override
          public NllSum nelbo(
              Denoiser d, int[] x0, int b, int l, double[] t, SpecialTokens s, Rng rng) {
            NllSum n = inner.nelbo(d, x0, b, l, t, s, rng);
            return new NllSum(n.nll() * 1.01, n.tokens());
          }
        };
    fails(
        kit(faulty, Set.of("low_var")), FamilyConformanceTestCase::trainingLossEqualsFloat64Nelbo);
  }

  @Test
  void comparingTheTrainingOnlyObjectiveFailsTheLossCheck() {
    // low_var (unweighted masked CE) is not the NELBO: the kit must notice when asked to compare it
    fails(
        kit(new Wrapped() {}, Set.of()), FamilyConformanceTestCase::trainingLossEqualsFloat64Nelbo);
    fails(
        kit(new Wrapped() {}, Set.of("elbo", "low_var")),
        FamilyConformanceTestCase::trainingLossEqualsFloat64Nelbo);
  }

  @Test
  void aSampleWithAMaskFailsTheSamplingCheck() {
    fails(
        kit(withSampler((out, s) -> out[out.length - 1] = s.mask()), Set.of("low_var")),
        FamilyConformanceTestCase::samplesHaveNoMaskAndDoNotDependOnThreads);
  }

  @Test
  void aSamplerThatIsNotReproducibleFailsTheSamplingCheck() {
    AtomicInteger calls = new AtomicInteger();
    fails(
        kit(withSampler((out, s) -> out[0] = calls.getAndIncrement() % 2), Set.of("low_var")),
        FamilyConformanceTestCase::samplesHaveNoMaskAndDoNotDependOnThreads);
  }

  @Test
  void metadataTheExportDoesNotCarryFailsTheMetadataCheck() {
    DiffusionFamily faulty =
        new Wrapped() {
          @Override
          public Map<String, String> exportMetadata() {
            Map<String, String> m = new HashMap<>(inner.exportMetadata());
            m.put("extra", "lost on export");
            return m;
          }
        };
    fails(kit(faulty, Set.of("low_var")), FamilyConformanceTestCase::exportMetadataRoundTrips);
  }

  @Test
  void anObjectiveThatIgnoresTheSftMaskFailsTheSftCheck() {
    // corrupts and scores the prompt: the input and oracle parts notice
    sftFails("mdlm", Set.of("low_var"), inner -> ignoringMask(inner));
    // AR has nothing to corrupt: scoring prompt targets must be caught by the target/oracle parts
    sftFails("ar", Set.of(), inner -> ignoringMask(inner));
  }

  @Test
  void anSftLossNormalisedByAllPositionsFailsTheSftCheck() {
    // prompt clean and unscored, but divided by B·L instead of the free positions
    sftFails(
        "mdlm",
        Set.of("low_var"),
        inner ->
            new Delegating(inner) {
              @Override
              public NDArray loss(TrainingBatch batch, Backbone<NDArray> net, String objective) {
                NDArray loss = inner.loss(batch, net, objective);
                if (batch.given() == null) {
                  return loss;
                }
                long free = 0;
                for (boolean g : batch.given()) {
                  free += g ? 0 : 1;
                }
                return loss.mul(net.constant((double) free / batch.x0().length));
              }
            });
  }

  @Test
  void theUnfaultedObjectivePassesTheSftCheck() {
    try (Fixture f = new Fixture("mdlm", new MdlmFamily(), TinyModel.DEFAULT)) {
      new SftMaskCheck(f, new MdlmFamily(), Objectives.forFamily("mdlm"), Set.of("low_var")).run();
    }
  }

  private static void sftFails(
      String familyName,
      Set<String> trainingOnly,
      java.util.function.UnaryOperator<TrainingObjective<NDArray>> fault) {
    DiffusionFamily family = FamilyRegistry.load().get(familyName);
    try (Fixture f = new Fixture(familyName, family, TinyModel.DEFAULT)) {
      SftMaskCheck check =
          new SftMaskCheck(f, family, fault.apply(Objectives.forFamily(familyName)), trainingOnly);
      AssertionError e = assertThrows(AssertionError.class, check::run);
      assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
    }
  }

  /** The objective run as if nothing were given (pre-training on an SFT batch). */
  private static TrainingObjective<NDArray> ignoringMask(TrainingObjective<NDArray> inner) {
    return new Delegating(inner) {
      @Override
      public NDArray loss(TrainingBatch b, Backbone<NDArray> net, String objective) {
        TrainingBatch plain =
            new TrainingBatch(
                b.x0(),
                b.batch(),
                b.length(),
                b.t(),
                b.specials(),
                b.rng(),
                b.step(),
                b.totalSteps());
        return inner.loss(plain, net, objective);
      }
    };
  }

  /** A training objective delegated method by method (subclasses inject one fault). */
  private static class Delegating implements TrainingObjective<NDArray> {
    final TrainingObjective<NDArray> inner;

    Delegating(TrainingObjective<NDArray> inner) {
      this.inner = inner;
    }

    @Override
    public String family() {
      return inner.family();
    }

    @Override
    public Class<NDArray> arrayType() {
      return inner.arrayType();
    }

    @Override
    public Set<String> objectives() {
      return inner.objectives();
    }

    @Override
    public NDArray loss(TrainingBatch batch, Backbone<NDArray> net, String objective) {
      return inner.loss(batch, net, objective);
    }
  }

  @Test
  void theUnfaultedWrapperPasses() throws Exception {
    FamilyConformanceTestCase kit = kit(new Wrapped() {}, Set.of("low_var"));
    try {
      kit.trainingLossEqualsFloat64Nelbo();
      kit.samplesHaveNoMaskAndDoNotDependOnThreads();
      kit.exportMetadataRoundTrips();
    } finally {
      kit.closeFixture();
    }
  }

  private static void fails(
      FamilyConformanceTestCase kit, Consumer<FamilyConformanceTestCase> check) {
    try {
      AssertionError e = assertThrows(AssertionError.class, () -> check.accept(kit));
      assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
    } finally {
      kit.closeFixture();
    }
  }

  private static FamilyConformanceTestCase kit(DiffusionFamily family, Set<String> trainingOnly) {
    return new FamilyConformanceTestCase() {
      @Override
      protected String familyName() {
        return "mdlm";
      }

      @Override
      protected TinyModel tinyModel() {
        return TinyModel.DEFAULT;
      }

      @Override
      protected DiffusionFamily family() {
        return family;
      }

      @Override
      protected Set<String> trainingOnlyObjectives() {
        return trainingOnly;
      }
    };
  }

  /** MDLM whose sampler's output is edited by {@code edit(ids, specials)}. */
  private static DiffusionFamily withSampler(Edit edit) {
    return new Wrapped() {
      @Override
      public Sampler newSampler(SamplerSpec spec) {
        Sampler s = inner.newSampler(spec);
        return new Sampler() {
          @Override
          public SampleBatch sample(Denoiser d, int b, int l, SpecialTokens specials, Rng rng) {
            SampleBatch out = s.sample(d, b, l, specials, rng);
            int[] ids = out.tokens().ids().clone();
            edit.apply(ids, specials);
            return new SampleBatch(new TokenBatch(ids, b, l), out.nfe());
          }
        };
      }
    };
  }

  private interface Edit {
    void apply(int[] ids, SpecialTokens specials);
  }

  /** MDLM, delegated method by method (subclasses inject one fault). */
  private abstract static class Wrapped implements DiffusionFamily {
    final MdlmFamily inner = new MdlmFamily();

    @Override
    public String name() {
      return inner.name();
    }

    @Override
    public String description() {
      return inner.description();
    }

    @Override
    public BackboneSpec backbone() {
      return inner.backbone();
    }

    @Override
    public NoiseSchedule schedule() {
      return inner.schedule();
    }

    @Override
    public int[] corrupt(int[] x0, int b, int l, double[] t, SpecialTokens s, Rng rng) {
      return inner.corrupt(x0, b, l, t, s, rng);
    }

    @Override
    public NllSum nelbo(Denoiser d, int[] x0, int b, int l, double[] t, SpecialTokens s, Rng rng) {
      return inner.nelbo(d, x0, b, l, t, s, rng);
    }

    @Override
    public Sampler newSampler(SamplerSpec spec) {
      return inner.newSampler(spec);
    }

    @Override
    public Map<String, String> exportMetadata() {
      return inner.exportMetadata();
    }
  }
}
