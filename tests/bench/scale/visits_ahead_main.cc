// shouhu-visits as deployed, on a clock the scale loader moves ahead (visits_clock.h): the stack beside this
// file runs it in place of shouhu-visits. SCALE_VISITS_CLOCK_FILE names the file the loader writes.
#include <cstdio>
#include <cstdlib>

#include "common/server.h"
#include "services/visits/visits_module.h"
#include "tests/bench/scale/visits_clock.h"

int main(int argc, char** argv) {
  const char* file = std::getenv("SCALE_VISITS_CLOCK_FILE");
  if (file == nullptr || *file == '\0') {
    std::fprintf(stderr,
                 "SCALE_VISITS_CLOCK_FILE: required (the file the scale loader moves the clock with)\n");
    return 2;
  }
  shouhu::bench::AheadClock clock(file);
  return shouhu::ServeMain(argc, argv, shouhu::visits::VisitsDefinition(), clock);
}
