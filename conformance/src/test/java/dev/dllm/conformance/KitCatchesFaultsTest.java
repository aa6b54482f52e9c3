package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.schedule.NoiseSchedule;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.family.mdlm.MdlmFamily;
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
        return (d, b, l, specials, rng) -> {
          SampleBatch out = s.sample(d, b, l, specials, rng);
          int[] ids = out.tokens().ids().clone();
          edit.apply(ids, specials);
          return new SampleBatch(new TokenBatch(ids, b, l), out.nfe());
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
