// The page a recommendation is shown on: a context feature of the ranking model and what tells
// the strategy layer how to treat a scene (a product page excludes its product). Strategy scenes
// are named freely; each names the page it is shown on (StrategyConfig's "page", by default the
// built-in page of the same name, else default).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace recsys {

enum class Scene : std::uint8_t { Home = 0, Cart = 1, Product = 2, Default = 3 };
constexpr int kNumScenes = 4;
// "home_page", "cart_page", "product_page", "default".
const char* scene_name(Scene s);
bool parse_scene(std::string_view text, Scene& out);
// Every scene name in enum order (the JS API's Scene type lists the same, a test checks it).
std::vector<std::string> scene_names();

}  // namespace recsys
