// Travel distances: haversine between coordinates, the division hierarchy otherwise.
#include "services/visits/visit_travel.h"

#include <gtest/gtest.h>

namespace shouhu::visits {
namespace {

TEST(VisitTravel, Haversine_KnownDistance) {
  // Kunming (25.04 N, 102.71 E) to Wuding's county seat (25.53 N, 102.40 E): about 62 km as the crow flies.
  const int64_t m = HaversineMeters(GeoPoint{25.04, 102.71}, GeoPoint{25.53, 102.40});
  EXPECT_GT(m, 60'000);
  EXPECT_LT(m, 64'000);
  EXPECT_EQ(HaversineMeters(GeoPoint{25.0, 102.0}, GeoPoint{25.0, 102.0}), 0);
}

TEST(VisitTravel, WithoutCoordinates_SameVillageNearerThanTownshipNearerThanCounty) {
  const HierarchyDistances h;
  const Place home{"532329101001", std::nullopt};
  const int64_t village = TravelMeters(home, Place{"532329101001", std::nullopt}, h);
  const int64_t township = TravelMeters(home, Place{"532329101002", std::nullopt}, h);
  const int64_t county = TravelMeters(home, Place{"532329102001", std::nullopt}, h);
  const int64_t elsewhere = TravelMeters(home, Place{"640105001002", std::nullopt}, h);
  EXPECT_LT(village, township);
  EXPECT_LT(township, county);
  EXPECT_LT(county, elsewhere);
  // One side without coordinates falls back to the hierarchy.
  EXPECT_EQ(
      TravelMeters(Place{"532329101001", GeoPoint{25.5, 102.4}}, Place{"532329101002", std::nullopt}, h),
      township);
}

}  // namespace
}  // namespace shouhu::visits
