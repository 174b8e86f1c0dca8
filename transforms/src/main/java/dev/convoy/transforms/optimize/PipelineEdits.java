package dev.convoy.transforms.optimize;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Applies {@code --enable} and {@code --disable} to a pipeline: a disabled rule or pass is taken
 * out wherever it appears; an enabled rule the pipeline lacks joins its first rule set (or a new
 * one at the end), an enabled pass the pipeline lacks runs at the end. Unknown names are errors.
 */
final class PipelineEdits {
  private PipelineEdits() {}

  static PassPipeline apply(PassPipeline p, Set<String> enabled, Set<String> disabled) {
    for (String n : enabled) {
      PassRegistry.requireKnown(n, "--enable");
    }
    for (String n : disabled) {
      PassRegistry.requireKnown(n, "--disable");
    }
    List<PassPipeline.Step> steps = without(p.steps(), disabled);
    List<String> present = new PassPipeline(steps).names();
    List<String> addRules = new ArrayList<>();
    for (String n : enabled) {
      if (present.contains(n) || disabled.contains(n)) {
        continue;
      }
      if (PassRegistry.isRule(n)) {
        addRules.add(n);
      } else {
        steps.add(new PassPipeline.RunPass(n));
      }
    }
    if (!addRules.isEmpty() && !addToFirstRuleSet(steps, addRules.stream().sorted().toList())) {
      steps.add(
          new PassPipeline.RunRules(
              "enabled", RuleSetPass.DEFAULT_MAX_REWRITES, addRules.stream().sorted().toList()));
    }
    return new PassPipeline(steps);
  }

  private static List<PassPipeline.Step> without(List<PassPipeline.Step> steps, Set<String> off) {
    List<PassPipeline.Step> out = new ArrayList<>();
    for (PassPipeline.Step s : steps) {
      if (s instanceof PassPipeline.RunPass p && !off.contains(p.pass())) {
        out.add(p);
      } else if (s instanceof PassPipeline.RunRules r) {
        List<String> kept = r.rules().stream().filter(n -> !off.contains(n)).toList();
        if (!kept.isEmpty()) {
          out.add(new PassPipeline.RunRules(r.name(), r.maxRewrites(), kept));
        }
      } else if (s instanceof PassPipeline.Repeat r) {
        out.add(new PassPipeline.Repeat(r.maxRounds(), without(r.steps(), off)));
      }
    }
    return out;
  }

  private static boolean addToFirstRuleSet(List<PassPipeline.Step> steps, List<String> rules) {
    for (int i = 0; i < steps.size(); i++) {
      PassPipeline.Step s = steps.get(i);
      if (s instanceof PassPipeline.RunRules r) {
        List<String> all = new ArrayList<>(r.rules());
        all.addAll(rules);
        steps.set(i, new PassPipeline.RunRules(r.name(), r.maxRewrites(), all));
        return true;
      }
      if (s instanceof PassPipeline.Repeat r) {
        List<PassPipeline.Step> inner = new ArrayList<>(r.steps());
        if (addToFirstRuleSet(inner, rules)) {
          steps.set(i, new PassPipeline.Repeat(r.maxRounds(), inner));
          return true;
        }
      }
    }
    return false;
  }
}
