// How far a visitor travels between two places, for the planner's costs. Households and visitors' homes have
// a village code (GB/T 2260 + the statistical village code, 12 digits) and, when someone recorded them,
// coordinates. Two places with coordinates are the great-circle (haversine) distance apart; otherwise the
// distance is estimated from the division hierarchy (same village < same township < same county < ...),
// with figures an administrator can tune to the county's terrain: in a mountain county the road between two
// townships is far longer than the straight line.
#ifndef SHOUHU_SERVICES_VISITS_VISIT_TRAVEL_H_
#define SHOUHU_SERVICES_VISITS_VISIT_TRAVEL_H_

#include <cstdint>
#include <optional>
#include <string>

namespace shouhu::visits {

struct GeoPoint {
  double latitude = 0;   // degrees, WGS-84
  double longitude = 0;  // degrees
};

struct Place {
  std::string village_code;  // 12 digits; a shorter code is a coarser place (a township's 9)
  std::optional<GeoPoint> point;
};

// Metres assumed between two places without coordinates on both, by the deepest level they share.
struct HierarchyDistances {
  int64_t same_village_m = 1'500;
  int64_t same_township_m = 8'000;
  int64_t same_county_m = 25'000;
  int64_t same_prefecture_m = 80'000;
  int64_t farther_m = 250'000;
};

int64_t HaversineMeters(GeoPoint a, GeoPoint b);

// The travel distance in metres; 0 for the same coordinates.
int64_t TravelMeters(const Place& a, const Place& b, const HierarchyDistances& hierarchy);

}  // namespace shouhu::visits

#endif  // SHOUHU_SERVICES_VISITS_VISIT_TRAVEL_H_
