#include "layers/model_file.h"

#include <cmath>

#include "core/error.h"
#include "core/json_text.h"

namespace gaze {

void save_model_file(const std::string& path, const Model& model, const nlohmann::json& info,
                     const NamedTensors& extra) {
  GAZE_CHECK(info.is_object(), "save_model_file: info must be a JSON object");
  nlohmann::json meta = info;
  meta["format"] = kModelFileFormat;
  meta["model"] = model.to_json();
  TensorFile file;
  for (const auto& [name, tensor] : model.named_state()) file.tensors.emplace_back(name, tensor);
  for (const auto& [name, tensor] : extra) {
    GAZE_CHECK(name.rfind(kExtraStatePrefix, 0) == 0, "save_model_file: extra tensor '", name,
               "' must be named ", kExtraStatePrefix, "...");
    file.tensors.emplace_back(name, tensor);
  }
  file.metadata["gaze"] = json_text(meta);
  save_safetensors(path, file);
}

namespace {
void check_finite(const std::string& path, const std::string& name, const Tensor& tensor) {
  const std::vector<float> values = tensor.to_vector();
  for (size_t i = 0; i < values.size(); ++i)
    GAZE_CHECK(std::isfinite(values[i]), "'", path, "': tensor '", name, "' holds the non-finite value ", values[i],
               " at element ", i, " (a diverged or corrupted run); --allow-nonfinite loads it anyway for debugging");
}
}  // namespace

LoadedModel load_model_file(const std::string& path, const ModelFileOptions& options) {
  TensorFile file = load_safetensors(path);
  const auto found = file.metadata.find("gaze");
  GAZE_CHECK(found != file.metadata.end(), "'", path,
             "' is a safetensors file but not a gaze checkpoint (no 'gaze' metadata)");
  nlohmann::json info;
  try {
    info = nlohmann::json::parse(found->second);
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + path + "': the gaze metadata is not valid JSON (" + e.what() + ")");
  }
  GAZE_CHECK(info.is_object(), "'", path, "': the gaze metadata is not a JSON object");
  const nlohmann::json format = info.contains("format") ? info.at("format") : nlohmann::json("?");
  GAZE_CHECK(format.is_string() && format.get<std::string>() == kModelFileFormat, "'", path,
             "': unsupported checkpoint format ", json_text(format), " (expected \"", kModelFileFormat, "\")");
  GAZE_CHECK(info.contains("model"), "'", path, "': the metadata has no model description");
  TensorFile model_tensors;
  NamedTensors extra;
  for (auto& [name, tensor] : file.tensors) {
    if (!options.allow_nonfinite) check_finite(path, name, tensor);
    if (name.rfind(kExtraStatePrefix, 0) == 0) {
      extra.emplace_back(name, tensor);
    } else {
      model_tensors.tensors.emplace_back(name, tensor);
    }
  }
  try {
    Model model = Model::from_json(info.at("model"));
    model.load_state(model_tensors, path);
    return {std::move(model), std::move(info), std::move(extra)};
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + path + "': the model description is malformed (" + e.what() + ")");
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.find(path) != std::string::npos) throw;
    throw Error("'" + path + "': " + message);
  }
}

}  // namespace gaze
