#include "features/scene.h"

namespace recsys {

const char* scene_name(Scene s) {
  switch (s) {
    case Scene::Home:
      return "home_page";
    case Scene::Cart:
      return "cart_page";
    case Scene::Product:
      return "product_page";
    case Scene::Default:
      return "default";
  }
  return "default";
}

bool parse_scene(std::string_view text, Scene& out) {
  for (int i = 0; i < kNumScenes; ++i)
    if (text == scene_name(static_cast<Scene>(i))) {
      out = static_cast<Scene>(i);
      return true;
    }
  return false;
}

std::vector<std::string> scene_names() {
  std::vector<std::string> out;
  for (int i = 0; i < kNumScenes; ++i) out.push_back(scene_name(static_cast<Scene>(i)));
  return out;
}

}  // namespace recsys
