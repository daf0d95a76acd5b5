// DynamoDB-JSON lines files: plain, gzip and zstd; bad lines with their line
// numbers; over-long lines; truncated and corrupt compressed data.
#include "godwit/item_file.h"

#include <zlib.h>
#include <zstd.h>

#include <fstream>
#include <random>
#include <sstream>

#include "godwit/json.h"
#include "store/store_test_util.h"
#include "testutil/random_item.h"
#include "testutil/temp_dir.h"

namespace godwit::test {
namespace {

std::string ReadRaw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteRaw(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

// Compressed independently of the code under test.
std::string Gzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string Gunzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 32), Z_OK);
  std::string out;
  char buf[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int r;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    r = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
  } while (r == Z_OK);
  EXPECT_EQ(r, Z_STREAM_END);
  inflateEnd(&z);
  return out;
}

std::string Unzstd(const std::string& data) {
  unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
  EXPECT_NE(size, ZSTD_CONTENTSIZE_ERROR);
  if (size == ZSTD_CONTENTSIZE_UNKNOWN) size = 64 << 20;
  std::string out(size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), data.data(), data.size());
  EXPECT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  out.resize(n);
  return out;
}

struct ReadResult {
  std::vector<Item> items;
  std::vector<std::string> errors;  // bad lines
  Status final;                     // OK or the error that stopped reading
};

ReadResult ReadItems(const std::string& path,
                     size_t max_line = ItemFileReader::kDefaultMaxLineBytes) {
  ReadResult out;
  auto r = ItemFileReader::Open(path, max_line);
  if (!r.ok()) {
    out.final = r.status();
    return out;
  }
  Item item;
  while (true) {
    Result<bool> more = (*r)->Next(&item);
    if (!more.ok()) {
      if (more.status().IsInvalidArgument()) {
        out.errors.push_back(std::string(more.status().message()));
        continue;
      }
      out.final = more.status();
      return out;
    }
    if (!*more) return out;
    out.items.push_back(item);
  }
}

std::vector<Item> RandomItems(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  KeySchema schema = HashSchema();
  RandomItemOptions o;
  o.schema = &schema;
  std::vector<Item> items;
  for (int i = 0; i < n; ++i) items.push_back(RandomItem(rng, o));
  return items;
}

class ItemFileTest : public ::testing::TestWithParam<std::string> {
 protected:
  TempDir dir_;
};

TEST_P(ItemFileTest, WriteThenReadRoundTrips) {
  const std::string path = dir_.Join("items.json" + GetParam());
  std::vector<Item> items = RandomItems(300, 1);
  for (int i = 0; i < 50; ++i) items.push_back(MakeOrderItem(i));
  std::string canonical;
  {
    ASSERT_OK_AND_ASSIGN(auto w, ItemFileWriter::Open(path));
    for (const Item& item : items) {
      ASSERT_OK(w->Write(item));
      WriteItemLine(item, &canonical);
      canonical += "\n";
    }
    EXPECT_EQ(w->lines(), items.size());
    ASSERT_OK(w->Close());
    EXPECT_FALSE(w->Close().ok());  // once
  }
  // The bytes on disk, once decompressed independently, are the canonical
  // lines.
  std::string raw = ReadRaw(path);
  std::string text = GetParam() == ".gz"    ? Gunzip(raw)
                     : GetParam() == ".zst" ? Unzstd(raw)
                                            : raw;
  EXPECT_EQ(text, canonical);
  ReadResult r = ReadItems(path);
  ASSERT_OK(r.final);
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.items.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    ASSERT_EQ(r.items[i], items[i]) << "item " << i;
  }
}

TEST_P(ItemFileTest, BadLinesAreReportedWithLineNumbersAndSkipped) {
  const std::string path = dir_.Join("in.json" + GetParam());
  std::string text =
      "{\"Item\":{\"pk\":{\"S\":\"a\"}}}\n"           // 1 good
      "not json\n"                                    // 2 bad
      "\n"                                            // 3 blank: skipped
      "{\"Item\":{\"pk\":{\"N\":\"1.2.3\"}}}\n"       // 4 bad number
      "  {\"Item\": {\"pk\": {\"S\": \"b\"}}}  \r\n"  // 5 good, CRLF
      "{\"pk\":{\"S\":\"no Item wrapper\"}}\n"        // 6 bad
      "{\"Item\":{\"pk\":{\"S\":\"" +
      std::string(300, 'x') +
      "\"}}}\n"                             // 7 long
      "{\"Item\":{\"pk\":{\"S\":\"c\"}}}";  // 8 good, no final \n
  std::string data = GetParam() == ".gz"    ? Gzip(text)
                     : GetParam() == ".zst" ? Zstd(text)
                                            : text;
  WriteRaw(path, data);
  ReadResult r = ReadItems(path, /*max_line=*/200);
  ASSERT_OK(r.final);
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[1].Find("pk")->s(), "b");
  EXPECT_EQ(r.items[2].Find("pk")->s(), "c");
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].rfind("line 2: ", 0), 0u) << r.errors[0];
  EXPECT_EQ(r.errors[1].rfind("line 4: ", 0), 0u) << r.errors[1];
  EXPECT_EQ(r.errors[2].rfind("line 6: ", 0), 0u) << r.errors[2];
  EXPECT_EQ(r.errors[3], "line 7: longer than 200 bytes");
}

