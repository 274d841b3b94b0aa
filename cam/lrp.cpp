// Layer-wise relevance propagation (Bach et al. 2015, "On pixel-wise
// explanations for non-linear classifier decisions by layer-wise relevance
// propagation", PLoS ONE 10(7)) and deep Taylor decomposition (Montavon et
// al. 2017, "Explaining nonlinear classification decisions with deep Taylor
// decomposition", Pattern Recognition 65), with the rules as Montavon et al.
// 2019 ("Layer-wise relevance propagation: an overview", in Explainable AI,
// LNCS 11700) write them. Relevance starts as the target logit, R = z_t, and
// flows back through cam/propagation.h's walk; the map is the input
// relevance summed over channels.
//
// Conv and dense layers (z_j = sum_i a_i w_ij + b_j) take the method's rule:
// - lrp-epsilon: R_i = a_i sum_j w_ij R_j / (z_j + eps sign(z_j)), z_j the
//   layer's actual output (bias included, so biases absorb relevance).
//   Without biases and with eps -> 0 the input relevances sum to the logit.
// - lrp-alpha-beta: R_i = sum_j (alpha (a_i w_ij)+ / sum_i (a_i w_ij)+
//   - beta (a_i w_ij)- / sum_i (a_i w_ij)-) R_j, alpha - beta = 1. Biases
//   are left out of the sums (as iNNvestigate's ...IgnoreBias rules and
//   Zennit do), so relevance is conserved; a sum that is 0 passes nothing.
// - deep-taylor: the z+ rule, R_i = sum_j a_i w_ij+ / sum_i a_i w_ij+ R_j,
//   biases left out (Montavon et al. 2017; iNNvestigate's DeepTaylor). It
//   assumes a_i >= 0, as behind every ReLU, where it equals alpha=1, beta=0.
//   Normalized pixels are signed, so a conv or dense layer that reads the
//   input takes the paper's z^B rule for a box l <= x <= h instead,
//   R_i = sum_j (x_i w_ij - l_i w_ij+ - h_i w_ij-) / sum_i (...) R_j, when
//   the pixel range is known (MethodOptions::pixel_low/high; cam-infer
//   passes the checkpoint's, (0 - mean) / std to (1 - mean) / std);
//   without it z+ applies there too (iNNvestigate's DeepTaylor; its
//   BoundedDeepTaylor is the z^B version).
// A batchnorm is folded into the conv or dense layer it reads (W' = W gamma
// / sqrt(var + eps), as the LRP literature does); one that reads anything
// else, or whose conv has other readers, is an error naming it. Avgpool, gap
// and add, whose weights are positive constants, take the z rule
// R_i = a_i R_j / z_j (stabilized by eps under lrp-epsilon) whatever the
// method, as iNNvestigate does; maxpool sends each window's relevance to its
// maximum (winner takes all); ReLU, flatten, dropout and concat pass
// relevance through. Any other layer is an error naming it.
#include <algorithm>
#include <cmath>

#include "cam/backprop.h"
#include "cam/methods.h"
#include "cam/propagation.h"
#include "core/autograd.h"
#include "core/error.h"

