// shouhu-allowance: programs, applications, payments and the ledger of children's allowances (DESIGN.md §2).
#include "common/server.h"
#include "services/allowance/allowance_module.h"

int main(int argc, char** argv) {
  return shouhu::ServeMain(argc, argv, shouhu::allowance::AllowanceDefinition());
}