TEST_P(ItemFileTest, EmptyFileHasNoItems) {
  const std::string path = dir_.Join("empty.json" + GetParam());
  ASSERT_OK_AND_ASSIGN(auto w, ItemFileWriter::Open(path));
  ASSERT_OK(w->Close());
  ReadResult r = ReadItems(path);
  ASSERT_OK(r.final);
  EXPECT_TRUE(r.items.empty());
}

INSTANTIATE_TEST_SUITE_P(Compression, ItemFileTest,
                         ::testing::Values("", ".gz", ".zst"),
                         [](const auto& info) {
                           return info.param.empty() ? std::string("plain")
                                                     : info.param.substr(1);
                         });

TEST(ItemFileReaderTest, ConcatenatedGzipMembersAndZstdFrames) {
  TempDir dir;
  std::string a = "{\"Item\":{\"pk\":{\"S\":\"a\"}}}\n";
  std::string b = "{\"Item\":{\"pk\":{\"S\":\"b\"}}}\n";
  WriteRaw(dir.Join("x.gz"), Gzip(a) + Gzip(b));
  WriteRaw(dir.Join("x.zst"), Zstd(a) + Zstd(b));
  for (const char* name : {"x.gz", "x.zst"}) {
    ReadResult r = ReadItems(dir.Join(name));
    ASSERT_OK(r.final) << name;
    ASSERT_EQ(r.items.size(), 2u) << name;
    EXPECT_EQ(r.items[1].Find("pk")->s(), "b");
  }
}

TEST(ItemFileReaderTest, TruncatedAndCorruptCompressedDataIsDataLoss) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text += "{\"Item\":{\"pk\":{\"S\":\"key" + std::to_string(i) + "\"}}}\n";
  }
  std::string gz = Gzip(text), zst = Zstd(text);
  WriteRaw(dir.Join("t.gz"), gz.substr(0, gz.size() / 2));
  WriteRaw(dir.Join("t.zst"), zst.substr(0, zst.size() / 2));
  std::string bad_gz = gz;
  bad_gz[bad_gz.size() / 2] ^= 0x55;
  bad_gz[bad_gz.size() / 2 + 1] ^= 0x55;
  WriteRaw(dir.Join("c.gz"), bad_gz);
  WriteRaw(dir.Join("c.zst"), "this is not zstd data at all");
  for (const char* name : {"t.gz", "t.zst", "c.gz", "c.zst"}) {
    ReadResult r = ReadItems(dir.Join(name));
    EXPECT_EQ(r.final.code(), StatusCode::kDataLoss)
        << name << ": " << r.final.ToString();
    EXPECT_LT(r.items.size(), 2000u) << name;
  }
}

TEST(ItemFileReaderTest, HugeLineIsSkippedInBoundedMemory) {
  TempDir dir;
  std::string path = dir.Join("huge.json");
  {
    std::ofstream out(path, std::ios::binary);
    out << "{\"Item\":{\"pk\":{\"S\":\"before\"}}}\n";
    out << "{\"Item\":{\"pk\":{\"S\":\"";
    std::string chunk(1 << 20, 'y');
    for (int i = 0; i < 32; ++i) out << chunk;  // a 32 MiB line
    out << "\"}}}\n";
    out << "{\"Item\":{\"pk\":{\"S\":\"after\"}}}\n";
  }
  ASSERT_OK_AND_ASSIGN(auto reader, ItemFileReader::Open(path, 1 << 20));
  Item item;
  ASSERT_OK_AND_ASSIGN(bool more, reader->Next(&item));
  ASSERT_TRUE(more);
  Result<bool> r = reader->Next(&item);
  ASSERT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().message(), "line 2: longer than 1048576 bytes");
  ASSERT_OK_AND_ASSIGN(more, reader->Next(&item));
  ASSERT_TRUE(more);
  EXPECT_EQ(item.Find("pk")->s(), "after");
  EXPECT_EQ(reader->line_number(), 3u);
  ASSERT_OK_AND_ASSIGN(more, reader->Next(&item));
  EXPECT_FALSE(more);
  ASSERT_TRUE(reader->file_size().has_value());
  EXPECT_EQ(*reader->file_size(), reader->bytes_read());
}

TEST(ItemFileReaderTest, OpenErrors) {
  TempDir dir;
  EXPECT_TRUE(
      ItemFileReader::Open(dir.Join("missing.json")).status().IsNotFound());
  EXPECT_TRUE(
      ItemFileReader::Open(dir.Join("x"), 0).status().IsInvalidArgument());
  EXPECT_EQ(
      ItemFileWriter::Open(dir.Join("no/such/dir/x.json")).status().code(),
      StatusCode::kIOError);
  EXPECT_EQ(CompressionForPath("a.json.gz"), Compression::kGzip);
  EXPECT_EQ(CompressionForPath("a.zst"), Compression::kZstd);
  EXPECT_EQ(CompressionForPath("a.json"), Compression::kNone);
  EXPECT_EQ(CompressionForPath(".gz"), Compression::kNone);
}

}  // namespace
}  // namespace godwit::test
