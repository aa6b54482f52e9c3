package dev.dllm.conformance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.conformance.RecordingBackbone.Fed;
import dev.dllm.conformance.RecordingBackbone.Rewrite;
import dev.dllm.trainer.autograd.DjlBackbone;
import dev.dllm.trainer.model.DitModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The network of {@link SftMaskCheck}: the kit's tiny DiT with a frozen teacher on the same
 * weights, run through {@link RecordingBackbone}s that record what each is fed.
 */
final class SftNet {
  /** One loss and what the network (and teacher) were fed. */
  record Run(float loss, List<Fed> fed, List<Fed> teacherFed) {}

  final NDManager root;
  final DitModel model;
  final DitModel teacher;
  final TrainingObjective<NDArray> objective;
  final SpecialTokens specials;

  SftNet(
      NDManager root,
      DitModel model,
      DitModel teacher,
      TrainingObjective<NDArray> objective,
      SpecialTokens specials) {
    this.objective = objective;
    this.specials = specials;
    this.root = root;
    this.model = model;
    this.teacher = teacher;
  }

  Run loss(TrainingBatch batch, String name, Rewrite rewrite) {
    List<Fed> fed = new ArrayList<>();
    List<Fed> teacherFed = new ArrayList<>();
    try (NDManager scope = root.newSubManager()) {
      RecordingBackbone frozen =
          new RecordingBackbone(new DjlBackbone(teacher, scope, null), teacherFed, rewrite, null);
      RecordingBackbone net =
          new RecordingBackbone(new DjlBackbone(model, scope, null), fed, rewrite, frozen);
      float loss = objective.loss(batch, net, name).getFloat();
      return new Run(loss, fed, teacherFed);
    }
  }

  TrainingBatch batch(int[] x0, int b, int l, double[] t, long seed, boolean[] given) {
    return new TrainingBatch(
        x0.clone(),
        b,
        l,
        t.clone(),
        specials,
        new Rng(seed),
        0,
        1,
        given == null ? null : given.clone());
  }
}
