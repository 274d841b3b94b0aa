// GradientReducer: buckets cover the gradient arena once, in reverse
// parameter order, start in order, and (with overlap) start while backward
// is still running: the event log of a recording communicator shows the
// first bucket's all-reduce before the first layer's gradient is final.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/core.h"
#include "layers/model.h"
#include "train/gradient_reducer.h"
#include "train/parameter_arena.h"

using namespace gaze;
using namespace gaze::train;

namespace {

Model small_model() {
  return Model::from_json(nlohmann::json::parse(R"({"input": [1, 6, 6], "layers": [
      {"type": "conv", "name": "conv1", "filters": 3, "kernel": 3, "padding": 1},
      {"type": "relu", "name": "relu1"},
      {"type": "conv", "name": "conv2", "filters": 4, "kernel": 3, "padding": 1},
      {"type": "relu", "name": "relu2"},
      {"type": "gap", "name": "gap"},
      {"type": "dense", "name": "fc", "units": 2}]})"),
                          5);
}

Tensor fixed_loss(Model& model) {
  Rng rng(11);
  const Tensor images = Tensor::randn({4, 1, 6, 6}, rng);
  const Tensor labels = Tensor::from_vector({4}, {0, 1, 1, 0});
  return ops::cross_entropy(model.forward(images, true), labels);
}

// Two ranks holding the same data would average to the same values; this
// one halves them instead, so that each element reduced exactly once shows.
// It logs when each all-reduce starts and is waited for.
class RecordingCommunicator final : public Communicator {
 public:
  explicit RecordingCommunicator(std::vector<std::string>& log) : log_(log) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::unique_ptr<PendingCollective> start_all_reduce_average(Tensor t) override {
    log_.push_back("start " + std::to_string(t.numel()));
    sizes.push_back(t.numel());
    return std::make_unique<Pending>(t, log_);
  }
  void all_reduce_sum(double*, size_t) override {}
  void broadcast(Tensor, int) override {}
  void check_same(const std::string&, unsigned long long) override {}
  std::vector<int64_t> sizes;

 private:
  class Pending final : public PendingCollective {
   public:
    Pending(Tensor t, std::vector<std::string>& log) : tensor_(std::move(t)), log_(log) {}
    void wait() override {
      log_.push_back("wait");
      float* data = tensor_.data();
      for (int64_t i = 0; i < tensor_.numel(); ++i) data[i] *= 0.5f;
    }
    bool test() override { return false; }

   private:
    Tensor tensor_;
    std::vector<std::string>& log_;
  };
  std::vector<std::string>& log_;
};

size_t index_of(const std::vector<std::string>& log, const std::string& entry) {
  for (size_t i = 0; i < log.size(); ++i)
    if (log[i] == entry) return i;
  FAIL("'" << entry << "' is not in the log");
  return 0;
}

}  // namespace

TEST_CASE("buckets cover the gradient arena once, from the last parameters to the control values",
          "[parallel][reducer]") {
  Model model = small_model();
  ParameterArena arena(model);
  std::vector<std::string> log;
  RecordingCommunicator comm(log);
  GradientReducer reducer(arena, comm, {true, 20});
  const auto& buckets = reducer.buckets();
  REQUIRE(buckets.size() >= 2);
  int64_t end = arena.gradient_arena().numel();
  size_t parameters = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    CAPTURE(b);
    CHECK(buckets[b].end == end);  // contiguous, walking down from the end
    CHECK(buckets[b].begin < buckets[b].end);
    end = buckets[b].begin;
    parameters += buckets[b].parameters;
  }
  CHECK(end == 0);  // the last bucket holds the control values
  CHECK(parameters == arena.slices().size());
  // A bucket closes as soon as it reaches the size: without its first
  // (lowest) parameter it would be below the size.
  for (size_t b = 0; b + 1 < buckets.size(); ++b) {
    int64_t lowest = 0;
    for (const auto& slice : arena.slices())
      if (ParameterArena::kControlFloats + slice.offset == buckets[b].begin) lowest = slice.numel;
    CHECK(buckets[b].end - buckets[b].begin >= 20);
    CHECK(buckets[b].end - buckets[b].begin - lowest < 20);
  }
}

