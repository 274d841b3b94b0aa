#include "tests/cuda/xml_reader.h"

#include <algorithm>
#include <unordered_set>

#include "core/error.h"
#include "tests/cuda/report_text.h"

namespace gaze::gpu_check {

namespace {

// After newline normalization, XML whitespace is space, tab and newline.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

bool is_name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
}

bool is_name_char(unsigned char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

bool is_xml_char(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(normalize_newlines(text)) {}

  XmlDocument parse() {
    check_characters();
    if (at("\xEF\xBB\xBF")) pos_ = 3;
    if (at("<?xml") && pos_ + 5 < text_.size() && is_space(text_[pos_ + 5])) declaration();
    misc();
    if (pos_ >= text_.size()) fail("no element found");
    if (at("<!DOCTYPE")) fail("a DOCTYPE is not supported (Catch2 writes none)");
    if (text_[pos_] != '<') fail("not well-formed: text before the root element");
    root();
    misc();
    if (pos_ < text_.size()) fail("junk after document element");
    return std::move(document_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') ++line, line_start = i + 1;
    }
    throw Error(what + ": line " + std::to_string(line) + ", column " + std::to_string(pos_ - line_start));
  }
  [[noreturn]] void cut_off() const { fail("no element found: the document ends early (cut off)"); }

  bool at(std::string_view s) const { return text_.compare(pos_, s.size(), s) == 0; }

  void skip_past(std::string_view end) {
    const std::size_t found = text_.find(end, pos_);
    if (found == std::string::npos) pos_ = text_.size(), cut_off();
    pos_ = found + end.size();
  }

  void check_characters() {
    for (std::size_t i = 0; i < text_.size();) {
      char32_t c;
      const std::size_t length = utf8_sequence(text_, i, &c);
      if (length == 0) pos_ = i, fail("not well-formed (invalid UTF-8)");
      if (!is_xml_char(c)) pos_ = i, fail("not well-formed (invalid token)");
      i += length;
    }
  }

  // <?xml version="V" [encoding="NAME"] [standalone="yes|no"]?>. The text
  // is read as UTF-8 whatever the encoding says, as Python reads a str.
  void declaration() {
    const auto value = [&](std::string_view key) -> std::string {
      if (!at(key)) fail("XML declaration not well-formed");
      pos_ += key.size();
      skip_spaces();
      if (!at("=")) fail("XML declaration not well-formed");
      ++pos_;
      skip_spaces();
      if (pos_ >= text_.size()) cut_off();
      const char quote = text_[pos_];
      const std::size_t close = quote == '"' || quote == '\'' ? text_.find(quote, pos_ + 1) : std::string::npos;
      if (close == std::string::npos) fail("XML declaration not well-formed");
      std::string content = text_.substr(pos_ + 1, close - pos_ - 1);
      pos_ = close + 1;
      return content;
    };
    const auto all_of = [](std::string_view text, auto allowed) {
      for (const char c : text) {
        if (!allowed(c)) return false;
      }
      return !text.empty();
    };
    pos_ += 5;
    skip_spaces();
    const std::string version = value("version");
    if (!all_of(version, [](char c) {
          return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                 c == ':' || c == '-';
        })) {
      fail("XML declaration not well-formed");
    }
    bool spaced = skip_spaces();
    if (spaced && at("encoding")) {
      const std::string encoding = value("encoding");
      const bool letter_first = !encoding.empty() && ((encoding[0] | 0x20) >= 'a' && (encoding[0] | 0x20) <= 'z');
      if (!letter_first || !all_of(encoding, [](char c) {
            return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                   c == '-';
          })) {
        fail("XML declaration not well-formed");
      }
      spaced = skip_spaces();
    }
    if (spaced && at("standalone")) {
      const std::string standalone = value("standalone");
      if (standalone != "yes" && standalone != "no") fail("XML declaration not well-formed");
      skip_spaces();
    }
    if (!at("?>")) {
      if (pos_ >= text_.size()) cut_off();
      fail("XML declaration not well-formed");
    }
    pos_ += 2;
  }

  // Whitespace, comments and processing instructions outside the root.
  void misc() {
    while (true) {
      while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
      if (at("<!--")) {
        comment();
      } else if (at("<?")) {
        processing_instruction();
      } else {
        return;
      }
    }
  }

  void comment() {
    pos_ += 4;
    const std::size_t dashes = text_.find("--", pos_);
    if (dashes == std::string::npos) pos_ = text_.size(), cut_off();
    pos_ = dashes;
    if (dashes + 2 >= text_.size()) pos_ = text_.size(), cut_off();
    if (text_[dashes + 2] != '>') fail("not well-formed: '--' inside a comment");
    pos_ = dashes + 3;
  }

  void processing_instruction() {
    pos_ += 2;
    const std::string target = name();
    if (target.size() == 3 && (target[0] | 0x20) == 'x' && (target[1] | 0x20) == 'm' && (target[2] | 0x20) == 'l') {
      fail("XML or text declaration not at start of entity");
    }
    if (pos_ >= text_.size()) cut_off();
    if (!at("?>") && !is_space(text_[pos_])) fail("not well-formed (invalid token)");
    skip_past("?>");
  }

  std::string name() {
    if (pos_ >= text_.size()) cut_off();
    if (!is_name_start(static_cast<unsigned char>(text_[pos_]))) fail("not well-formed (invalid name)");
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && is_name_char(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    return text_.substr(begin, pos_ - begin);
  }

  bool skip_spaces() {
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    return pos_ != begin;
  }

  // "&...;" at pos_: a predefined entity or a character reference.
  std::string reference() {
    const std::size_t semicolon = text_.find(';', pos_);
    if (semicolon == std::string::npos && text_.size() - pos_ < 16) pos_ = text_.size(), cut_off();
    if (semicolon == std::string::npos || semicolon - pos_ > 16) fail("not well-formed: '&' that starts no reference");
    const std::string_view entity = std::string_view(text_).substr(pos_ + 1, semicolon - pos_ - 1);
    char32_t code = 0;
    if (entity == "lt") {
      code = '<';
    } else if (entity == "gt") {
      code = '>';
    } else if (entity == "amp") {
      code = '&';
    } else if (entity == "quot") {
      code = '"';
    } else if (entity == "apos") {
      code = '\'';
    } else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x';
      const std::string_view digits = entity.substr(hex ? 2 : 1);
      for (const char c : digits) {
        int digit;
        if (c >= '0' && c <= '9') {
          digit = c - '0';
        } else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
          digit = (c | 0x20) - 'a' + 10;
        } else {
          fail("not well-formed: bad character reference");
        }
        code = code * (hex ? 16 : 10) + static_cast<char32_t>(digit);
        if (code > 0x10FFFF) fail("reference to invalid character number");
      }
      if (digits.empty()) fail("not well-formed: bad character reference");
      if (!is_xml_char(code)) fail("reference to invalid character number");
    } else {
      fail("undefined entity");
    }
    std::string value;
    append_utf8(value, code);
    pos_ = semicolon + 1;
    return value;
  }

  std::string& sink() {
    XmlElement& element = document_.elements[sink_element_];
    return sink_is_tail_ ? element.tail : element.text;
  }

  // A start tag at pos_ ("<name ...>" or "<name .../>").
  void start_tag(std::vector<std::size_t>& open) {
    ++pos_;
    const std::size_t index = document_.elements.size();
    XmlElement element;
    element.name = name();
    element.parent = open.empty() ? index : open.back();
    std::unordered_set<std::string> seen;
    bool empty = false;
    while (true) {
      const bool spaced = skip_spaces();
      if (pos_ >= text_.size()) cut_off();
      if (at("/>")) {
        pos_ += 2;
        empty = true;
        break;
      }
      if (text_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (!spaced) fail("not well-formed: expected whitespace, '>' or '/>' in <" + element.name + ">");
      const std::size_t name_start = pos_;
      std::string attribute = name();
      skip_spaces();
      if (pos_ >= text_.size()) cut_off();
      if (text_[pos_] != '=') fail("not well-formed: expected '=' after attribute " + attribute);
      ++pos_;
      skip_spaces();
      if (pos_ >= text_.size()) cut_off();
      const char quote = text_[pos_];
      if (quote != '"' && quote != '\'') fail("not well-formed: unquoted value of attribute " + attribute);
      ++pos_;
      std::string value;
      while (true) {
        if (pos_ >= text_.size()) cut_off();
        const char c = text_[pos_];
        if (c == quote) break;
        if (c == '<') fail("not well-formed: '<' in the value of attribute " + attribute);
        if (c == '&') {
          value += reference();
        } else {
          value.push_back(c == '\t' || c == '\n' ? ' ' : c);  // attribute-value normalization
          ++pos_;
        }
      }
      ++pos_;
      if (!seen.insert(attribute).second) pos_ = name_start, fail("duplicate attribute");
      element.attributes.emplace_back(std::move(attribute), std::move(value));
    }
    document_.elements.push_back(std::move(element));
    sink_element_ = index;
    if (empty) {
      document_.elements[index].end = index + 1;
      sink_is_tail_ = true;
    } else {
      open.push_back(index);
      sink_is_tail_ = false;
    }
  }

  void end_tag(std::vector<std::size_t>& open) {
    pos_ += 2;
    const std::size_t name_start = pos_;
    const std::string closing = name();
    skip_spaces();
    if (pos_ >= text_.size()) cut_off();
    if (text_[pos_] != '>') fail("not well-formed: expected '>' after </" + closing);
    const std::size_t index = open.back();
    if (closing != document_.elements[index].name) pos_ = name_start, fail("mismatched tag");
    ++pos_;
    document_.elements[index].end = document_.elements.size();
    open.pop_back();
    sink_element_ = index;
    sink_is_tail_ = true;
  }

  // The root element and everything in it, without recursion (nesting depth
  // is bounded only by the file's size).
  void root() {
    std::vector<std::size_t> open;
    start_tag(open);
    while (!open.empty()) {
      if (pos_ >= text_.size()) cut_off();
      if (text_[pos_] == '<') {
        if (at("</")) {
          end_tag(open);
        } else if (at("<!--")) {
          comment();
        } else if (at("<![CDATA[")) {
          pos_ += 9;
          const std::size_t end = text_.find("]]>", pos_);
          if (end == std::string::npos) pos_ = text_.size(), cut_off();
          sink().append(text_, pos_, end - pos_);
          pos_ = end + 3;
        } else if (at("<?")) {
          processing_instruction();
        } else if (at("<!")) {
          fail("not well-formed: unsupported markup");
        } else {
          start_tag(open);
        }
      } else if (text_[pos_] == '&') {
        sink() += reference();
      } else if (text_[pos_] == ']') {
        if (at("]]>")) fail("not well-formed: ']]>' in character data");
        sink().push_back(']');
        ++pos_;
      } else {
        const std::size_t end = std::min(text_.find_first_of("<&]", pos_), text_.size());
        sink().append(text_, pos_, end - pos_);
        pos_ = end;
      }
    }
  }

  std::string text_;
  std::size_t pos_ = 0;
  XmlDocument document_;
  std::size_t sink_element_ = 0;
  bool sink_is_tail_ = false;
};

}  // namespace

const std::string* XmlElement::attribute(std::string_view attribute_name) const {
  for (const auto& [key, value] : attributes) {
    if (key == attribute_name) return &value;
  }
  return nullptr;
}

XmlDocument parse_xml(std::string_view text) { return Parser(text).parse(); }

}  // namespace gaze::gpu_check
