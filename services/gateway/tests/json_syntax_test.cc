#include "services/gateway/src/json_syntax.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace itsm::gateway {
namespace {

TEST(JsonSyntax, FindsNothingWrongWithJsonTexts) {
  for (const std::string json : {
           R"({})",
           R"([])",
           R"( {"a": [1, -2.5e+3, 0, 0.25, -0, 1E9, true, false, null, "x"], "b": {"c": {}}} )",
           R"("a top-level string")",
           R"(42)",
           "\t\r\n null \n",
           R"({"escapes": "\" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00"})",
           "{\"utf-8\": \"\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}",
           R"([[[[[[[[[[]]]]]]]]]])",
       }) {
    EXPECT_FALSE(FindJsonSyntaxError(json).has_value())
        << json << ": " << FindJsonSyntaxError(json)->ToString();
  }
}

TEST(JsonSyntax, SaysWhatAndWhereTheFirstMistakeIs) {
  struct Case {
    std::string json;
    std::string description;
    size_t byte;
    int line;
    int column;
  };
  for (const Case& c : std::vector<Case>{
           {"", "the body is empty", 0, 1, 1},
           {"\xEF\xBB\xBF{}", "a byte order mark (JSON is sent without one)", 0, 1, 1},
           {std::string("\xFF\xFE{\0}\0", 6), "a UTF-16 byte order mark (the body must be UTF-8)",
            0, 1, 1},
           {std::string("\xFE\xFF\0{\0}", 6), "a UTF-16 byte order mark (the body must be UTF-8)",
            0, 1, 1},
           {"   ", "the body ends before its value", 3, 1, 4},
           {R"({"title": )", "the body ends before its value", 10, 1, 11},
           {R"({"title": "x", [[[)", "expected a key (a string in double quotes)", 15, 1, 16},
           {R"({title: "x"})", "expected a key (a string in double quotes) or '}'", 1, 1, 2},
           {R"({"a" 1})", "expected ':' after the key", 5, 1, 6},
           {"{\"a\": 1,\n \"b\": 2\n \"c\": 3}", "expected ',' or '}'", 18, 3, 2},
           {R"([1 2])", "expected ',' or ']'", 3, 1, 4},
           {R"([1,])", "expected a value (an object, array, string, number, true, false or null)",
            3, 1, 4},
           {R"({"a": 1,})", "expected a key (a string in double quotes)", 8, 1, 9},
           {R"({} {})", "more text after the JSON value", 3, 1, 4},
           {R"("str" x)", "more text after the JSON value", 6, 1, 7},
           {R"({"a": tru})",
            "expected a value (an object, array, string, number, true, false or "
            "null)",
            6, 1, 7},
           {R"({"a": 'x'})",
            "expected a value (an object, array, string, number, true, false or "
            "null)",
            6, 1, 7},
           {R"({"a": 01})", "expected ',' or '}'", 7, 1, 8},
           {R"({"a": -})", "a number without digits", 6, 1, 7},
           {R"({"a": 1.})", "a number without digits after its '.'", 6, 1, 7},
           {R"({"a": 1e+})", "a number without digits in its exponent", 6, 1, 7},
           {R"({"a": -1e400})", "a number beyond the range of a double (about ±1.8e308)", 6, 1, 7},
           {R"({"a": .5})",
            "expected a value (an object, array, string, number, true, false or "
            "null)",
            6, 1, 7},
           {R"({"a": "abc)", "a string without its closing quote", 6, 1, 7},
           {R"({"a": "\x"})",
            "an escape JSON does not have (\\\" \\\\ \\/ \\b \\f \\n \\r \\t "
            "\\uXXXX)",
            7, 1, 8},
           {R"({"a": "\u12G4"})", "\\u not followed by four hexadecimal digits", 7, 1, 8},
           // Half a UTF-16 surrogate pair is no character (a pair is: "\uD83D\uDE00").
           {R"({"a": "\ud800"})",
            "a \\u escape of a high surrogate not followed by its low one (\\uDC00-\\uDFFF)", 7, 1,
            8},
           {R"({"a": "x\uD83D\u0041"})",
            "a \\u escape of a high surrogate not followed by its low one (\\uDC00-\\uDFFF)", 8, 1,
            9},
           {R"({"a": "\udc00"})",
            "a \\u escape of a lone low surrogate (\\uDC00-\\uDFFF only follows \\uD800-\\uDBFF)",
            7, 1, 8},
           {"{\"a\": \"line\nbreak\"}",
            "a control character in a string (write it as an escape, "
            "e.g. \\n)",
            11, 1, 12},
           // Columns count characters: "é" is two bytes and one column.
           {"{\"\xC3\xA9\": \"\xFF\"}", "a byte that is not UTF-8", 8, 1, 8},
           {"[\"\xC0\xAF\"]", "a byte that is not UTF-8", 2, 1, 3},          // overlong '/'
           {"[\"\xED\xA0\x80\"]", "a byte that is not UTF-8", 2, 1, 3},      // a surrogate
           {"[\"\xF4\x90\x80\x80\"]", "a byte that is not UTF-8", 2, 1, 3},  // past U+10FFFF
           {"[\"\xE2\x82\"]", "a byte that is not UTF-8", 2, 1, 3},          // cut short
       }) {
    SCOPED_TRACE(c.json);
    std::optional<JsonSyntaxError> e = FindJsonSyntaxError(c.json);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->description, c.description);
    EXPECT_EQ(e->byte, c.byte);
    EXPECT_EQ(e->line, c.line);
    EXPECT_EQ(e->column, c.column);
  }
  EXPECT_EQ(FindJsonSyntaxError("[1 2]")->ToString(),
            "expected ',' or ']' at line 1, column 4 (byte 3)");
}

TEST(JsonSyntax, RefusesNestingPastTheLimitWithoutRecursion) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_FALSE(FindJsonSyntaxError(nested(kMaxJsonNesting)).has_value());
  std::optional<JsonSyntaxError> e = FindJsonSyntaxError(nested(kMaxJsonNesting + 1));
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->beyond_limit);
  EXPECT_EQ(e->byte, kMaxJsonNesting);
  EXPECT_EQ(e->description, "objects and lists nested more than 64 deep (the gateway's limit)");
  // A megabyte of brackets is refused at the limit, not read to its end.
  const std::string deep(1 << 20, '[');
  e = FindJsonSyntaxError(deep);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->byte, kMaxJsonNesting);
  EXPECT_FALSE(FindJsonSyntaxError("[1 2]")->beyond_limit);  // a grammar error, not a limit
}

}  // namespace
}  // namespace itsm::gateway