TEST_CASE("with overlap, the first bucket's all-reduce starts before backward has finished", "[parallel][reducer]") {
  Model model = small_model();
  ParameterArena arena(model);
  std::vector<std::string> log;
  RecordingCommunicator comm(log);
  GradientReducer reducer(arena, comm, {true, 20});
  // The first layer's weight is among the last gradients backward finishes.
  Tensor first_weight = arena.parameter_views().front();  // conv1.weight
  REQUIRE(arena.slices().front().name == "conv1.weight");
  first_weight.add_grad_final_hook([&](const Tensor&) { log.push_back("conv1.weight final"); });
  arena.zero_grad();
  const Tensor loss = fixed_loss(model);
  reducer.arm();
  loss.backward();
  log.push_back("backward returned");
  reducer.finish();
  CAPTURE(log);
  const size_t first_start = index_of(log, "start " + std::to_string(comm.sizes.front()));
  CHECK(first_start < index_of(log, "conv1.weight final"));
  CHECK(index_of(log, "conv1.weight final") < index_of(log, "backward returned"));
  // Every bucket started, all but the last (with conv1 and the control
  // values) during backward, and the waits come after backward.
  REQUIRE(comm.sizes.size() == reducer.buckets().size());
  for (size_t b = 0; b < reducer.buckets().size(); ++b)
    CHECK(comm.sizes[b] == reducer.buckets()[b].end - reducer.buckets()[b].begin);
  CHECK(index_of(log, "wait") > index_of(log, "backward returned"));
  size_t starts_in_backward = 0;
  for (size_t i = 0; i < index_of(log, "backward returned"); ++i) starts_in_backward += log[i].rfind("start", 0) == 0;
  CHECK(starts_in_backward == reducer.buckets().size());
}

TEST_CASE("without overlap every all-reduce starts after backward, in the same order", "[parallel][reducer]") {
  Model model = small_model();
  ParameterArena arena(model);
  std::vector<std::string> log;
  RecordingCommunicator comm(log);
  GradientReducer reducer(arena, comm, {false, 20});
  arena.zero_grad();
  const Tensor loss = fixed_loss(model);
  reducer.arm();
  loss.backward();
  log.push_back("backward returned");
  reducer.finish();
  CAPTURE(log);
  CHECK(log.front() == "backward returned");
  REQUIRE(comm.sizes.size() == reducer.buckets().size());
  for (size_t b = 0; b < reducer.buckets().size(); ++b)
    CHECK(comm.sizes[b] == reducer.buckets()[b].end - reducer.buckets()[b].begin);
}

TEST_CASE("finish() averages every gradient and control value exactly once", "[parallel][reducer]") {
  Model model = small_model();
  ParameterArena arena(model);
  std::vector<std::string> log;
  RecordingCommunicator comm(log);
  GradientReducer reducer(arena, comm, {true, 7});
  arena.zero_grad();
  arena.control().fill_(2.0f);
  const Tensor loss = fixed_loss(model);
  reducer.arm();
  loss.backward();
  const std::vector<float> before = arena.gradient_arena().to_vector();
  reducer.finish();
  const std::vector<float> after = arena.gradient_arena().to_vector();
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) REQUIRE(after[i] == 0.5f * before[i]);
  CHECK(after[0] == 1.0f);
}

TEST_CASE("an unarmed backward reduces nothing; a single process has no hooks", "[parallel][reducer]") {
  Model model = small_model();
  ParameterArena arena(model);
  std::vector<std::string> log;
  RecordingCommunicator comm(log);
  GradientReducer reducer(arena, comm, {true, 20});
  arena.zero_grad();
  fixed_loss(model).backward();  // e.g. an accumulated micro-batch
  CHECK(log.empty());
  SingleProcess alone;
  GradientReducer single(arena, alone, {true, 20});
  arena.zero_grad();
  fixed_loss(model).backward();
  const std::vector<float> before = arena.gradient_arena().to_vector();
  single.arm();
  CHECK(single.finish() == 0);
  CHECK(arena.gradient_arena().to_vector() == before);
}
