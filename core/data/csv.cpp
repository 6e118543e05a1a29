#include "data/csv.h"

#include "common/check.h"
#include "data/parse.h"

namespace recsys {

CsvReader::CsvReader(std::string_view text, std::string source)
    : text_(text), source_(std::move(source)) {
  // Skip a UTF-8 byte-order mark.
  if (text_.size() >= 3 && text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

bool CsvReader::next(std::vector<std::string>& fields) {
  fields.clear();
  // Skip blank lines.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return false;
  record_line_ = line_;
  std::string field;
  bool quoted = false;
  bool field_was_quoted = false;
  for (;;) {
    if (pos_ >= text_.size()) {
      if (quoted) fail_at(source_, record_line_, "", "", "unterminated quoted field");
      fields.push_back(std::move(field));
      return true;
    }
    const char c = text_[pos_++];
    if (quoted) {
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        field.push_back(c);
      }
      continue;
    }
    if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      field_was_quoted = false;
    } else if (c == '"' && field.empty() && !field_was_quoted) {
      quoted = true;
      field_was_quoted = true;
    } else if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') {
      // CRLF: the \n ends the record on the next iteration.
    } else if (c == '\n') {
      ++line_;
      fields.push_back(std::move(field));
      return true;
    } else if (c == '"') {
      fail_at(source_, record_line_, "", "", "stray quote inside an unquoted field");
    } else {
      field.push_back(c);
    }
  }
}

CsvHeader::CsvHeader(const std::vector<std::string>& names, std::string source)
    : source_(std::move(source)) {
  for (const auto& n : names) names_.push_back(trim(n));
}

std::size_t CsvHeader::require(std::string_view name) const {
  const std::int64_t i = find(name);
  RECSYS_CHECK_FORMAT(i >= 0, source_, ": missing column '", name, "'");
  return static_cast<std::size_t>(i);
}

std::int64_t CsvHeader::find(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return static_cast<std::int64_t>(i);
  return -1;
}

void append_csv_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\n\r") == std::string_view::npos) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace recsys
