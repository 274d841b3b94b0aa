#pragma once
// JSON as text for messages and files. nlohmann's plain dump() throws on a
// string that is not valid UTF-8, and such strings come from files (a class
// folder named in Latin-1, a crafted checkpoint): invalid bytes become U+FFFD
// here instead of an exception escaping from an error message.
#include <nlohmann/json.hpp>
#include <string>

namespace gaze {

inline std::string json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline std::string json_text(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace gaze
