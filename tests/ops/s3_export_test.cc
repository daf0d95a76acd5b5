// Reading a DynamoDB export to S3 from disk: manifests, counts, checksums
// (DynamoDB developer guide, "DynamoDB table export output format").
#include <gtest/gtest.h>

#include <fstream>

#include "godwit/item_file.h"
#include "ops/s3_export_fixture.h"
#include "testutil/temp_dir.h"

namespace godwit {
namespace {

TEST(S3ExportTest, ReadsAnExportAndItsItems) {
  test::TempDir root;
  test::ExportFiles ex = test::WriteExport(root.path(), 3, 40);
  EXPECT_TRUE(IsS3Export(ex.dir));
  EXPECT_TRUE(IsS3Export(ex.dir + "/manifest-summary.json"));
  EXPECT_FALSE(IsS3Export(ex.dir + "/data"));
  Result<S3Export> e = OpenS3Export(ex.dir);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->item_count, 120u);
  ASSERT_EQ(e->files.size(), 3u);
  EXPECT_EQ(e->files[1].path, ex.dir + "/data/file1.json.gz");
  uint64_t items = 0;
  for (const S3ExportFile& f : e->files) {
    Status s = ReadS3ExportFile(f, [&](Item&& item, uint64_t line) {
      ++items;
      EXPECT_NE(item.Find("pk"), nullptr);
      EXPECT_GE(line, 1u);
      return Status::OK();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_EQ(items, 120u);
}

TEST(S3ExportTest, RefusesADamagedExportNamingTheFile) {
  test::TempDir root;
  test::ExportFiles ex = test::WriteExport(root.path(), 2, 10);
  // A flipped byte in a data file: its MD5 no longer matches.
  {
    std::fstream f(ex.data_files[1],
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x5a');
  }
  Result<S3Export> e = OpenS3Export(ex.dir);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(ReadS3ExportFile(e->files[0], nullptr).ok());
  Status s = ReadS3ExportFile(e->files[1], nullptr);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("file1.json.gz"), std::string_view::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("md5Checksum"), std::string_view::npos);

  // The counts of the manifests disagree.
  test::TempDir root2;
  ex = test::WriteExport(root2.path(), 2, 10);
  std::string summary;
  {
    std::ifstream in(ex.dir + "/manifest-summary.json");
    summary.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t at = summary.find("\"itemCount\":20");
  ASSERT_NE(at, std::string::npos);
  summary.replace(at, 14, "\"itemCount\":21");
  std::ofstream(ex.dir + "/manifest-summary.json") << summary;
  e = OpenS3Export(ex.dir);
  EXPECT_EQ(e.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(e.status().message().find("manifest-files.json lists 20 items"),
            std::string_view::npos)
      << e.status().ToString();

  // A missing data file, and a folder that is not an export.
  test::TempDir root3;
  ex = test::WriteExport(root3.path(), 1, 5);
  std::filesystem::remove(ex.data_files[0]);
  e = OpenS3Export(ex.dir);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(ReadS3ExportFile(e->files[0], nullptr).IsNotFound());
  EXPECT_TRUE(OpenS3Export(root3.path()).status().IsNotFound());
}

TEST(S3ExportTest, RefusesIonAndIncrementalExports) {
  test::TempDir root;
  test::ExportFiles ex = test::WriteExport(root.path(), 1, 1);
  std::string summary;
  {
    std::ifstream in(ex.dir + "/manifest-summary.json");
    summary.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::string ion = summary;
  ion.replace(ion.find("DYNAMODB_JSON"), 13, "ION");
  std::ofstream(ex.dir + "/manifest-summary.json") << ion;
  Result<S3Export> e = OpenS3Export(ex.dir);
  EXPECT_TRUE(e.status().IsInvalidArgument());
  EXPECT_NE(e.status().message().find("ION"), std::string_view::npos);
  std::string inc = summary;
  inc.replace(inc.find("FULL_EXPORT"), 11, "INCREMENTAL_EXPORT");
  std::ofstream(ex.dir + "/manifest-summary.json") << inc;
  EXPECT_TRUE(OpenS3Export(ex.dir).status().IsInvalidArgument());
}

// A data file whose line count is not the manifest's itemCount.
TEST(S3ExportTest, ItemCountMismatchIsDataLoss) {
  test::TempDir root;
  test::ExportFiles ex = test::WriteExport(root.path(), 1, 5);
  std::string files;
  {
    std::ifstream in(ex.dir + "/manifest-files.json");
    files.assign(std::istreambuf_iterator<char>(in), {});
  }
  files.replace(files.find("\"itemCount\":5"), 13, "\"itemCount\":6");
  std::ofstream(ex.dir + "/manifest-files.json") << files;
  std::string summary;
  {
    std::ifstream in(ex.dir + "/manifest-summary.json");
    summary.assign(std::istreambuf_iterator<char>(in), {});
  }
  summary.replace(summary.find("\"itemCount\":5"), 13, "\"itemCount\":6");
  std::ofstream(ex.dir + "/manifest-summary.json") << summary;
  Result<S3Export> e = OpenS3Export(ex.dir);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  Status s = ReadS3ExportFile(e->files[0], nullptr);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("holds 5 items, the manifest says 6"),
            std::string_view::npos)
      << s.ToString();
}

}  // namespace
}  // namespace godwit
