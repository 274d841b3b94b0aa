#pragma once
// A small XML reader for Catch2's XML reports (test_cuda -r xml). It accepts
// only a complete, well-formed document: one root element, matching tags,
// valid UTF-8 of XML characters, unique attributes, the five predefined
// entities and character references. A report cut off anywhere is an error,
// never a partial tree. A DOCTYPE is refused (Catch2 writes none, and its
// entity definitions are a way to make a reader expand without bound).
// The tree has the shape of Python's ElementTree, which gpu-check's verdicts
// were first written against: each element keeps its character data before
// the first child (text) and after its end tag (tail); comments and
// processing instructions are dropped, adjacent character data is joined.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gaze::gpu_check {

struct XmlElement {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  // document order, values decoded
  std::string text;  // character data before the first child element
  std::string tail;  // character data after the end tag, before the next sibling
  std::size_t parent = 0;  // index in XmlDocument::elements (the root is its own parent)
  std::size_t end = 0;     // one past the last element of this subtree

  // The value of attribute `name`, or nullptr.
  const std::string* attribute(std::string_view name) const;
};

struct XmlDocument {
  // Elements in document order, so the subtree of elements[i] is the range
  // [i, elements[i].end); elements[0] is the root.
  std::vector<XmlElement> elements;
};

// Throws gaze::Error "WHAT: line L, column C" (1-based line, 0-based byte
// column, as expat reports them) for anything that is not a complete document.
XmlDocument parse_xml(std::string_view text);

}  // namespace gaze::gpu_check
