#include "cli/data_source.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <zlib.h>

#include "common/check.h"
#include "data/online_retail.h"

namespace recsys::cli {

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

static bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

namespace {
// zlib's gz* functions read both gzip and plain files; a truncated or corrupt stream is an error.
std::string read_gzip(const std::string& path) {
  gzFile f = ::gzopen(path.c_str(), "rb");
  RECSYS_CHECK_FOUND(f != nullptr, path, ": cannot open: ", std::strerror(errno));
  ::gzbuffer(f, 1 << 17);
  std::string out;
  std::vector<char> buf(1 << 16);
  int n = 0;
  while ((n = ::gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0)
    out.append(buf.data(), static_cast<std::size_t>(n));
  int err = Z_OK;
  const char* msg = ::gzerror(f, &err);
  const std::string problem = msg ? msg : "";
  ::gzclose(f);
  RECSYS_CHECK_FORMAT(n == 0 && err == Z_OK, path, ": not a valid gzip file (", problem, ")");
  return out;
}
}  // namespace

std::string read_file(const std::string& path) {
  RECSYS_CHECK_FOUND(file_exists(path), path, ": no such file");
  if (ends_with(path, ".gz")) return read_gzip(path);
  std::ifstream in(path, std::ios::binary);
  RECSYS_CHECK_FOUND(in.good(), path, ": cannot open: ", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  RECSYS_CHECK(out.good(), path, ": cannot write: ", std::strerror(errno));
  out << text;
  RECSYS_CHECK(out.good(), path, ": write failed");
}

void make_dirs(const std::string& path) {
  std::string cur;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty() && !is_dir(cur))
        RECSYS_CHECK(::mkdir(cur.c_str(), 0755) == 0 || errno == EEXIST, cur,
                     ": cannot create folder: ", std::strerror(errno));
    }
    if (i < path.size()) cur.push_back(path[i]);
  }
}

std::string data_dir() {
  if (const char* env = std::getenv("RECSYS_DATA")) return env;
#ifdef RECSYS_SOURCE_DIR
  return std::string(RECSYS_SOURCE_DIR) + "/data";
#else
  return "data";
#endif
}

static std::string pick(const std::string& dir, const char* stem, std::string& format) {
  for (const char* ext : {".csv", ".json", ".csv.gz", ".json.gz"}) {
    const std::string p = dir + "/" + stem + ext;
    if (file_exists(p)) {
      format = std::strstr(ext, "json") ? "json" : "csv";
      return p;
    }
  }
  RECSYS_FAIL(NotFound, dir, ": no ", stem, ".csv or ", stem, ".json");
}

Dataset load_dataset(const std::string& spec, const SyntheticConfig& synthetic) {
  if (spec == "synthetic") return generate_synthetic_dataset(synthetic);
  if (spec == "online-retail") {
    const std::string dir = data_dir() + "/online_retail";
    return load_online_retail_extract(read_file(dir + "/items.csv"),
                                      read_file(dir + "/baskets.csv"), dir);
  }
  if (is_dir(spec)) {
    std::string cat_fmt, x_fmt;
    const std::string cat_path = pick(spec, "catalog", cat_fmt);
    const std::string x_path = pick(spec, "interactions", x_fmt);
    Dataset d =
        parse_dataset(read_file(cat_path), cat_fmt, cat_path, read_file(x_path), x_fmt, x_path);
    d.name = spec;
    return d;
  }
  if (file_exists(spec)) {
    // A single file: the raw UCI Online Retail CSV.
    return load_online_retail_csv(read_file(spec), spec).data;
  }
  RECSYS_FAIL(
      NotFound, "--data: '", spec,
      "' is neither synthetic, online-retail, a folder with catalog + interactions, nor a file");
}

}  // namespace recsys::cli
