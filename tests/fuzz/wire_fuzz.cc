// Fuzzes the wire layer's decoders (src/wire): whatever the bytes, no
// crash and no sanitizer report, and whatever decodes re-encodes stably.
//
// Input: one byte choosing the decoder, then its input:
//   0  a table description (JSON)          decode -> encode -> decode ->
//                                          encode gives the same text
//   1  a CreateTable request (JSON)        the same
//   2  a shard iterator (text)             decode -> encode gives the
//                                          input back (one spelling)
//   3  an error response (JSON), HTTP 400  read -> write -> read -> write
//      or 5xx by the second byte           gives the same body and type
//   4  a stream ARN                        parse -> format -> parse is the
//                                          same ARN
//   5  a sequence number                   parse -> print -> parse is the
//                                          same value; the 40-digit codec
//                                          maps back to the same string
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "wire/errors.h"
#include "wire/stream_ids.h"
#include "wire/table_description.h"

namespace {

using namespace godwit;  // NOLINT

void Check(bool ok, const char* what, std::string_view a = {},
           std::string_view b = {}) {
  if (ok) return;
  std::fprintf(stderr, "%s\n  %.*s\n  %.*s\n", what, static_cast<int>(a.size()),
               a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

void Description(std::string_view in) {
  Result<wire::DescribedTable> d1 = wire::ParseDescription(in);
  if (!d1.ok()) return;
  std::string j1 = wire::DescriptionJson(*d1);
  Result<wire::DescribedTable> d2 = wire::ParseDescription(j1);
  Check(d2.ok(), "a written description does not read back", j1);
  std::string j2 = wire::DescriptionJson(*d2);
  Check(j1 == j2, "description not stable", j1, j2);
}

void CreateRequest(std::string_view in) {
  Result<wire::CreateTableRequest> r1 = wire::ParseCreateTableRequest(in);
  if (!r1.ok()) return;
  Result<std::string> j1 = wire::CreateTableRequestJson(*r1);
  Check(j1.ok(), "a read request does not write");
  Result<wire::CreateTableRequest> r2 = wire::ParseCreateTableRequest(*j1);
  Check(r2.ok(), "a written request does not read back", *j1,
        r2.status().message());
  Result<std::string> j2 = wire::CreateTableRequestJson(*r2);
  Check(j2.ok() && *j1 == *j2, "request not stable", *j1, j2.ok() ? *j2 : "");
}

void Iterator(std::string_view in) {
  Result<wire::ShardIterator> it = wire::DecodeShardIterator(in);
  if (!it.ok()) return;
  Check(it->after < UINT64_MAX, "an iterator at 2^64-1 decoded");
  std::string e = wire::EncodeShardIterator(*it);
  Check(e == in, "iterator has two spellings", in, e);
  Result<wire::ShardIterator> again = wire::DecodeShardIterator(e);
  Check(again.ok() && *again == *it, "iterator not stable", e);
}

void Error(long http, std::string_view in) {
  wire::ApiError e1 = wire::ApiError::FromResponse(http, in);
  Status s = e1.ToClientStatus();
  Check(!s.ok(), "an error read as OK");
  Check(wire::ErrorTypeOf(s) == e1.type(), "type lost in the status");
  (void)wire::ApiError::FromStatus(s).Body();
  std::string b1 = e1.Body();
  wire::ApiError e2 = wire::ApiError::FromResponse(http, b1);
  Check(e2.name() == e1.name() && e2.type() == e1.type(),
        "error type not stable", e1.name(), e2.name());
  std::string b2 = e2.Body();
  Check(b1 == b2, "error body not stable", b1, b2);
}

void Arn(std::string_view in) {
  Result<wire::StreamArn> a = wire::StreamArn::Parse(in);
  if (!a.ok()) return;
  std::string f = a->Format();
  Result<wire::StreamArn> b = wire::StreamArn::Parse(f);
  Check(b.ok() && b->table == a->table && b->label == a->label &&
            b->region == a->region && b->account == a->account,
        "ARN not stable", in, f);
}

void Sequence(std::string_view in) {
  Result<uint64_t> v = wire::ParseSequenceNumber(in);
  if (v.ok()) {
    std::string s = wire::SequenceNumberString(*v);
    Result<uint64_t> w = wire::ParseSequenceNumber(s);
    Check(w.ok() && *w == *v, "sequence not stable", in, s);
  }
  wire::SequenceCodec codec("T");
  Result<uint64_t> low = codec.ToU64(in);
  if (!low.ok()) return;
  std::string back = codec.FromU64(*low);
  Result<uint64_t> again = codec.ToU64(back);
  Check(again.ok() && *again == *low, "sequence codec not stable", in, back);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 6) {
    case 0:
      Description(in);
      break;
    case 1:
      CreateRequest(in);
      break;
    case 2:
      Iterator(in);
      break;
    case 3:
      if (in.empty()) return 0;
      Error(in[0] % 2 == 0 ? 400 : 500, in.substr(1));
      break;
    case 4:
      Arn(in);
      break;
    case 5:
      Sequence(in);
      break;
  }
  return 0;
}
