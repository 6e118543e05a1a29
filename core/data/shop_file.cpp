#include "data/shop_file.h"

#include <cstring>
#include <vector>

#include "common/check.h"
#include "common/tiering.h"
#include "data/parse.h"

namespace recsys {

namespace {

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // both targets are little-endian
  out.append(b, sizeof(T));
}

void put_string(std::string& out, const std::string& s) {
  put<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

// A cursor over hostile bytes: every read is checked against what remains.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& source) : b_(bytes), source_(source) {}
  template <class T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, b_.data() + p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  std::string string(const char* what, std::size_t max_bytes) {
    const auto n = get<std::uint32_t>(what);
    RECSYS_CHECK_FORMAT(n <= max_bytes, source_, ": ", what, " is ", n, " bytes, more than ",
                        max_bytes);
    need(n, what);
    std::string s(b_.data() + p_, n);
    p_ += n;
    return s;
  }
  // A count of records of at least `min_bytes` each: bounded by the bytes that remain, so that a
  // corrupt count cannot ask for a huge allocation.
  std::uint64_t count(const char* what, std::uint64_t min_bytes, std::uint64_t max) {
    const auto n = get<std::uint64_t>(what);
    RECSYS_CHECK_FORMAT(n <= max && n <= remaining() / min_bytes, source_, ": ", what, " count ", n,
                        " does not fit the ", remaining(), " bytes that remain");
    return n;
  }
  // Where a column of n values of type T starts; the cursor moves past it.
  template <class T>
  const char* column(std::uint64_t n, const char* what) {
    need(n * sizeof(T), what);
    const char* start = b_.data() + p_;
    p_ += static_cast<std::size_t>(n) * sizeof(T);
    return start;
  }
  std::size_t remaining() const { return b_.size() - p_; }

 private:
  void need(std::uint64_t n, const char* what) const {
    RECSYS_CHECK_FORMAT(n <= remaining(), source_, ": truncated at byte ", p_, " (", what, " needs ",
                        n, " bytes, ", remaining(), " remain)");
  }
  std::string_view b_;
  const std::string& source_;
  std::size_t p_ = 0;
};

}  // namespace

bool is_shop_file(std::string_view bytes) {
  return bytes.size() >= sizeof kShopMagic &&
         std::memcmp(bytes.data(), kShopMagic, sizeof kShopMagic) == 0;
}

std::string write_shop(const Dataset& data) {
  std::string out(kShopMagic, sizeof kShopMagic);
  put<std::uint32_t>(out, kShopVersion);
  put<std::uint64_t>(out, checksum(data));
  put_string(out, data.name);
  const Catalog& c = data.catalog;
  put<std::uint64_t>(out, static_cast<std::uint64_t>(c.size()));
  for (std::int32_t i = 0; i < c.size(); ++i) {
    put_string(out, c.id(i));
    put_string(out, c.title(i));
    put_string(out, c.categories().token(c.category(i)));
    put_string(out, c.brands().token(c.brand(i)));
    put<double>(out, c.price(i));
    put<std::uint32_t>(out, static_cast<std::uint32_t>(c.attributes(i).size()));
    for (const auto& [k, v] : c.attributes(i)) {
      put_string(out, k);
      put_string(out, v);
    }
  }
  const Interactions& x = data.interactions;
  put<std::uint64_t>(out, static_cast<std::uint64_t>(x.num_users()));
  for (const auto& u : x.users().tokens()) put_string(out, u);
  put<std::uint64_t>(out, static_cast<std::uint64_t>(x.size()));
  const auto& ev = x.events();
  for (const auto& e : ev) put<std::int32_t>(out, e.user);
  for (const auto& e : ev) put<std::int32_t>(out, e.item);
  for (const auto& e : ev) put<std::int32_t>(out, e.quantity);
  for (const auto& e : ev) put<std::int64_t>(out, e.timestamp);
  for (const auto& e : ev) put<std::uint8_t>(out, static_cast<std::uint8_t>(e.event));
  return out;
}

