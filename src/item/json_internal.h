// What json.cc (the writer, base64) and json_parser.cc share. Not a public
// interface.
#ifndef GODWIT_ITEM_JSON_INTERNAL_H_
#define GODWIT_ITEM_JSON_INTERNAL_H_

#include <string>
#include <string_view>

namespace godwit::json_internal {

// Decodes strict base64 (the grammar at the top of json.cc), appending to
// *out. On failure sets *reason and returns false.
bool DecodeBase64(std::string_view text, std::string* out, std::string* reason);

}  // namespace godwit::json_internal

#endif  // GODWIT_ITEM_JSON_INTERNAL_H_
