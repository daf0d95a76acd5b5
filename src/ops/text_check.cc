// See text_check.h.
#include "ops/text_check.h"

#include <utf8proc.h>

#include <cstdio>
#include <cstdlib>

namespace godwit::ops {

std::string_view TextIssueName(uint32_t bit) {
  switch (bit) {
    case kEdgeWhitespace:
      return "edge_whitespace";
    case kControl:
      return "control";
    case kInvisible:
      return "invisible";
    case kNotNfc:
      return "not_nfc";
    case kInvalidUtf8:
      return "invalid_utf8";
  }
  return "unknown";
}

std::string_view TextIssueText(uint32_t bit) {
  switch (bit) {
    case kEdgeWhitespace:
      return "leading or trailing white space";
    case kControl:
      return "control characters";
    case kInvisible:
      return "invisible characters (zero-width, BOM, bidi marks)";
    case kNotNfc:
      return "not in Unicode normal form C (the same text can be spelled "
             "otherwise)";
    case kInvalidUtf8:
      return "invalid UTF-8";
  }
  return "unknown";
}

namespace {

bool IsSpace(int32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\v' || cp == '\f' ||
      cp == '\r' || cp == 0x85 || cp == 0x2028 || cp == 0x2029) {
    return true;
  }
  return cp >= 0x80 && utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

bool IsAsciiSpace(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

}  // namespace

uint32_t CheckText(std::string_view s) {
  if (s.empty()) return kNoIssue;
  uint32_t issues = kNoIssue;
  bool ascii = true;
  for (unsigned char c : s) {
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    if (c < 0x20 || c == 0x7f) issues |= kControl;
  }
  if (ascii) {
    if (IsAsciiSpace(static_cast<unsigned char>(s.front())) ||
        IsAsciiSpace(static_cast<unsigned char>(s.back()))) {
      issues |= kEdgeWhitespace;
    }
    return issues;
  }
  issues = kNoIssue;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  bool first = true;
  int32_t last = 0;
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) return issues | kInvalidUtf8;
    if (first && IsSpace(cp)) issues |= kEdgeWhitespace;
    first = false;
    last = cp;
    switch (utf8proc_category(cp)) {
      case UTF8PROC_CATEGORY_CC:
        issues |= kControl;
        break;
      case UTF8PROC_CATEGORY_CF:
        issues |= kInvisible;
        break;
      default:
        break;
    }
    p += n;
    left -= n;
  }
  if (IsSpace(last)) issues |= kEdgeWhitespace;
  std::optional<std::string> nfc = NfcOf(s);
  if (!nfc) return issues | kInvalidUtf8;
  if (*nfc != s) issues |= kNotNfc;
  return issues;
}

std::optional<std::string> NfcOf(std::string_view s) {
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
      static_cast<utf8proc_ssize_t>(s.size()), &out,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) {
    std::free(out);
    return std::nullopt;
  }
  std::string r(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
  std::free(out);
  return r;
}

std::string ShowText(std::string_view s, size_t max_bytes) {
  std::string out = "\"";
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left =
      static_cast<utf8proc_ssize_t>(std::min(s.size(), max_bytes));
  bool first = true;
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "<0x%02X>", *p);
      out += buf;
      ++p;
      --left;
      first = false;
      continue;
    }
    const bool last = n == left && s.size() <= max_bytes;
    utf8proc_category_t cat = utf8proc_category(cp);
    const bool hidden = cat == UTF8PROC_CATEGORY_CC ||
                        cat == UTF8PROC_CATEGORY_CF ||
                        ((first || last) && IsSpace(cp)) ||
                        (cp >= 0x80 && cat == UTF8PROC_CATEGORY_ZS) ||
                        cat == UTF8PROC_CATEGORY_MN;
    if (hidden) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), "<U+%04X>", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp == '"' || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else {
      out.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
    }
    first = false;
    p += n;
    left -= n;
  }
  if (s.size() > max_bytes) out += "...";
  out += "\"";
  return out;
}

}  // namespace godwit::ops