namespace {
// The file's loops, each in a small function of its own (common/tiering.h): one item (called
// for each), the user ids, the events.
RECSYS_LOOP void read_item(Reader& r, std::uint64_t i, Catalog& catalog,
                           const std::string& source) {
  ItemRecord rec;
  rec.id = r.string("item id", kMaxIdBytes);
  rec.title = r.string("title", kMaxTextBytes);
  rec.category = r.string("category", kMaxIdBytes);
  rec.brand = r.string("brand", kMaxIdBytes);
  rec.price = r.get<double>("price");
  const auto attrs = r.get<std::uint32_t>("attribute count");
  RECSYS_CHECK_FORMAT(attrs <= r.remaining() / 8, source, ": item ", i, ": attribute count ", attrs,
                      " does not fit the bytes that remain");
  for (std::uint32_t a = 0; a < attrs; ++a) {
    std::string k = r.string("attribute name", kMaxIdBytes);
    rec.attributes[k] = r.string("attribute value", kMaxTextBytes);
  }
  try {
    catalog.add(rec);  // validates the text, the price and duplicate ids
  } catch (const Error& e) {
    throw Error(ErrorKind::Format, source + ": item " + std::to_string(i) + ": " + e.what());
  }
}

RECSYS_LOOP std::vector<std::string> read_user_ids(Reader& r, std::uint64_t users,
                                                   const std::string& source) {
  std::vector<std::string> user_ids(static_cast<std::size_t>(users));
  for (std::uint64_t u = 0; u < users; ++u) {
    user_ids[u] = r.string("user id", kMaxIdBytes);
    check_text(source, static_cast<std::int64_t>(u), "user", user_ids[u], kMaxIdBytes);
  }
  return user_ids;
}

// The five columns into the records in one pass, each record written once: the events are the
// largest part of the file (a copy per column, or a pass per column over records built first,
// was memory and time that a cold page paid for).
RECSYS_LOOP std::vector<Interaction> event_records(std::size_t n, const char* users_col,
                                                   const char* items_col,
                                                   const char* quantities_col,
                                                   const char* times_col, const char* types_col) {
  std::vector<Interaction> events;
  events.reserve(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < n; ++i) {
    Interaction e;
    std::memcpy(&e.user, users_col + 4 * i, 4);
    std::memcpy(&e.item, items_col + 4 * i, 4);
    std::memcpy(&e.quantity, quantities_col + 4 * i, 4);
    std::memcpy(&e.timestamp, times_col + 8 * i, 8);
    e.event = static_cast<Event>(static_cast<std::uint8_t>(types_col[i]));
    events.push_back(e);
  }
  return events;
}
}  // namespace

Dataset read_shop(std::string_view bytes, const std::string& source) {
  RECSYS_CHECK_FORMAT(is_shop_file(bytes), source, ": not a recsys shop file (bad magic)");
  Reader r(bytes.substr(sizeof kShopMagic), source);
  const auto version = r.get<std::uint32_t>("version");
  RECSYS_CHECK_FORMAT(version == kShopVersion, source, ": shop format version ", version,
                      " is not supported (this build reads version ", kShopVersion, ")");
  const auto expected = r.get<std::uint64_t>("checksum");
  Dataset d;
  d.name = r.string("name", kMaxIdBytes);
  check_text(source, 0, "name", d.name, kMaxIdBytes);
  // An item takes at least 4 lengths, a price and an attribute count: 28 bytes.
  const auto items = r.count("item", 28, (1u << 31) - 1);
  for (std::uint64_t i = 0; i < items; ++i) read_item(r, i, d.catalog, source);
  const auto users = r.count("user", 4, (1u << 31) - 1);
  std::vector<std::string> user_ids = read_user_ids(r, users, source);
  Vocabulary vocab;
  try {
    vocab = Vocabulary(std::move(user_ids));
  } catch (const Error& e) {
    throw Error(ErrorKind::Format, source + ": users: " + e.what());
  }
  const auto n = r.count("event", 21, ~0ull);
  const char* users_col = r.column<std::int32_t>(n, "event users");
  const char* items_col = r.column<std::int32_t>(n, "event items");
  const char* quantities_col = r.column<std::int32_t>(n, "event quantities");
  const char* times_col = r.column<std::int64_t>(n, "event timestamps");
  const char* types_col = r.column<std::uint8_t>(n, "event types");
  std::vector<Interaction> events =
      event_records(n, users_col, items_col, quantities_col, times_col, types_col);
  RECSYS_CHECK_FORMAT(r.remaining() == 0, source, ": ", r.remaining(),
                      " bytes after the last event column");
  try {
    // Validates every index, quantity and event code.
    d.interactions = Interactions(std::move(vocab), d.catalog.size(), std::move(events));
  } catch (const Error& e) {
    throw Error(ErrorKind::Format, source + ": " + e.what());
  }
  const std::uint64_t got = checksum(d);
  RECSYS_CHECK_FORMAT(got == expected, source, ": checksum ", checksum_hex(got),
                      " of the data read does not match the file's ", checksum_hex(expected));
  return d;
}

}  // namespace recsys
