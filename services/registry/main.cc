// shouhu-registry: the registry of children in difficulty (DESIGN.md §2).
#include "common/server.h"
#include "services/registry/registry_module.h"

int main(int argc, char** argv) {
  return shouhu::ServeMain(argc, argv, shouhu::registry::RegistryDefinition());
}
