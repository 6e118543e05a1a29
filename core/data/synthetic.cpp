#include "data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include <nlohmann/json.hpp>

#include "common/check.h"
#include "common/detmath.h"
#include "common/rng.h"
#include "data/json_options.h"
#include "data/parse.h"

namespace recsys {

namespace {

struct CategoryName {
  const char* name;
  const char* nouns[4];
};

const CategoryName kCategories[] = {
    {"Electronics", {"Headphones", "Charger", "Speaker", "Webcam"}},
    {"Books", {"Novel", "Cookbook", "Atlas", "Biography"}},
    {"Home & Kitchen", {"Kettle", "Knife Set", "Blender", "Cutting Board"}},
    {"Clothing", {"T-Shirt", "Jacket", "Sweater", "Jeans"}},
    {"Shoes", {"Sneakers", "Boots", "Sandals", "Loafers"}},
    {"Beauty", {"Face Cream", "Lipstick", "Shampoo", "Perfume"}},
    {"Sports", {"Yoga Mat", "Dumbbells", "Tennis Racket", "Football"}},
    {"Toys", {"Puzzle", "Building Blocks", "Doll", "Toy Car"}},
    {"Garden", {"Hose", "Planter", "Pruner", "Seed Kit"}},
    {"Grocery", {"Coffee", "Tea", "Olive Oil", "Chocolate"}},
    {"Health", {"Vitamins", "Thermometer", "First Aid Kit", "Massager"}},
    {"Jewelry", {"Necklace", "Ring", "Bracelet", "Earrings"}},
    {"Automotive", {"Car Vacuum", "Dash Cam", "Tyre Gauge", "Seat Cover"}},
    {"Music", {"Guitar Strings", "Vinyl Record", "Ukulele", "Metronome"}},
    {"Office", {"Notebook", "Desk Lamp", "Stapler", "Pen Set"}},
    {"Pet Supplies", {"Dog Bed", "Cat Toy", "Leash", "Pet Bowl"}},
    {"Baby", {"Stroller", "Bottle", "Baby Monitor", "Teether"}},
    {"Tools", {"Drill", "Screwdriver Set", "Hammer", "Tape Measure"}},
    {"Outdoor", {"Tent", "Backpack", "Camping Stove", "Sleeping Bag"}},
    {"Video Games", {"Controller", "Gaming Headset", "Game Card", "Console Stand"}},
};
const char* const kBrands[] = {"Acme",       "Nordlys",  "Vantor",   "Kestrel", "Lumio",
                               "Brightline", "Oakridge", "Solace",   "Zenith",  "Pioneer",
                               "Aurora",     "Cobalt",   "Meridian", "Halcyon", "Tundra"};
const char* const kAdjectives[] = {
    "Classic", "Premium", "Compact", "Deluxe", "Essential", "Eco",       "Smart",  "Ultra",
    "Vintage", "Modern",  "Pro",     "Lite",   "Everyday",  "Signature", "Travel", "Mini"};
constexpr int kNumNamedCategories = sizeof(kCategories) / sizeof(kCategories[0]);
constexpr int kNumNamedBrands = sizeof(kBrands) / sizeof(kBrands[0]);

std::string category_name(int c) {
  return c < kNumNamedCategories ? kCategories[c].name : "Category " + std::to_string(c + 1);
}
std::string brand_name(int b) {
  return b < kNumNamedBrands ? kBrands[b] : "Brand " + std::to_string(b + 1);
}
std::string noun(int c, int k) {
  return c < kNumNamedCategories ? kCategories[c].nouns[k] : "Item";
}

// Dirichlet(alpha[0..n)) through normalised Gamma draws.
std::vector<double> dirichlet(Rng& rng, const std::vector<double>& alpha) {
  const int n = static_cast<int>(alpha.size());
  std::vector<double> v(alpha.size());
  double sum = 0;
  for (std::size_t i = 0; i < v.size(); ++i) sum += (v[i] = rng.gamma(alpha[i]));
  if (sum <= 0) {  // every draw underflowed: fall back to one-hot at a random index
    std::fill(v.begin(), v.end(), 0.0);
    v[rng.below(static_cast<std::uint32_t>(n))] = 1;
    return v;
  }
  for (auto& x : v) x /= sum;
  return v;
}

}  // namespace

void SyntheticConfig::validate() const {
  RECSYS_CHECK(users >= 1 && users <= 50000000, "synthetic: 'users' must be in [1, 5e7], got ",
               users);
  RECSYS_CHECK(items >= 1 && items <= 50000000, "synthetic: 'items' must be in [1, 5e7], got ",
               items);
  RECSYS_CHECK(interactions >= 1 && interactions <= 1000000000,
               "synthetic: 'interactions' must be in [1, 1e9], got ", interactions);
  RECSYS_CHECK(categories >= 1 && categories <= items,
               "synthetic: 'categories' must be in [1, items], got ", categories);
  RECSYS_CHECK(brands >= 1 && brands <= 100000, "synthetic: 'brands' must be in [1, 1e5], got ",
               brands);
  RECSYS_CHECK(price_std >= 0, "synthetic: 'price_std' must be >= 0, got ", price_std);
  RECSYS_CHECK(price_min > 0 && price_min <= price_max,
               "synthetic: need 0 < 'price_min' <= 'price_max', got ", price_min, " and ",
               price_max);
  RECSYS_CHECK(price_mean > 0, "synthetic: 'price_mean' must be > 0, got ", price_mean);
  RECSYS_CHECK(start < end, "synthetic: 'start' must be before 'end', got ", start, " and ", end);
  RECSYS_CHECK(latent_dim >= 1 && latent_dim <= 256,
               "synthetic: 'latent_dim' must be in [1, 256], got ", latent_dim);
  RECSYS_CHECK(popularity_exponent >= 0 && popularity_exponent <= 4,
               "synthetic: 'popularity_exponent' must be in [0, 4], got ", popularity_exponent);
  RECSYS_CHECK(category_concentration > 0, "synthetic: 'category_concentration' must be > 0, got ",
               category_concentration);
  RECSYS_CHECK(brand_concentration > 0, "synthetic: 'brand_concentration' must be > 0, got ",
               brand_concentration);
  RECSYS_CHECK(session_focus >= 0 && session_focus <= 1,
               "synthetic: 'session_focus' must be in [0, 1], got ", session_focus);
  RECSYS_CHECK(mean_session_length >= 1, "synthetic: 'mean_session_length' must be >= 1, got ",
               mean_session_length);
  for (double w : {w_category, w_brand, w_price, w_latent, w_quality, click_bias, click_slope,
                   purchase_bias, purchase_slope})
    RECSYS_CHECK(std::isfinite(w), "synthetic: truth weights must be finite");
}

SyntheticConfig SyntheticConfig::from_json(std::string_view text) {
  SyntheticConfig c;
  for_each_json_field(text, "synthetic config", [&](const JsonField& f) {
    const std::string& k = f.key();
    const auto& v = f.value();
    auto num = [&]() { return f.number(); };
    auto integer = [&]() -> std::int64_t {
      const double d = num();
      RECSYS_CHECK(std::floor(d) == d && std::fabs(d) < 9.0e15, "synthetic config: '", k,
                   "' must be an integer, got ", json_text(v));
      return static_cast<std::int64_t>(d);
    };
    auto time = [&]() -> std::int64_t {
      if (v.is_string()) {
        std::int64_t t = 0;
        RECSYS_CHECK(try_parse_timestamp(v.get<std::string>(), t), "synthetic config: '", k,
                     "' is not a timestamp: ", json_text(v));
        return t;
      }
      return integer();
    };
    if (k == "seed") {
      const std::int64_t s = integer();
      RECSYS_CHECK(s >= 0, "synthetic config: 'seed' must be >= 0, got ", s);
      c.seed = static_cast<std::uint64_t>(s);
    } else if (k == "users")
      c.users = static_cast<std::int32_t>(std::clamp<std::int64_t>(integer(), -1, INT32_MAX));
    else if (k == "items")
      c.items = static_cast<std::int32_t>(std::clamp<std::int64_t>(integer(), -1, INT32_MAX));
    else if (k == "interactions")
      c.interactions = integer();
    else if (k == "categories")
      c.categories = static_cast<std::int32_t>(std::clamp<std::int64_t>(integer(), -1, INT32_MAX));
    else if (k == "brands")
      c.brands = static_cast<std::int32_t>(std::clamp<std::int64_t>(integer(), -1, INT32_MAX));
    else if (k == "price_mean")
      c.price_mean = num();
    else if (k == "price_std")
      c.price_std = num();
    else if (k == "price_min")
      c.price_min = num();
    else if (k == "price_max")
      c.price_max = num();
    else if (k == "start")
      c.start = time();
    else if (k == "end")
      c.end = time();
    else if (k == "latent_dim")
      c.latent_dim = static_cast<std::int32_t>(std::clamp<std::int64_t>(integer(), -1, INT32_MAX));
    else if (k == "popularity_exponent")
      c.popularity_exponent = num();
    else if (k == "category_concentration")
      c.category_concentration = num();
    else if (k == "brand_concentration")
      c.brand_concentration = num();
    else if (k == "session_focus")
      c.session_focus = num();
    else if (k == "mean_session_length")
      c.mean_session_length = num();
    else if (k == "w_category")
      c.w_category = num();
    else if (k == "w_brand")
      c.w_brand = num();
    else if (k == "w_price")
      c.w_price = num();
    else if (k == "w_latent")
      c.w_latent = num();
    else if (k == "w_quality")
      c.w_quality = num();
    else if (k == "click_bias")
      c.click_bias = num();
    else if (k == "click_slope")
      c.click_slope = num();
    else if (k == "purchase_bias")
      c.purchase_bias = num();
    else if (k == "purchase_slope")
      c.purchase_slope = num();
    else
      f.unknown();
  });
  c.validate();
  return c;
}

std::string SyntheticConfig::to_json() const {
  return JsonObject()
      .add("seed", seed)
      .add("users", users)
      .add("items", items)
      .add("interactions", interactions)
      .add("categories", categories)
      .add("brands", brands)
      .add("price_mean", price_mean)
      .add("price_std", price_std)
      .add("price_min", price_min)
      .add("price_max", price_max)
      .add("start", start)
      .add("end", end)
      .add("latent_dim", latent_dim)
      .add("popularity_exponent", popularity_exponent)
      .add("category_concentration", category_concentration)
      .add("brand_concentration", brand_concentration)
      .add("session_focus", session_focus)
      .add("mean_session_length", mean_session_length)
      .add("w_category", w_category)
      .add("w_brand", w_brand)
      .add("w_price", w_price)
      .add("w_latent", w_latent)
      .add("w_quality", w_quality)
      .add("click_bias", click_bias)
      .add("click_slope", click_slope)
      .add("purchase_bias", purchase_bias)
      .add("purchase_slope", purchase_slope)
      .text();
}

void SyntheticTruth::check(std::int32_t user, std::int32_t item) const {
  RECSYS_CHECK(user >= 0 && user < n_users_, "synthetic truth: user index ", user,
               " out of range [0, ", n_users_, ")");
  RECSYS_CHECK(item >= 0 && item < n_items_, "synthetic truth: item index ", item,
               " out of range [0, ", n_items_, ")");
}

double SyntheticTruth::score(std::int32_t u, std::int32_t i) const {
  check(u, i);
  const auto d = static_cast<std::size_t>(config_.latent_dim);
  const double* x = &user_latent_[static_cast<std::size_t>(u) * d];
  const double* y = &item_latent_[static_cast<std::size_t>(i) * d];
  double dot = 0;
  for (std::size_t k = 0; k < d; ++k) dot += x[k] * y[k];
  const auto C = static_cast<std::size_t>(config_.categories);
  const auto B = static_cast<std::size_t>(config_.brands);
  return config_.w_category * user_log_category_[u * C + item_category_[i]] +
         config_.w_brand * user_log_brand_[u * B + item_brand_[i]] -
         config_.w_price * user_price_sens_[u] * item_log_rel_price_[i] +
         config_.w_latent * dot / std::sqrt(static_cast<double>(d)) +
         config_.w_quality * item_quality_[i];
}

double SyntheticTruth::click_probability(std::int32_t u, std::int32_t i) const {
  return detmath::sigmoid(config_.click_bias + config_.click_slope * score(u, i));
}

double SyntheticTruth::purchase_probability(std::int32_t u, std::int32_t i) const {
  return detmath::sigmoid(config_.purchase_bias + config_.purchase_slope * score(u, i));
}

double SyntheticTruth::exposure(std::int32_t i) const {
  check(0, i);
  return item_exposure_[i];
}

std::vector<std::int32_t> SyntheticTruth::top_k(std::int32_t user, std::int32_t k) const {
  RECSYS_CHECK(k >= 1, "synthetic truth: k must be >= 1, got ", k);
  check(user, 0);
  std::vector<std::pair<double, std::int32_t>> s(static_cast<std::size_t>(n_items_));
  for (std::int32_t i = 0; i < n_items_; ++i) s[i] = {-score(user, i), i};
  const auto kk = std::min<std::size_t>(static_cast<std::size_t>(k), s.size());
  std::partial_sort(s.begin(), s.begin() + kk, s.end());
  std::vector<std::int32_t> out(kk);
  for (std::size_t j = 0; j < kk; ++j) out[j] = s[j].second;
  return out;
}

std::uint64_t SyntheticTruth::checksum() const {
  Fnv1a h;
  h.str(config_.to_json());
  for (auto v : item_category_) h.i64(v);
  for (auto v : item_brand_) h.i64(v);
  for (const auto* vec : {&item_log_rel_price_, &item_quality_, &item_latent_, &item_exposure_,
                          &user_log_category_, &user_log_brand_, &user_price_sens_, &user_latent_})
    for (double v : *vec) h.f64(v);
  return h.value();
}

struct SyntheticBuilder {
  static SyntheticShop build(const SyntheticConfig& cfg);
};

SyntheticShop SyntheticBuilder::build(const SyntheticConfig& cfg) {
  cfg.validate();
  SyntheticShop shop;
  SyntheticTruth& t = shop.truth;
  t.config_ = cfg;
  t.n_users_ = cfg.users;
  t.n_items_ = cfg.items;
  const auto n_items = static_cast<std::size_t>(cfg.items);
  const auto n_users = static_cast<std::size_t>(cfg.users);
  const auto C = static_cast<std::size_t>(cfg.categories);
  const auto B = static_cast<std::size_t>(cfg.brands);
  const auto d = static_cast<std::size_t>(cfg.latent_dim);

  // Items. Separate streams so that, e.g., more users leave the items unchanged.
  Rng item_rng(cfg.seed, 1);
  std::vector<double> category_weight(C), brand_weight(B);
  for (auto& w : category_weight) w = item_rng.gamma(3.0);
  for (auto& w : brand_weight) w = item_rng.gamma(1.5);
  t.item_category_.resize(n_items);
  t.item_brand_.resize(n_items);
  t.item_log_rel_price_.resize(n_items);
  t.item_quality_.resize(n_items);
  t.item_latent_.resize(n_items * d);
  t.item_exposure_.resize(n_items);
  std::vector<ItemRecord> records(n_items);
  for (std::size_t i = 0; i < n_items; ++i) {
    // Every category gets at least one item: the first C items cycle through them.
    const auto c = i < C ? i : item_rng.categorical(category_weight);
    const auto b = item_rng.categorical(brand_weight);
    const double price =
        std::clamp(item_rng.normal(cfg.price_mean, cfg.price_std), cfg.price_min, cfg.price_max);
    const double rounded = std::floor(price * 100 + 0.5) / 100;  // prices in cents
    t.item_category_[i] = static_cast<std::int32_t>(c);
    t.item_brand_[i] = static_cast<std::int32_t>(b);
    t.item_log_rel_price_[i] = detmath::log(rounded / cfg.price_mean);
    t.item_quality_[i] = item_rng.normal();
    for (std::size_t k = 0; k < d; ++k) t.item_latent_[i * d + k] = item_rng.normal();
    ItemRecord& r = records[i];
    r.id = "item_" + std::to_string(i + 1);
    r.category = category_name(static_cast<int>(c));
    r.brand = brand_name(static_cast<int>(b));
    // Two statements: the order of two draws inside one expression is unspecified in C++.
    const auto adjective = item_rng.below(16);
    const auto noun_index = item_rng.below(4);
    r.title = r.brand + " " + kAdjectives[adjective] + " " +
              noun(static_cast<int>(c), static_cast<int>(noun_index));
    r.price = rounded;
  }
  std::vector<std::int32_t> rank(n_items);
  std::iota(rank.begin(), rank.end(), 0);
  item_rng.shuffle(rank);
  for (std::size_t i = 0; i < n_items; ++i)
    t.item_exposure_[i] = detmath::pow(rank[i] + 1.0, -cfg.popularity_exponent);

  // The truth keeps its own category / brand indices; the catalog's vocabularies are in
  // first-seen order, and the truth is only ever addressed by item index.
  for (const auto& r : records) shop.data.catalog.add(r);

  // Users.
  Rng user_rng(cfg.seed, 2);
  t.user_log_category_.resize(n_users * C);
  t.user_log_brand_.resize(n_users * B);
  t.user_price_sens_.resize(n_users);
  t.user_latent_.resize(n_users * d);
  // Big categories (and brands) attract more users: the Dirichlet prior follows their weight,
  // scaled so that its total is concentration × count.
  std::vector<double> category_alpha(C), brand_alpha(B);
  double cw_total = 0, bw_total = 0;
  for (double w : category_weight) cw_total += w;
  for (double w : brand_weight) bw_total += w;
  for (std::size_t c = 0; c < C; ++c)
    category_alpha[c] =
        cfg.category_concentration * static_cast<double>(C) * category_weight[c] / cw_total;
  for (std::size_t b = 0; b < B; ++b)
    brand_alpha[b] = cfg.brand_concentration * static_cast<double>(B) * brand_weight[b] / bw_total;
  std::vector<std::vector<double>> user_category_affinity(n_users);
  std::vector<double> activity(n_users);
  for (std::size_t u = 0; u < n_users; ++u) {
    user_category_affinity[u] = dirichlet(user_rng, category_alpha);
    const auto beta = dirichlet(user_rng, brand_alpha);
    for (std::size_t c = 0; c < C; ++c)
      t.user_log_category_[u * C + c] =
          detmath::log(std::max(static_cast<double>(C) * user_category_affinity[u][c], 1e-3));
    for (std::size_t b = 0; b < B; ++b)
      t.user_log_brand_[u * B + b] = detmath::log(std::max(static_cast<double>(B) * beta[b], 1e-3));
    t.user_price_sens_[u] = user_rng.gamma(2.0) / 2;
    for (std::size_t k = 0; k < d; ++k) t.user_latent_[u * d + k] = user_rng.normal();
    activity[u] = detmath::exp(user_rng.normal());
  }

  // Events per user: a floor of min(2, N / users), the rest by activity (largest remainder).
  const std::int64_t base = std::min<std::int64_t>(2, cfg.interactions / cfg.users);
  const std::int64_t rest = cfg.interactions - base * cfg.users;
  double total_activity = 0;
  for (double a : activity) total_activity += a;
  std::vector<std::int64_t> count(n_users, base);
  std::vector<std::pair<double, std::size_t>> remainders(n_users);
  std::int64_t assigned = 0;
  for (std::size_t u = 0; u < n_users; ++u) {
    const double share = static_cast<double>(rest) * activity[u] / total_activity;
    const auto whole = static_cast<std::int64_t>(std::floor(share));
    count[u] += whole;
    assigned += whole;
    remainders[u] = {-(share - static_cast<double>(whole)), u};
  }
  std::sort(remainders.begin(), remainders.end());
  for (std::int64_t j = 0; j < rest - assigned; ++j)
    ++count[remainders[static_cast<std::size_t>(j) % n_users].second];

  // Items by category, for the within-category choice.
  std::vector<std::vector<std::int32_t>> by_category(C);
  for (std::size_t i = 0; i < n_items; ++i)
    by_category[t.item_category_[i]].push_back(static_cast<std::int32_t>(i));
  std::vector<double> log_exposure(n_items);
  for (std::size_t i = 0; i < n_items; ++i) log_exposure[i] = detmath::log(t.item_exposure_[i]);

  Rng event_rng(cfg.seed, 3);
  Vocabulary users;
  for (std::size_t u = 0; u < n_users; ++u) users.add("user_" + std::to_string(u + 1));
  std::vector<Interaction> events;
  events.reserve(static_cast<std::size_t>(cfg.interactions));
  std::vector<std::vector<double>> cdf_cache(C);
  std::vector<char> cached(C);
  const std::int64_t span = cfg.end - cfg.start;
  const double session_tail = cfg.mean_session_length - 1;  // mean of the geometric part
  for (std::size_t u = 0; u < n_users; ++u) {
    std::fill(cached.begin(), cached.end(), 0);
    std::int64_t left = count[u];
    while (left > 0) {
      std::int64_t length = 1;
      if (session_tail > 0) {
        const double stop = 1 / (1 + session_tail);  // P(stop) per further step
        while (!event_rng.bernoulli(stop)) ++length;
      }
      const std::size_t c = event_rng.bernoulli(cfg.session_focus)
                                ? event_rng.categorical(user_category_affinity[u])
                                : event_rng.below(static_cast<std::uint32_t>(C));
      if (by_category[c].empty()) continue;
      if (!cached[c]) {
        const auto& members = by_category[c];
        std::vector<double> logits(members.size());
        double top = -1e300;
        for (std::size_t j = 0; j < members.size(); ++j) {
          logits[j] = log_exposure[members[j]] + t.score(static_cast<std::int32_t>(u), members[j]);
          top = std::max(top, logits[j]);
        }
        auto& cdf = cdf_cache[c];
        cdf.resize(members.size());
        double acc = 0;
        for (std::size_t j = 0; j < members.size(); ++j)
          cdf[j] = (acc += detmath::exp(logits[j] - top));
        cached[c] = 1;
      }
      double time =
          static_cast<double>(cfg.start) +
          event_rng.uniform() * static_cast<double>(std::max<std::int64_t>(span - 3600, 1));
      for (std::int64_t step = 0; step < length && left > 0; ++step) {
        const std::int32_t item = by_category[c][event_rng.from_cdf(cdf_cache[c])];
        Interaction e;
        e.user = static_cast<std::int32_t>(u);
        e.item = item;
        e.event = Event::Click;
        e.timestamp = std::min<std::int64_t>(static_cast<std::int64_t>(time), cfg.end - 1);
        events.push_back(e);
        --left;
        if (left > 0 && event_rng.bernoulli(t.purchase_probability(e.user, item))) {
          time += 30 + event_rng.exponential(240);
          e.event = Event::Purchase;
          e.timestamp = std::min<std::int64_t>(static_cast<std::int64_t>(time), cfg.end - 1);
          e.quantity =
              event_rng.bernoulli(0.7) ? 1 : 2 + static_cast<std::int32_t>(event_rng.below(3));
          events.push_back(e);
          --left;
        }
        time += 10 + event_rng.exponential(110);
      }
    }
  }
  shop.data.name = "synthetic";
  shop.data.interactions = Interactions(std::move(users), cfg.items, std::move(events));
  return shop;
}

SyntheticShop generate_synthetic_shop(const SyntheticConfig& config) {
  return SyntheticBuilder::build(config);
}

Dataset generate_synthetic_dataset(const SyntheticConfig& config) {
  SyntheticShop shop = SyntheticBuilder::build(config);
  Dataset d = std::move(shop.data);
  d.truth = std::make_shared<const SyntheticTruth>(std::move(shop.truth));
  return d;
}

}  // namespace recsys