namespace gaze::cam {

namespace {
using detail::LayerRole;

enum class Rule { epsilon, alpha_beta, z_plus };

struct LrpRule {
  std::string method;
  Rule rule = Rule::epsilon;
  float epsilon = 0, alpha = 1, beta = 0;
  std::vector<float> low, high;  // z_plus: the pixel box of the z^B rule at the input, per channel (empty: none)
};

// [N, C, H, W] filled with values[c] in channel c, on x's device.
Tensor per_channel(const Tensor& x, const std::vector<float>& values) {
  GAZE_CHECK(static_cast<int64_t>(values.size()) == x.dim(1), "deep-taylor: ", values.size(),
             " pixel bounds for ", x.dim(1), " input channels");
  std::vector<float> filled(static_cast<size_t>(x.numel()));
  const size_t plane = static_cast<size_t>(x.dim(2) * x.dim(3));
  for (size_t i = 0; i < filled.size(); ++i) filled[i] = values[(i / plane) % values.size()];
  return Tensor::from_vector(x.shape(), filled, x.device());
}

// The relevance at a conv or dense layer's input, from R at its output.
// `weight` is the layer's (or its folded) weight; z its actual output.
Tensor weighted_rule(Layer& layer, const Tensor& a, const Tensor& z, const Tensor& weight, const Tensor& relevance,
                     const LrpRule& rule, bool reads_pixels) {
  using namespace detail;
  auto forward = [&](const Tensor& w, const Tensor& input) {
    WeightOverride override_weight(layer, w);
    NoGradGuard no_grad;
    return layer.forward({input}, ForwardContext{});
  };
  auto transpose = [&](const Tensor& w, const Tensor& s) {
    WeightOverride override_weight(layer, w);
    return layer_vjp(layer, {a}, s).front();
  };
  if (rule.rule == Rule::epsilon)
    return product(a, transpose(weight, stabilized_ratio(relevance, z, rule.epsilon)));
  const Tensor w_pos = positive_part(weight);
  if (rule.rule == Rule::z_plus && reads_pixels && !rule.low.empty() && a.ndim() == 4) {  // z^B
    const Tensor w_neg = negative_part(weight), low = per_channel(a, rule.low), high = per_channel(a, rule.high);
    const Tensor z_box = plus(forward(weight, a), scaled(plus(forward(w_pos, low), forward(w_neg, high)), -1.0f));
    const Tensor s = stabilized_ratio(relevance, z_box, 0);
    return plus(product(a, transpose(weight, s)),
                scaled(plus(product(low, transpose(w_pos, s)), product(high, transpose(w_neg, s))), -1.0f));
  }
  if (rule.rule == Rule::z_plus) return product(a, transpose(w_pos, stabilized_ratio(relevance, forward(w_pos, a), 0)));
  // alpha-beta: contributions a_i w_ij split by sign. Behind a ReLU a >= 0
  // and only the a+ terms remain.
  const Tensor w_neg = negative_part(weight);
  const Tensor a_pos = positive_part(a), a_neg = negative_part(a);
  const std::vector<float> host = a.to_vector();
  const bool signed_input = std::any_of(host.begin(), host.end(), [](float v) { return v < 0; });
  auto part = [&](const Tensor& w_for_pos, const Tensor& w_for_neg, float factor) {
    Tensor z_part = forward(w_for_pos, a_pos);
    if (signed_input) z_part = plus(z_part, forward(w_for_neg, a_neg));
    const Tensor s = stabilized_ratio(relevance, z_part, 0);
    Tensor r = product(a_pos, transpose(w_for_pos, s));
    if (signed_input) r = plus(r, product(a_neg, transpose(w_for_neg, s)));
    return scaled(r, factor);
  };
  Tensor r = part(w_pos, w_neg, rule.alpha);
  if (rule.beta != 0) r = plus(r, part(w_neg, w_pos, -rule.beta));
  return r;
}

std::vector<Map> lrp_maps(Model& model, const Tensor& x, const std::vector<int>& targets, const LrpRule& rule) {
  GAZE_CHECK(static_cast<int64_t>(targets.size()) == x.dim(0), rule.method, ": ", targets.size(),
             " target classes for ", x.dim(0), " images");
  const std::map<std::string, std::string> folds = detail::fold_plan(model, rule.method);
  detail::FrozenParameters frozen(model);
  const detail::Activations activations = detail::forward_activations(model, x);
  const Tensor seed = detail::target_seed(activations.at(model.logits_name()), targets, true);
  const float pool_epsilon = rule.rule == Rule::epsilon ? rule.epsilon : 0.0f;
  const Tensor relevance = detail::propagate_to_input(model, seed, [&](size_t i, const Tensor& r) {
    Layer& layer = model.layer(i);
    const std::string& name = layer.name();
    std::vector<Tensor> inputs;
    for (const std::string& input : model.inputs_of(name)) inputs.push_back(activations.at(input));
    switch (detail::layer_role(layer)) {
      case LayerRole::weighted: {
        const auto fold = folds.find(name);
        const bool reads_pixels = model.inputs_of(name).front() == "input";
        if (fold == folds.end())
          return std::vector<Tensor>{weighted_rule(layer, inputs[0], activations.at(name),
                                                   layer.tensor("weight"), r, rule, reads_pixels)};
        return std::vector<Tensor>{weighted_rule(layer, inputs[0], activations.at(fold->second),
                                                 detail::folded_weight(layer, model.layer(fold->second)), r, rule,
                                                 reads_pixels)};
      }
      case LayerRole::average_pool:
      case LayerRole::sum: {
        const Tensor s = detail::stabilized_ratio(r, activations.at(name), pool_epsilon);
        std::vector<Tensor> sent = detail::layer_vjp(layer, inputs, s);
        for (size_t k = 0; k < sent.size(); ++k) sent[k] = detail::product(inputs[k], sent[k]);
        return sent;
      }
      case LayerRole::max_pool:
      case LayerRole::route: return detail::layer_vjp(layer, inputs, r);
      case LayerRole::relu:
      case LayerRole::batchnorm: return std::vector<Tensor>{r};  // folded into the layer it reads (fold_plan)
      default: detail::unsupported_layer(rule.method, layer, detail::kFoldPlanHandled);
    }
  });
  return detail::channel_sum_maps(relevance);
}
}  // namespace

std::vector<Map> lrp_epsilon_maps(Model& model, const Tensor& x, const std::vector<int>& targets, float epsilon) {
  GAZE_CHECK(epsilon >= 0, "lrp-epsilon: epsilon must be >= 0, got ", epsilon);
  return lrp_maps(model, x, targets, {"lrp-epsilon", Rule::epsilon, epsilon, 1, 0, {}, {}});
}

std::vector<Map> lrp_alpha_beta_maps(Model& model, const Tensor& x, const std::vector<int>& targets, float alpha,
                                     float beta) {
  GAZE_CHECK(alpha >= 1 && beta >= 0 && std::abs(alpha - beta - 1) < 1e-6f,
             "lrp-alpha-beta needs alpha - beta = 1 with alpha >= 1 and beta >= 0 (for example alpha 1, beta 0 or "
             "alpha 2, beta 1), got alpha ", alpha, ", beta ", beta);
  return lrp_maps(model, x, targets, {"lrp-alpha-beta", Rule::alpha_beta, 0, alpha, beta, {}, {}});
}

std::vector<Map> deep_taylor_maps(Model& model, const Tensor& x, const std::vector<int>& targets,
                                  const std::vector<float>& pixel_low, const std::vector<float>& pixel_high) {
  GAZE_CHECK(pixel_low.size() == pixel_high.size(), "deep-taylor: ", pixel_low.size(), " lower and ",
             pixel_high.size(), " upper pixel bounds");
  for (size_t c = 0; c < pixel_low.size(); ++c)
    GAZE_CHECK(pixel_low[c] <= pixel_high[c], "deep-taylor: pixel bounds [", pixel_low[c], ", ", pixel_high[c],
               "] of channel ", c, " are empty");
  return lrp_maps(model, x, targets, {"deep-taylor", Rule::z_plus, 0, 1, 0, pixel_low, pixel_high});
}

}  // namespace gaze::cam
