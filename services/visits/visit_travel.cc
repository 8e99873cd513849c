#include "services/visits/visit_travel.h"

#include <cmath>

namespace shouhu::visits {
namespace {

constexpr double kEarthRadiusM = 6'371'008.8;  // the IUGG mean radius
constexpr double kPi = 3.14159265358979323846;

double Radians(double degrees) { return degrees * kPi / 180.0; }

// How many leading characters two codes share at a division boundary (2, 4, 6, 9 or 12).
size_t SharedPrefix(const std::string& a, const std::string& b) {
  size_t shared = 0;
  for (size_t level : {2, 4, 6, 9, 12}) {
    if (a.size() < level || b.size() < level || a.compare(0, level, b, 0, level) != 0) break;
    shared = level;
  }
  return shared;
}

}  // namespace

int64_t HaversineMeters(GeoPoint a, GeoPoint b) {
  const double dlat = Radians(b.latitude - a.latitude);
  const double dlon = Radians(b.longitude - a.longitude);
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) + std::cos(Radians(a.latitude)) *
                                                                 std::cos(Radians(b.latitude)) *
                                                                 std::sin(dlon / 2) * std::sin(dlon / 2);
  return std::llround(2 * kEarthRadiusM * std::asin(std::sqrt(std::fmin(1.0, h))));
}

int64_t TravelMeters(const Place& a, const Place& b, const HierarchyDistances& hierarchy) {
  if (a.point && b.point) return HaversineMeters(*a.point, *b.point);
  switch (SharedPrefix(a.village_code, b.village_code)) {
    case 12:
      return hierarchy.same_village_m;
    case 9:
      return hierarchy.same_township_m;
    case 6:
      return hierarchy.same_county_m;
    case 4:
      return hierarchy.same_prefecture_m;
    default:
      return hierarchy.farther_m;
  }
}

}  // namespace shouhu::visits
