#include "data/shop_file.h"

#include <cstring>
#include <limits>
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

// Version 2: unsigned LEB128 (7 bits a byte, low bits first, the high bit set on every byte but
// the last), and strings as a varint length and the bytes.
void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_vstring(std::string& out, const std::string& s) {
  put_varint(out, s.size());
  out.append(s);
}

// A cursor over hostile bytes: every read is checked against what remains.
class Reader {
 public:
  // Reads bytes from `start` on; offsets in messages count from the file's first byte.
  Reader(std::string_view bytes, const std::string& source, std::size_t start)
      : b_(bytes), source_(source), p_(start) {}
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
  // Version 2's varint (put_varint): at most 10 bytes, and no bits beyond the 64th.
  std::uint64_t varint(const char* what) {
    if (p_ < b_.size() && static_cast<std::uint8_t>(b_[p_]) < 0x80)
      return static_cast<std::uint8_t>(b_[p_++]);  // most of a shop's varints are one byte
    return long_varint(what);
  }
  std::uint64_t long_varint(const char* what) {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      need(1, what);
      const auto byte = static_cast<std::uint8_t>(b_[p_++]);
      RECSYS_CHECK_FORMAT(shift < 63 || byte <= 1, source_, ": ", what, " at byte ", p_ - 1,
                          ": a varint longer than 64 bits");
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
  }
  std::string vstring(const char* what, std::size_t max_bytes) {
    const auto n = varint(what);
    RECSYS_CHECK_FORMAT(n <= max_bytes, source_, ": ", what, " is ", n, " bytes, more than ",
                        max_bytes);
    need(n, what);
    std::string s(b_.data() + p_, static_cast<std::size_t>(n));
    p_ += static_cast<std::size_t>(n);
    return s;
  }
  // A count of records of at least `min_bytes` each: bounded by the bytes that remain, so that a
  // corrupt count cannot ask for a huge allocation. Version 1 writes counts as u64, version 2 as
  // varints.
  std::uint64_t count(const char* what, std::uint64_t min_bytes, std::uint64_t max,
                      bool var = false) {
    const auto n = var ? varint(what) : get<std::uint64_t>(what);
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

namespace {
std::string write_v1(const Dataset& data) {
  std::string out(kShopMagic, sizeof kShopMagic);
  put<std::uint32_t>(out, 1);
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

static_assert(kNumEventTypes == 4, "shop version 2 keeps an event's code in 2 bits");

std::string write_v2(const Dataset& data) {
  std::string out(kShopMagic, sizeof kShopMagic);
  put<std::uint32_t>(out, 2);
  put<std::uint64_t>(out, checksum(data));
  put_vstring(out, data.name);
  const Catalog& c = data.catalog;
  put_varint(out, static_cast<std::uint64_t>(c.categories().size()));
  for (const auto& t : c.categories().tokens()) put_vstring(out, t);
  put_varint(out, static_cast<std::uint64_t>(c.brands().size()));
  for (const auto& t : c.brands().tokens()) put_vstring(out, t);
  put_varint(out, static_cast<std::uint64_t>(c.size()));
  for (std::int32_t i = 0; i < c.size(); ++i) {
    put_vstring(out, c.id(i));
    put_vstring(out, c.title(i));
    put_varint(out, static_cast<std::uint64_t>(c.category(i)));
    put_varint(out, static_cast<std::uint64_t>(c.brand(i)));
    put<double>(out, c.price(i));
    put_varint(out, static_cast<std::uint64_t>(c.attributes(i).size()));
    for (const auto& [k, v] : c.attributes(i)) {
      put_vstring(out, k);
      put_vstring(out, v);
    }
  }
  const Interactions& x = data.interactions;
  put_varint(out, static_cast<std::uint64_t>(x.num_users()));
  for (const auto& u : x.users().tokens()) put_vstring(out, u);
  // Each user's events in the order the dataset holds them (by time, oldest first): a user's
  // first time from the smallest of all, every later one from the one before, never negative.
  put_varint(out, static_cast<std::uint64_t>(x.size()));
  const std::int64_t t0 = x.min_timestamp();
  put<std::int64_t>(out, t0);
  const auto& offsets = x.offsets();
  const auto& ev = x.events();
  for (std::int32_t u = 0; u < x.num_users(); ++u) {
    put_varint(out, static_cast<std::uint64_t>(offsets[u + 1] - offsets[u]));
    std::int64_t prev = t0;
    for (std::int64_t i = offsets[u]; i < offsets[u + 1]; ++i) {
      const Interaction& e = ev[static_cast<std::size_t>(i)];
      RECSYS_CHECK(e.timestamp >= prev, "shop file: user ", u, "'s events are not in time order");
      put_varint(out, static_cast<std::uint64_t>(e.item));
      put_varint(out, (static_cast<std::uint64_t>(e.quantity) - 1) * 4 +
                          static_cast<std::uint64_t>(e.event));
      put_varint(out, static_cast<std::uint64_t>(e.timestamp) - static_cast<std::uint64_t>(prev));
      prev = e.timestamp;
    }
  }
  return out;
}
}  // namespace

std::string write_shop(const Dataset& data, std::uint32_t version) {
  RECSYS_CHECK(version == 1 || version == 2, "shop file: version must be 1 or 2, got ", version);
  return version == 1 ? write_v1(data) : write_v2(data);
}

namespace {
// Version 2's category and brand names, which its items give by index.
struct Tables {
  std::vector<std::string> categories, brands;
};

// The file's loops, each in a small function of its own (common/tiering.h): one item (called
// for each), the user ids, the events.
RECSYS_LOOP std::vector<std::string> read_table(Reader& r, const char* what,
                                                const std::string& source) {
  std::vector<std::string> names(static_cast<std::size_t>(r.count(what, 1, (1u << 31) - 1, true)));
  for (std::size_t k = 0; k < names.size(); ++k) {
    names[k] = r.vstring(what, kMaxIdBytes);
    check_text(source, static_cast<std::int64_t>(k), what, names[k], kMaxIdBytes);
  }
  return names;
}

// tables: version 2's, or null for a version 1 file (names in full, u32 lengths).
RECSYS_LOOP void read_item(Reader& r, std::uint64_t i, const Tables* tables, Catalog& catalog,
                           const std::string& source) {
  const auto str = [&](const char* what, std::size_t max) {
    return tables ? r.vstring(what, max) : r.string(what, max);
  };
  const auto pick = [&](const char* what, const std::vector<std::string>& names) {
    const auto k = r.varint(what);
    RECSYS_CHECK_FORMAT(k < names.size(), source, ": item ", i, ": ", what, " ", k,
                        " out of range [0, ", names.size(), ")");
    return names[static_cast<std::size_t>(k)];
  };
  ItemRecord rec;
  rec.id = str("item id", kMaxIdBytes);
  rec.title = str("title", kMaxTextBytes);
  rec.category = tables ? pick("category", tables->categories) : str("category", kMaxIdBytes);
  rec.brand = tables ? pick("brand", tables->brands) : str("brand", kMaxIdBytes);
  rec.price = r.get<double>("price");
  const std::uint64_t attrs =
      tables ? r.varint("attribute count") : r.get<std::uint32_t>("attribute count");
  RECSYS_CHECK_FORMAT(attrs <= r.remaining() / (tables ? 2 : 8), source, ": item ", i,
                      ": attribute count ", attrs, " does not fit the bytes that remain");
  for (std::uint64_t a = 0; a < attrs; ++a) {
    std::string k = str("attribute name", kMaxIdBytes);
    rec.attributes[k] = str("attribute value", kMaxTextBytes);
  }
  try {
    catalog.add(rec);  // validates the text, the price and duplicate ids
  } catch (const Error& e) {
    throw Error(ErrorKind::Format, source + ": item " + std::to_string(i) + ": " + e.what());
  }
}

RECSYS_LOOP std::vector<std::string> read_user_ids(Reader& r, std::uint64_t users, bool v2,
                                                   const std::string& source) {
  std::vector<std::string> user_ids(static_cast<std::size_t>(users));
  for (std::uint64_t u = 0; u < users; ++u) {
    user_ids[u] = v2 ? r.vstring("user id", kMaxIdBytes) : r.string("user id", kMaxIdBytes);
    check_text(source, static_cast<std::int64_t>(u), "user", user_ids[u], kMaxIdBytes);
  }
  return user_ids;
}

// Version 2's events: per user, its count, then item, (quantity - 1) * 4 + event code and the
// time since the user's previous event (since t0 for its first), each a varint. The indices and
// quantities are checked where they fit the records; Interactions checks the rest.
//
// One user's events in a function of their own (common/tiering.h): called once per user, it is
// what the engine tiers up after the first users, so that the rest run optimised code. As one
// loop over every event it ran as baseline code to the end, with the serving engine's vector
// push_back a call per event (kept out of line by its -Oz link): a cold page's shop read took 59
// ms against bdd87ea's 43 in Chromium, and 47 against 42 with this (npm run bench -- firstpage).
RECSYS_LOOP void decode_user_events(Reader& r, std::int32_t user, std::uint64_t k, std::int64_t t0,
                                    std::vector<Interaction>& events, const std::string& source) {
  constexpr auto kMaxTime = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  constexpr std::uint64_t kMaxInt32 = std::numeric_limits<std::int32_t>::max();
  std::int64_t prev = t0;
  for (std::uint64_t j = 0; j < k; ++j) {
    Interaction e;
    e.user = user;
    const auto item = r.varint("event item");
    const auto code = r.varint("event quantity and type");
    const auto dt = r.varint("event time");
    RECSYS_CHECK_FORMAT(item <= kMaxInt32, source, ": event ", events.size(),
                        ": field 'item': index ", item, " out of range");
    RECSYS_CHECK_FORMAT((code >> 2) < kMaxInt32, source, ": event ", events.size(),
                        ": field 'quantity': ", (code >> 2) + 1, " is more than ", kMaxInt32);
    // Two's complement: the sum in unsigned arithmetic is the signed one when it fits.
    RECSYS_CHECK_FORMAT(dt <= kMaxTime - static_cast<std::uint64_t>(prev), source, ": event ",
                        events.size(), ": field 'timestamp': ", prev, " + ", dt,
                        " is past the largest time");
    e.item = static_cast<std::int32_t>(item);
    e.quantity = static_cast<std::int32_t>(code >> 2) + 1;
    e.event = static_cast<Event>(code & 3);
    e.timestamp = static_cast<std::int64_t>(static_cast<std::uint64_t>(prev) + dt);
    prev = e.timestamp;
    events.push_back(e);
  }
}

RECSYS_LOOP std::vector<Interaction> decode_events(Reader& r, std::uint64_t users, std::uint64_t n,
                                                   std::int64_t t0, const std::string& source) {
  std::vector<Interaction> events;
  // n <= the bytes that remain / 3 (read_shop): at most 8 bytes reserved per byte of file.
  events.reserve(static_cast<std::size_t>(n));
  for (std::uint64_t u = 0; u < users; ++u) {
    const auto k = r.varint("user event count");
    RECSYS_CHECK_FORMAT(k <= n - events.size(), source, ": user ", u, ": ", k,
                        " events, more than the ", n - events.size(),
                        " that remain of the event count ", n);
    decode_user_events(r, static_cast<std::int32_t>(u), k, t0, events, source);
  }
  RECSYS_CHECK_FORMAT(events.size() == n, source, ": the users' events add up to ", events.size(),
                      ", not the event count ", n);
  return events;
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
  Reader r(bytes, source, sizeof kShopMagic);
  const auto version = r.get<std::uint32_t>("version");
  RECSYS_CHECK_FORMAT(version == 1 || version == 2, source, ": shop format version ", version,
                      " is not supported (this build reads versions 1 and 2)");
  const bool v2 = version == 2;
  const auto expected = r.get<std::uint64_t>("checksum");
  Dataset d;
  d.name = v2 ? r.vstring("name", kMaxIdBytes) : r.string("name", kMaxIdBytes);
  check_text(source, 0, "name", d.name, kMaxIdBytes);
  Tables tables;
  if (v2) {
    tables.categories = read_table(r, "category", source);
    tables.brands = read_table(r, "brand", source);
  }
  // An item takes at least 4 lengths, a price and an attribute count: 28 bytes in version 1,
  // 13 in version 2.
  const auto items = r.count("item", v2 ? 13 : 28, (1u << 31) - 1, v2);
  for (std::uint64_t i = 0; i < items; ++i)
    read_item(r, i, v2 ? &tables : nullptr, d.catalog, source);
  // A user takes at least its id's length, and in version 2 the count of its events: 2 bytes.
  const auto users = r.count("user", v2 ? 2 : 4, (1u << 31) - 1, v2);
  std::vector<std::string> user_ids = read_user_ids(r, users, v2, source);
  Vocabulary vocab;
  try {
    vocab = Vocabulary(std::move(user_ids));
  } catch (const Error& e) {
    throw Error(ErrorKind::Format, source + ": users: " + e.what());
  }
  std::vector<Interaction> events;
  if (v2) {
    const auto n = r.count("event", 3, ~0ull, true);
    const auto t0 = r.get<std::int64_t>("first event time");
    events = decode_events(r, users, n, t0, source);
    RECSYS_CHECK_FORMAT(r.remaining() == 0, source, ": ", r.remaining(),
                        " bytes after the last event");
  } else {
    const auto n = r.count("event", 21, ~0ull);
    const char* users_col = r.column<std::int32_t>(n, "event users");
    const char* items_col = r.column<std::int32_t>(n, "event items");
    const char* quantities_col = r.column<std::int32_t>(n, "event quantities");
    const char* times_col = r.column<std::int64_t>(n, "event timestamps");
    const char* types_col = r.column<std::uint8_t>(n, "event types");
    events = event_records(n, users_col, items_col, quantities_col, times_col, types_col);
    RECSYS_CHECK_FORMAT(r.remaining() == 0, source, ": ", r.remaining(),
                        " bytes after the last event column");
  }
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
