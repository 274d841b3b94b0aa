#include "tests/cuda/csv_reader.h"

#include "core/error.h"

namespace gaze::gpu_check {

std::vector<std::vector<std::string>> csv_records(const std::string& text) {
  constexpr int kEndOfLine = -1;
  constexpr std::size_t kFieldLimit = 131072;  // csv.field_size_limit()
  enum State { kStartRecord, kStartField, kInField, kInQuotedField, kQuoteInQuotedField, kEatNewline };
  State state = kStartRecord;
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> fields;
  std::string field;
  const auto save = [&] {
    fields.push_back(std::move(field));
    field.clear();
  };
  const auto add = [&](int c) {
    if (field.size() >= kFieldLimit) throw Error("field larger than field limit (131072)");
    field.push_back(static_cast<char>(c));
  };
  const auto line_end = [](int c) { return c == '\n' || c == '\r' || c == kEndOfLine; };
  const auto process = [&](int c) {
    switch (state) {
      case kStartRecord:
        if (c == kEndOfLine) return;  // an empty line: the record []
        if (c == '\n' || c == '\r') {
          state = kEatNewline;
          return;
        }
        state = kStartField;
        [[fallthrough]];
      case kStartField:
        if (line_end(c)) {
          save();
          state = c == kEndOfLine ? kStartRecord : kEatNewline;
        } else if (c == '"') {
          state = kInQuotedField;
        } else if (c == ',') {
          save();
        } else {
          add(c);
          state = kInField;
        }
        return;
      case kInField:
        if (line_end(c)) {
          save();
          state = c == kEndOfLine ? kStartRecord : kEatNewline;
        } else if (c == ',') {
          save();
          state = kStartField;
        } else {
          add(c);
        }
        return;
      case kInQuotedField:
        if (c == '"') {
          state = kQuoteInQuotedField;
        } else if (c != kEndOfLine) {
          add(c);
        }
        return;
      case kQuoteInQuotedField:
        if (c == '"') {
          add(c);
          state = kInQuotedField;
        } else if (c == ',') {
          save();
          state = kStartField;
        } else if (line_end(c)) {
          save();
          state = c == kEndOfLine ? kStartRecord : kEatNewline;
        } else {
          add(c);
          state = kInField;
        }
        return;
      case kEatNewline:
        if (c == kEndOfLine) {
          state = kStartRecord;
        } else if (c != '\n' && c != '\r') {
          throw Error("new-line character seen in unquoted field");
        }
        return;
    }
  };
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t end = text.find_first_of("\r\n", begin);
    end = end == std::string::npos ? text.size() : end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
    for (std::size_t i = begin; i < end; ++i) {
      if (text[i] == '\0') throw Error("line contains NUL");
      process(static_cast<unsigned char>(text[i]));
    }
    process(kEndOfLine);
    begin = end;
    if (state == kStartRecord) {
      records.push_back(std::move(fields));
      fields.clear();
    }
  }
  // Python keeps the fields of an unclosed quote at the end; gaze writes no
  // quotes, so this is a file cut off.
  if (state == kInQuotedField) throw Error("an unclosed quote at the end (cut off?)");
  return records;
}

}  // namespace gaze::gpu_check
