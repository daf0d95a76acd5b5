#include "wire/json_writer.h"

#include <cstdio>
#include <utility>

#include "godwit/json.h"

namespace godwit::wire {
namespace {

// The length of the valid UTF-8 sequence at s[i] (1 to 4), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> int {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : -1;
  };
  int c = at(0);
  auto cont = [&](size_t k, int lo, int hi) {
    int b = at(k);
    return b >= lo && b <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    int lo = c == 0xE0 ? 0xA0 : 0x80;
    int hi = c == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    int lo = c == 0xF0 ? 0x90 : 0x80;
    int hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4
                                                                         : 0;
  }
  return 0;
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        *out += "\ufffd";
      } else {
        out->append(s.substr(i, n));
        i += n - 1;
      }
    } else if (c == '"') {
      *out += "\\\"";
    } else if (c == '\\') {
      *out += "\\\\";
    } else if (c < 0x20) {
      *out += "\\u00";
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

std::string JsonNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

// ---- JsonObject --------------------------------------------------------

void JsonObject::Key(std::string_view key) {
  s_.push_back(s_.empty() ? '{' : ',');
  AppendJsonString(key, &s_);
  s_.push_back(':');
}

JsonObject& JsonObject::Raw(std::string_view key, std::string_view json) {
  Key(key);
  s_ += json;
  return *this;
}

JsonObject& JsonObject::Str(std::string_view key, std::string_view v) {
  Key(key);
  AppendJsonString(v, &s_);
  return *this;
}

JsonObject& JsonObject::Int(std::string_view key, int64_t v) {
  return Raw(key, std::to_string(v));
}

JsonObject& JsonObject::Uint(std::string_view key, uint64_t v) {
  return Raw(key, std::to_string(v));
}

JsonObject& JsonObject::Number(std::string_view key, double v) {
  return Raw(key, JsonNumber(v));
}

JsonObject& JsonObject::Bool(std::string_view key, bool v) {
  return Raw(key, v ? "true" : "false");
}

JsonObject& JsonObject::Item(std::string_view key, const ::godwit::Item& item) {
  Key(key);
  WriteItemJson(item, &s_);
  return *this;
}

JsonObject& JsonObject::Value(std::string_view key, const AttributeValue& v) {
  Key(key);
  WriteValueJson(v, &s_);
  return *this;
}

JsonObject& JsonObject::Object(std::string_view key, JsonObject o) {
  return Raw(key, o.Done());
}

JsonObject& JsonObject::Array(std::string_view key, JsonArray a) {
  return Raw(key, a.Done());
}

std::string JsonObject::Done() {
  if (s_.empty()) return "{}";
  s_.push_back('}');
  return std::exchange(s_, std::string());
}

// ---- JsonArray -----------------------------------------------------------

void JsonArray::Next() {
  s_.push_back(n_ == 0 ? '[' : ',');
  ++n_;
}

JsonArray& JsonArray::Raw(std::string_view json) {
  Next();
  s_ += json;
  return *this;
}

JsonArray& JsonArray::Str(std::string_view v) {
  Next();
  AppendJsonString(v, &s_);
  return *this;
}

JsonArray& JsonArray::Object(JsonObject o) { return Raw(o.Done()); }

JsonArray& JsonArray::Item(const ::godwit::Item& item) {
  Next();
  WriteItemJson(item, &s_);
  return *this;
}

std::string JsonArray::Done() {
  if (n_ == 0) return "[]";
  s_.push_back(']');
  n_ = 0;
  return std::exchange(s_, std::string());
}

}  // namespace godwit::wire
