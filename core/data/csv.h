// RFC 4180 CSV: quoted fields, doubled quotes, embedded commas and newlines, CRLF or LF.
// The reader reports the line on which each record starts so errors can name it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace recsys {

class CsvReader {
 public:
  // text must outlive the reader; source is the file name used in error messages.
  CsvReader(std::string_view text, std::string source);

  // Reads the next record into fields; false at end of input. Blank lines are skipped.
  bool next(std::vector<std::string>& fields);
  // 1-based line on which the last record returned by next() started.
  std::int64_t line() const { return record_line_; }
  const std::string& source() const { return source_; }

 private:
  std::string_view text_;
  std::string source_;
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;
  std::int64_t record_line_ = 0;
};

// Column positions looked up by header name, so files may order or add columns freely.
class CsvHeader {
 public:
  CsvHeader(const std::vector<std::string>& names, std::string source);
  // Index of a required column; throws "<source>: missing column 'name'".
  std::size_t require(std::string_view name) const;
  // Index of an optional column, or -1.
  std::int64_t find(std::string_view name) const;
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::string source_;
};

// Appends one CSV field to out, quoting it when it holds a comma, quote or newline.
void append_csv_field(std::string& out, std::string_view field);

}  // namespace recsys
