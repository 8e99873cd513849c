// shouhu-visits: household visits planned from the registry's cases (DESIGN.md §2).
#include "common/server.h"
#include "services/visits/visits_module.h"

int main(int argc, char** argv) { return shouhu::ServeMain(argc, argv, shouhu::visits::VisitsDefinition()); }
